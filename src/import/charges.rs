//! `kabinet import charges --period 2026-11`: the bills of a period, one row per account and
//! service. The account's own columns (opening balance, paid, penalty, amount due, due date) are
//! on its first row and, if repeated, the same on the others. Every bill is checked: opening +
//! charged + recalculation − benefit − paid + penalty = due, to the kopeck.

use super::accounts::Refused;
use super::table::{Mapping, Row};
use crate::domain::accounts::{AccountNumber, read_date};
use crate::domain::bills::{Bill, BillLine};
use crate::domain::money::Money;
use crate::domain::quantity::Quantity;
use std::collections::HashMap;

pub const COLUMNS: [&str; 13] = [
    "account",
    "opening",
    "service",
    "volume",
    "unit",
    "tariff",
    "amount",
    "recalculation",
    "benefit",
    "paid",
    "penalty",
    "due",
    "due_date",
];

pub const REQUIRED: [&str; 4] = ["account", "service", "amount", "due"];

/// The names billing systems give the columns.
pub fn mapping() -> Mapping {
    Mapping::new(&[
        ("account", super::table::ACCOUNT_NAMES),
        (
            "opening",
            &[
                "Сальдо на начало",
                "Входящее сальдо",
                "Долг на начало",
                "СальдоНач",
                "Сальдо нач",
            ],
        ),
        ("service", &["Услуга", "Наименование услуги", "Вид услуги"]),
        ("volume", &["Объем", "Расход", "Кол-во", "Количество"]),
        ("unit", &["Ед изм", "Единица", "Ед", "Единица измерения"]),
        ("tariff", &["Тариф", "Цена"]),
        ("amount", &["Начислено", "Сумма", "Начисление", "Сумма начисления"]),
        ("recalculation", &["Перерасчет", "Перерасчеты"]),
        ("benefit", &["Льгота", "Льготы", "Субсидия"]),
        ("paid", &["Оплачено", "Оплата", "Поступило"]),
        ("penalty", &["Пени", "Пеня"]),
        (
            "due",
            &[
                "К оплате",
                "КОплате",
                "Итого к оплате",
                "Сальдо на конец",
                "Исходящее сальдо",
            ],
        ),
        ("due_date", &["Срок оплаты", "Оплатить до", "Срок"]),
    ])
}

/// The bills read, and the rows refused.
#[derive(Debug, Default)]
pub struct Bills {
    pub bills: Vec<Bill>,
    pub refused: Vec<Refused>,
}

fn money(row: &Row, column: &str, required: bool) -> Result<Option<Money>, String> {
    match row.get(column) {
        "" if required => Err(format!("no {column}")),
        "" => Ok(None),
        v => Money::parse(v)
            .map(Some)
            .ok_or_else(|| format!("«{v}» is not an amount of money ({column})")),
    }
}

/// The bills being read: an account's bill by its number, and whether a row of it was refused.
#[derive(Default)]
struct Gathering {
    bills: Vec<Bill>,
    at: HashMap<AccountNumber, usize>,
    bad: Vec<bool>,
}

impl Gathering {
    /// The account's bill, begun with its first row's head.
    fn begin(&mut self, head: Bill, bad: bool) -> usize {
        self.at.insert(head.number.clone(), self.bills.len());
        self.bills.push(head);
        self.bad.push(bad);
        self.bills.len() - 1
    }

    /// A row of the account was refused: its bill goes whole or not at all. False when the
    /// account has no bill yet.
    fn spoil(&mut self, number: &AccountNumber) -> bool {
        match self.at.get(number) {
            Some(&i) => {
                self.bad[i] = true;
                true
            }
            None => false,
        }
    }
}

/// A later row's account columns, if given, are the first row's.
fn agrees(head: &Bill, first: &Bill) -> Result<(), String> {
    let agree = |mine: Option<Money>, theirs: Money| mine.is_none_or(|m| m == theirs);
    let ok = agree(head.opening_given, first.opening)
        && agree(head.paid_given, first.paid)
        && agree(head.penalty_given, first.penalty)
        && agree(head.due_given, first.due)
        && (head.due_date.is_none() || head.due_date == first.due_date);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "account {}: its balance, payment, penalty or amount due differ from line {}",
            head.number.as_str(),
            first.line
        ))
    }
}

/// Reads the rows into bills, each checked to the kopeck.
pub fn read(rows: &[Row]) -> Bills {
    let mut g = Gathering::default();
    let mut refused = Vec::new();
    for row in rows {
        let refuse = |reason: String| Refused { line: row.line, reason };
        let Some(number) = AccountNumber::parse(row.get("account")) else {
            refused.push(refuse(format!("«{}» is not an account number", row.get("account"))));
            continue;
        };
        let head = match head_of(row, &number) {
            Ok(h) => h,
            Err(e) => {
                refused.push(refuse(e));
                g.spoil(&number);
                continue;
            }
        };
        let line = match line_of(row) {
            Ok(l) => l,
            Err(e) => {
                refused.push(refuse(format!("account {}: {e}", number.as_str())));
                if !g.spoil(&number) {
                    g.begin(head, true);
                }
                continue;
            }
        };
        let i = match g.at.get(&number).copied() {
            Some(i) if g.bad[i] => {
                let first = g.bills[i].line;
                refused.push(refuse(format!(
                    "account {}: its bill is refused (line {first})",
                    number.as_str()
                )));
                continue;
            }
            Some(i) => match agrees(&head, &g.bills[i]) {
                Ok(()) => i,
                Err(reason) => {
                    refused.push(refuse(reason));
                    g.bad[i] = true;
                    continue;
                }
            },
            // Its bill cannot be checked: the account's other rows go with it.
            None if head.due_given.is_none() => {
                refused.push(refuse(format!(
                    "account {}: its first row has no amount due",
                    number.as_str()
                )));
                g.begin(head, true);
                continue;
            }
            None => g.begin(head, false),
        };
        g.bills[i].lines.push(line);
    }
    let bills = checked(g.bills, &g.bad, &mut refused);
    refused.sort_by_key(|r| r.line);
    Bills { bills, refused }
}

/// The bills that add up, to the kopeck; a bill with a refused row goes whole or not at all:
/// not at all.
fn checked(bills: Vec<Bill>, bad: &[bool], refused: &mut Vec<Refused>) -> Vec<Bill> {
    let mut kept = Vec::new();
    for (i, b) in bills.into_iter().enumerate() {
        if bad[i] {
            continue;
        }
        let computed = b.computed_due();
        if (computed - b.due).kopecks().abs() > 1 {
            refused.push(Refused {
                line: b.line,
                reason: format!(
                    "account {}: the amount due is {} but opening + charged + recalculation − benefit − paid + penalty make {}",
                    b.number.as_str(),
                    b.due,
                    computed
                ),
            });
            continue;
        }
        kept.push(b);
    }
    kept
}

fn head_of(row: &Row, number: &AccountNumber) -> Result<Bill, String> {
    let opening = money(row, "opening", false)?;
    let paid = money(row, "paid", false)?;
    let penalty = money(row, "penalty", false)?;
    let due = money(row, "due", false)?;
    let due_date = match row.get("due_date") {
        "" => None,
        d => Some(read_date(d).ok_or_else(|| format!("«{d}» is not a date such as 10.12.2026"))?),
    };
    Ok(Bill {
        number: number.clone(),
        line: row.line,
        opening: opening.unwrap_or_default(),
        opening_given: opening,
        paid: paid.unwrap_or_default(),
        paid_given: paid,
        penalty: penalty.unwrap_or_default(),
        penalty_given: penalty,
        due: due.unwrap_or_default(),
        due_given: due,
        due_date,
        lines: Vec::new(),
    })
}

fn line_of(row: &Row) -> Result<BillLine, String> {
    let service = row.get("service");
    if service.is_empty() {
        return Err("a row without a service".into());
    }
    let volume = match row.get("volume") {
        "" => None,
        v => Some(Quantity::parse(v, 12, 3).map_err(|_| format!("«{v}» is not a volume"))?),
    };
    let opt = |c: &str| Some(row.get(c)).filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(BillLine {
        service: service.to_owned(),
        volume,
        unit: opt("unit"),
        tariff: opt("tariff"),
        amount: money(row, "amount", true)?.unwrap_or_default(),
        recalculation: money(row, "recalculation", false)?.unwrap_or_default(),
        benefit: money(row, "benefit", false)?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::table::rows;
    use super::*;

    #[test]
    fn bills_add_up_to_the_kopeck_or_are_refused() {
        let text = "ЛС;Сальдо на начало;Услуга;Объем;Ед. изм.;Тариф;Начислено;Перерасчет;Льгота;Оплачено;Пени;КОплате;Срок оплаты\n\
            1001;100,00;Электроэнергия;150;кВт·ч;5,92;888,00;;;100,00;;1 369,43;10.12.2026\n\
            1001;;Холодная вода;5,5;м³;45,10;248,05;-10,00;;;;;\n\
            1001;;Водоотведение;5,5;м³;44,25;243,38;;;;;1 369,43;\n\
            1002;0;Электроэнергия;100;кВт·ч;5,92;592,00;;;;;600,00;\n\
            1003;-50,00;Отопление;1,2;Гкал;2500;3000,00;;100,00;;1,00;2851,00;\n\
            1004;0;;;;;;;;;;0;\n\
            1005;0;Электроэнергия;1;кВт·ч;1;1,00;;;;;;\n\
            1005;;Холодная вода;1;м³;1;1,00;;;;;2,00;\n";
        let b = read(&rows(text, &mapping(), &REQUIRED).unwrap());
        assert_eq!(b.bills.len(), 2, "{:?}", b.refused);
        let first = &b.bills[0];
        assert_eq!(first.lines.len(), 3);
        assert_eq!(first.charged(), Money(137_943));
        assert_eq!(first.due, Money(136_943));
        assert_eq!(first.lines[1].recalculation, Money(-1_000));
        assert_eq!(b.bills[1].number.as_str(), "1003");
        let lines: Vec<u64> = b.refused.iter().map(|r| r.line).collect();
        // 1005's first row has no amount due: its second, which has one, does not make a bill.
        assert_eq!(lines, [5, 7, 8, 9], "{:?}", b.refused);
        assert!(
            b.refused[3].reason.contains("its bill is refused (line 8)"),
            "{:?}",
            b.refused
        );
        assert!(b.refused[0].reason.contains("make 592,00"), "{}", b.refused[0].reason);
    }
}
