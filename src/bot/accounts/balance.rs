//! An account's balance as of the last import: its latest bill less the payments imported
//! since, as the card's lines say it.

use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::domain::money::Money;
use crate::store::bills::{BillRow, PaidSince};
use crate::wording;

type Result<T> = std::result::Result<T, HandlerError>;

pub(super) fn money(kopecks: i64) -> String {
    Money(kopecks).to_string()
}

/// The latest bill and what was paid after it: (bill, payments since, the balance).
async fn balance(ctx: &Ctx, account_id: i64) -> Result<Option<(BillRow, PaidSince, i64)>> {
    let Some(bill) = ctx.store().bills_of(account_id, 1).await?.into_iter().next() else {
        return Ok(None);
    };
    let from = bill.payments_from(ctx.deps.config.utc_offset_hours);
    let paid = ctx.store().paid_since(account_id, from).await?;
    let owed = bill.due - paid.sum;
    Ok(Some((bill, paid, owed)))
}

/// The card's lines: the balance as of the last import, what is due for which period.
pub async fn summary(ctx: &Ctx, account_id: i64) -> Result<String> {
    let Some((bill, paid, owed)) = balance(ctx, account_id).await? else {
        return Ok(ctx.t("account.no_bills"));
    };
    let as_of = paid.imported_at.map_or(bill.imported_at, |p| p.max(bill.imported_at));
    let as_of = ctx.date(as_of);
    let period = bill.period().map(|p| wording::period(ctx.loc, p)).unwrap_or_default();
    // Not yet due is «к оплате», a debt only once the date has passed.
    let overdue = bill.due_date.is_some_and(|d| d < ctx.today());
    let mut text = match owed {
        o if o > 0 && overdue => ctx.tf(
            "account.overdue",
            &[
                ("sum", &money(o)),
                (
                    "date",
                    &bill
                        .due_date
                        .map(|d| d.format("%d.%m.%Y").to_string())
                        .unwrap_or_default(),
                ),
                ("as_of", &as_of),
            ],
        ),
        o if o > 0 => ctx.tf(
            "account.to_pay",
            &[
                ("period", &period),
                ("sum", &money(o)),
                ("date", &due_date(ctx, &bill)),
                ("as_of", &as_of),
            ],
        ),
        o if o < 0 => ctx.tf("account.overpaid", &[("sum", &money(-o)), ("as_of", &as_of)]),
        _ => ctx.tf("account.nothing_owed", &[("as_of", &as_of)]),
    };
    if paid.sum != 0 {
        text.push_str(&ctx.tf("account.paid_since", &[("sum", &money(paid.sum))]));
    }
    Ok(text)
}

pub(super) fn due_date(ctx: &Ctx, bill: &BillRow) -> String {
    bill.due_date
        .map(|d| ctx.tf("account.due_date", &[("date", &d.format("%d.%m.%Y").to_string())]))
        .unwrap_or_default()
}

/// What is still to pay by this bill: the amount owed when it is the account's latest bill and
/// something is owed after the payments since (none: paid, or an older bill — nobody should
/// pay an old bill's amount again).
pub(super) async fn to_pay(ctx: &Ctx, account_id: i64, bill: &BillRow) -> Result<Option<i64>> {
    match balance(ctx, account_id).await? {
        Some((latest, _, owed)) if latest.id == bill.id && owed > 0 => Ok(Some(owed)),
        _ => Ok(None),
    }
}
