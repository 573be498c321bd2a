//! A personal account's bill for a period, as billing exports it: the opening balance, a line a
//! service (volume, unit, tariff, amount, recalculation, benefit), what was paid, the penalty,
//! the amount due and its date. Money in kopecks.

use super::accounts::AccountNumber;
use super::money::Money;
use super::quantity::Quantity;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq)]
pub struct BillLine {
    pub service: String,
    pub volume: Option<Quantity>,
    pub unit: Option<String>,
    /// As billing prints it («5,92»): shown, never computed with.
    pub tariff: Option<String>,
    pub amount: Money,
    pub recalculation: Money,
    pub benefit: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bill {
    pub number: AccountNumber,
    /// The file's line it starts on (for the import's report).
    pub line: u64,
    pub opening: Money,
    pub paid: Money,
    pub penalty: Money,
    pub due: Money,
    pub due_date: Option<NaiveDate>,
    pub lines: Vec<BillLine>,
    /// What the file's row said, for the check that an account's rows agree (none: empty).
    pub opening_given: Option<Money>,
    pub paid_given: Option<Money>,
    pub penalty_given: Option<Money>,
    pub due_given: Option<Money>,
}

impl Bill {
    pub fn charged(&self) -> Money {
        self.lines.iter().map(|l| l.amount).sum()
    }

    pub fn recalculation(&self) -> Money {
        self.lines.iter().map(|l| l.recalculation).sum()
    }

    pub fn benefit(&self) -> Money {
        self.lines.iter().map(|l| l.benefit).sum()
    }

    /// Every value of the bill in one string: equal strings, equal bills.
    pub fn fingerprint(&self) -> String {
        let mut s = format!(
            "{}|{}|{}|{}|{:?}",
            self.opening.0, self.paid.0, self.penalty.0, self.due.0, self.due_date
        );
        for l in &self.lines {
            s.push_str(&format!(
                "|{}|{:?}|{:?}|{:?}|{}|{}|{}",
                l.service,
                l.volume.map(|v| v.0),
                l.unit,
                l.tariff,
                l.amount.0,
                l.recalculation.0,
                l.benefit.0
            ));
        }
        s
    }

    /// opening + charged + recalculation − benefit − paid + penalty.
    pub fn computed_due(&self) -> Money {
        self.opening + self.charged() + self.recalculation() - self.benefit() - self.paid + self.penalty
    }
}

/// A payment between bills, as the billing's file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub number: AccountNumber,
    pub line: u64,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub document: String,
    pub source: Option<String>,
}
