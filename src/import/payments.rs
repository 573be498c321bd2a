//! `kabinet import payments`: payments that reach the utility between bills, one row each
//! (account, day, amount, the payment document's number, where it came from).

use super::accounts::Refused;
use super::table::{Mapping, Row};
use crate::domain::accounts::{AccountNumber, read_date};
pub use crate::domain::bills::Payment;
use crate::domain::money::Money;

pub const COLUMNS: [&str; 5] = ["account", "date", "amount", "document", "source"];
pub const REQUIRED: [&str; 3] = ["account", "date", "amount"];

pub fn mapping() -> Mapping {
    Mapping::new(&[
        ("account", super::table::ACCOUNT_NAMES),
        ("date", &["Дата", "Дата оплаты", "Дата платежа", "Дата поступления"]),
        ("amount", &["Сумма", "Сумма оплаты", "Сумма платежа", "Оплачено"]),
        (
            "document",
            &["Номер документа", "Номер платежа", "ИД платежа", "Документ", "УИП"],
        ),
        ("source", &["Источник", "Банк", "Агент", "Способ оплаты"]),
    ])
}

pub fn read(rows: &[Row]) -> (Vec<Payment>, Vec<Refused>) {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for row in rows {
        match payment(row) {
            Ok(p) => out.push(p),
            Err(reason) => refused.push(Refused { line: row.line, reason }),
        }
    }
    (out, refused)
}

fn payment(row: &Row) -> Result<Payment, String> {
    let number = AccountNumber::parse(row.get("account"))
        .ok_or_else(|| format!("«{}» is not an account number", row.get("account")))?;
    let paid_on =
        read_date(row.get("date")).ok_or_else(|| format!("«{}» is not a date such as 03.12.2026", row.get("date")))?;
    let amount = Money::parse(row.get("amount"))
        .filter(|m| m.0 > 0)
        .ok_or_else(|| format!("«{}» is not a payment's amount (more than zero)", row.get("amount")))?;
    let source = Some(row.get("source")).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(Payment {
        number,
        line: row.line,
        paid_on,
        amount,
        document: row.get("document").to_owned(),
        source,
    })
}
