use super::buttons;

buttons! {
    /// «Отключения»: its buttons.
    pub enum OutagesCb {
        /// The current and planned outages at the consumer's addresses.
        Outages = "out",
        /// «Подписаться на адрес».
        Subscribe = "out:sub",
        /// «Отписаться» from one address.
        Unsubscribe(id: i64) = "out:uns",
        /// Step by step: a page of the settlements.
        Places(page: u16) = "out:pl",
        /// A page of a settlement's streets (the settlement's key).
        Streets(place: u32, page: u16) = "out:st",
        /// A page of a street's houses.
        Houses(place: u32, street: u32, page: u16) = "out:hs",
        /// The house chosen.
        House(place: u32, street: u32, house: u32) = "out:h",
    }
}
