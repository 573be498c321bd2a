//! `kabinet import accounts`: the billing's registry of personal accounts and their meters,
//! one row per meter (an account without meters: a row with no serial). Each row is read into
//! checked values or refused with its line and the reason.

use super::table::{Mapping, Row};
use crate::domain::accounts::{AccountNumber, Contract, read_date, read_resource, read_value};
pub use crate::domain::accounts::{RegAccount, RegMeter};
use crate::domain::meters::Capacity;
#[cfg(test)]
use crate::domain::{meters::Resource, quantity::Quantity};
#[cfg(test)]
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// The importer's columns.
pub const COLUMNS: [&str; 13] = [
    "account",
    "address",
    "holder",
    "contract",
    "serial",
    "resource",
    "zones",
    "capacity",
    "verification",
    "reading_1",
    "reading_2",
    "reading_3",
    "reading_date",
];

/// The columns every registry has.
pub const REQUIRED: [&str; 2] = ["account", "address"];

/// The names billing systems give the columns (compared without case, spaces and dots).
pub fn mapping() -> Mapping {
    Mapping::new(&[
        ("account", super::table::ACCOUNT_NAMES),
        (
            "address",
            &["Адрес", "Адрес объекта", "Адрес помещения", "Адрес потребителя"],
        ),
        (
            "holder",
            &[
                "ФИО",
                "Абонент",
                "Владелец",
                "Потребитель",
                "Наименование",
                "Плательщик",
            ],
        ),
        ("contract", &["Тип договора", "Тип абонента", "Категория", "Тип"]),
        (
            "serial",
            &[
                "Заводской номер",
                "Номер ПУ",
                "Зав номер",
                "Номер счетчика",
                "Счетчик",
                "ПУ",
            ],
        ),
        ("resource", &["Ресурс", "Услуга", "Вид ресурса", "Вид услуги"]),
        ("zones", &["Тарифность", "Зон", "Число зон", "Тарифных зон", "Зоны"]),
        ("capacity", &["Разрядность", "Разрядность ПУ"]),
        (
            "verification",
            &[
                "Дата поверки",
                "Следующая поверка",
                "Дата следующей поверки",
                "Поверка до",
                "Межповерочный до",
            ],
        ),
        (
            "reading_1",
            &[
                "Показание",
                "Показания",
                "Показание Т1",
                "Т1",
                "День",
                "Последнее показание",
            ],
        ),
        ("reading_2", &["Показание Т2", "Т2", "Ночь"]),
        ("reading_3", &["Показание Т3", "Т3", "Полупик"]),
        ("reading_date", &["Дата показаний", "Дата показания", "Дата снятия"]),
    ])
}

/// A row not taken: its line and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub line: u64,
    pub reason: String,
}

/// The registry read from the rows.
#[derive(Debug, Default)]
pub struct Registry {
    pub accounts: Vec<RegAccount>,
    pub refused: Vec<Refused>,
    /// Accounts with a refused row: nothing of theirs is withdrawn for being absent.
    pub spared: HashSet<String>,
}

/// Reads the rows, in the file's order; an account's rows must agree on the account's own
/// columns.
pub fn read(rows: &[Row]) -> Registry {
    let mut reg = Registry::default();
    let mut at: HashMap<AccountNumber, (usize, u64)> = HashMap::new();
    for row in rows {
        let refuse = |reason: String| Refused { line: row.line, reason };
        let Some(number) = AccountNumber::parse(row.get("account")) else {
            reg.refused
                .push(refuse(format!("«{}» is not an account number", row.get("account"))));
            continue;
        };
        let account = match account_of(row, &number) {
            Ok(a) => a,
            Err(reason) => {
                reg.spared.insert(number.as_str().to_owned());
                reg.refused.push(refuse(reason));
                continue;
            }
        };
        let i = match at.get(&number) {
            Some(&(i, first)) => {
                let had = &reg.accounts[i];
                if (&had.address, &had.holder, had.contract) != (&account.address, &account.holder, account.contract) {
                    reg.spared.insert(number.as_str().to_owned());
                    reg.refused.push(refuse(format!(
                        "account {}: its address, holder or contract differ from line {first}",
                        number.as_str()
                    )));
                    continue;
                }
                i
            }
            None => {
                at.insert(number.clone(), (reg.accounts.len(), row.line));
                reg.accounts.push(account);
                reg.accounts.len() - 1
            }
        };
        match meter_of(row) {
            Ok(None) => {}
            Ok(Some(m)) if reg.accounts[i].meters.iter().any(|x| x.serial == m.serial) => {
                reg.spared.insert(number.as_str().to_owned());
                reg.refused.push(refuse(format!(
                    "meter {} is listed twice for account {}",
                    m.serial,
                    number.as_str()
                )));
            }
            Ok(Some(m)) => reg.accounts[i].meters.push(m),
            Err(reason) => {
                reg.spared.insert(number.as_str().to_owned());
                reg.refused.push(refuse(reason));
            }
        }
    }
    reg
}

fn account_of(row: &Row, number: &AccountNumber) -> Result<RegAccount, String> {
    let address = row.get("address");
    if address.is_empty() {
        return Err(format!("account {}: no address", number.as_str()));
    }
    let contract = Contract::read(row.get("contract")).ok_or_else(|| {
        format!(
            "«{}» is not a kind of contract (individual or organisation)",
            row.get("contract")
        )
    })?;
    let holder = Some(row.get("holder")).filter(|h| !h.is_empty()).map(str::to_owned);
    Ok(RegAccount {
        number: number.clone(),
        address: address.to_owned(),
        holder,
        contract,
        meters: Vec::new(),
    })
}

/// The row's meter, none when the row has no serial (and no other meter column).
fn meter_of(row: &Row) -> Result<Option<RegMeter>, String> {
    let serial = row.get("serial");
    if serial.is_empty() {
        let stray = ["resource", "reading_1", "verification"]
            .iter()
            .any(|c| !row.get(c).is_empty());
        return if stray {
            Err("a meter without a serial number".into())
        } else {
            Ok(None)
        };
    }
    let resource = read_resource(row.get("resource")).ok_or_else(|| {
        format!(
            "meter {serial}: «{}» is not a resource (electricity, cold or hot water, heat)",
            row.get("resource")
        )
    })?;
    let zones = match row.get("zones") {
        "" => 1,
        z => z
            .parse::<u8>()
            .ok()
            .filter(|z| (1..=resource.max_zones()).contains(z))
            .ok_or_else(|| format!("meter {serial}: «{z}» tariff zones (1 to {})", resource.max_zones()))?,
    };
    let capacity = match row.get("capacity") {
        "" => resource.default_capacity(),
        c => Capacity::parse(c).ok_or_else(|| format!("meter {serial}: «{c}» is not a digit capacity such as 6+1"))?,
    };
    let next_verification = match row.get("verification") {
        "" => None,
        d => Some(read_date(d).ok_or_else(|| format!("meter {serial}: «{d}» is not a date such as 01.06.2031"))?),
    };
    let cells: Vec<&str> = ["reading_1", "reading_2", "reading_3"][..usize::from(zones)]
        .iter()
        .map(|c| row.get(c))
        .collect();
    let last = if cells.iter().all(|c| c.is_empty()) {
        Vec::new()
    } else {
        cells
            .iter()
            .map(|c| {
                read_value(c, capacity)
                    .ok_or_else(|| format!("meter {serial}: «{c}» is not a reading of a {} meter", capacity.label()))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let last_on = match row.get("reading_date") {
        "" => None,
        d => Some(read_date(d).ok_or_else(|| format!("meter {serial}: «{d}» is not a date such as 25.11.2026"))?),
    };
    Ok(Some(RegMeter {
        serial: serial.to_owned(),
        resource,
        zones,
        capacity,
        next_verification,
        last,
        last_on,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::table::rows;
    use super::*;

    #[test]
    fn rows_become_accounts_with_meters_and_bad_rows_say_why() {
        let text = "ЛС;Адрес;ФИО;Тип договора;Номер ПУ;Услуга;Тарифность;Разрядность;Дата поверки;Показание Т1;Показание Т2;Дата показаний\n\
            1001;ул. Ленина, 1;Иванов И. И.;физ;Э-1;Электроэнергия;2;6+1;01.06.2031;12345,6;6000;25.11.2026\n\
            1001;ул. Ленина, 1;Иванов И. И.;физ;В-1;ХВС;;;;;;\n\
            1002;ул. Мира, 2;;ЮЛ;;;;;;;;\n\
            12;ул. Мира, 3;;;;;;;;;;\n\
            1003;ул. Мира, 4;;;Г-1;газ;;;;;;\n\
            1001;ул. Ленина, 10;;физ;Э-2;ЭЭ;;;;;;\n\
            1004;ул. Мира, 5;;;Э-4;ЭЭ;4;;;;;\n";
        let reg = read(&rows(text, &mapping(), &REQUIRED).unwrap());
        let lines: Vec<u64> = reg.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, [5, 6, 7, 8], "{:?}", reg.refused);
        assert!(reg.refused[1].reason.contains("газ"));
        assert!(reg.refused[2].reason.contains("line 2"));
        assert_eq!(
            reg.accounts.len(),
            4,
            "1001, 1002, and 1003 and 1004 without their refused meters"
        );
        let a = &reg.accounts[0];
        assert_eq!(
            (a.number.as_str(), a.holder.as_deref(), a.contract),
            ("1001", Some("Иванов И. И."), Contract::Individual)
        );
        assert_eq!(a.meters.len(), 2);
        assert_eq!(a.meters[0].last, [Quantity(12_345_600), Quantity(6_000_000)]);
        assert_eq!(a.meters[0].last_on, NaiveDate::from_ymd_opt(2026, 11, 25));
        assert_eq!((a.meters[1].resource, a.meters[1].zones), (Resource::ColdWater, 1));
        assert_eq!(reg.accounts[1].contract, Contract::Organisation);
        assert!(reg.accounts[1].meters.is_empty());
        assert!(reg.accounts[2].meters.is_empty() && reg.accounts[3].meters.is_empty());
        assert!(reg.spared.contains("1003") && reg.spared.contains("1001") && !reg.spared.contains("1002"));
    }
}
