use super::buttons;

buttons! {
    /// «Лицевые счета» and «Начисления и оплата»: their buttons. A period is carried as
    /// `yyyymm` (202611).
    pub enum AccountsCb {
        /// The list.
        Accounts = "a",
        /// «Добавить лицевой счёт».
        AddAccount = "a:add",
        /// The proof chosen: a meter's serial (0) or the last bill's amount (1).
        ProofBy(kind: u8) = "a:pb",
        /// A suggested short name for the account being added («Квартира», «Дача»…).
        NameAs(which: u8) = "a:n",
        /// An account's card.
        Account(id: i64) = "a",
        /// «Начисления и оплата»: the latest bill.
        Charges(id: i64) = "a:c",
        /// A period's bill.
        Bill(id: i64, period: u32) = "a:b",
        /// The history of 12 periods.
        BillHistory(id: i64) = "a:hh",
        /// «Квитанция» (PDF) of a period.
        Receipt(id: i64, period: u32) = "a:r",
        /// The payment QR code alone, as a picture.
        PayQr(id: i64, period: u32) = "a:q",
        /// «Передать показания» of the account's meters.
        Readings(id: i64) = "a:m",
        Rename(id: i64) = "a:rn",
        Remove(id: i64) = "a:d",
        RemoveYes(id: i64) = "a:dy",
    }
}
