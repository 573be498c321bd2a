//! «Начисления и оплата»: the balance as of the last import, a period's bill (services,
//! volumes, tariffs, amounts, recalculations, benefits, payments), the history of 12 periods,
//! the receipt as a PDF, the payment QR code as a picture, the payment link, and «Вопрос по
//! начислению».

use super::balance::{due_date, money, to_pay};
use super::card::{not_found, owned};
use crate::bot::ctx::Ctx;
use crate::bot::deps::HandlerError;
use crate::bot::outcome::Outcome;
use crate::bot::ui::{self, esc};
use crate::callback::{AccountsCb, Buttons, TicketsCb};
use crate::domain::meters::Period;
use crate::domain::quantity::Quantity;
use crate::store::bills::{BillRow, LineRow};
use crate::store::links::Linked;
use crate::wording;
use teloxide::types::InlineKeyboardButton;

type Result<T> = std::result::Result<T, HandlerError>;

/// Periods the history shows.
const HISTORY: i64 = 12;

/// «Начисления и оплата»: the latest period's bill.
pub async fn latest(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    let Some(a) = owned(ctx, account_id).await? else {
        return not_found(ctx).await;
    };
    match ctx.store().bills_of(account_id, 1).await?.into_iter().next() {
        Some(bill) => show_bill(ctx, &a, bill).await,
        None => {
            let kb = ui::inline(vec![ui::row(
                ctx.loc,
                "account.to_card",
                AccountsCb::Account(account_id),
            )]);
            ctx.say_with(ctx.t("bill.none"), kb).await?;
            Ok(Outcome::Done)
        }
    }
}

/// A period's bill, from the history or a push.
pub async fn show(ctx: &Ctx, account_id: i64, code: u32) -> Result<Outcome> {
    let (Some(a), Some(p)) = (owned(ctx, account_id).await?, Period::from_code(code)) else {
        return not_found(ctx).await;
    };
    match ctx.store().bill_of(account_id, p).await? {
        Some(bill) => show_bill(ctx, &a, bill).await,
        None => latest(ctx, account_id).await,
    }
}

fn line_text(ctx: &Ctx, l: &LineRow) -> String {
    let volume = match (l.volume, &l.unit, &l.tariff) {
        (Some(v), unit, Some(tariff)) => ctx.tf(
            "bill.volume",
            &[
                ("volume", &Quantity(v).display()),
                ("unit", &esc(unit.as_deref().unwrap_or(""))),
                ("tariff", &esc(tariff)),
            ],
        ),
        (Some(v), unit, None) => ctx.tf(
            "bill.volume_plain",
            &[
                ("volume", &Quantity(v).display()),
                ("unit", &esc(unit.as_deref().unwrap_or(""))),
            ],
        ),
        _ => String::new(),
    };
    let mut s = ctx.tf(
        "bill.line",
        &[
            ("service", &esc(&l.service)),
            ("volume", &volume),
            ("amount", &money(l.amount)),
        ],
    );
    if l.recalculation != 0 {
        s.push_str(&ctx.tf("bill.line_recalc", &[("sum", &money(l.recalculation))]));
    }
    if l.benefit != 0 {
        s.push_str(&ctx.tf("bill.line_benefit", &[("sum", &money(l.benefit))]));
    }
    s
}

async fn show_bill(ctx: &Ctx, a: &Linked, bill: BillRow) -> Result<Outcome> {
    let Some(p) = bill.period() else {
        return not_found(ctx).await;
    };
    let mut text = ctx.tf(
        "bill.title",
        &[("period", &wording::period(ctx.loc, p)), ("number", &esc(&a.number))],
    );
    let mut lines = Vec::new();
    match bill.opening {
        o if o > 0 => lines.push(ctx.tf("bill.opening", &[("sum", &money(o))])),
        o if o < 0 => lines.push(ctx.tf("bill.opening_over", &[("sum", &money(-o))])),
        _ => {}
    }
    for l in ctx.store().bill_lines(bill.id).await? {
        lines.push(line_text(ctx, &l));
    }
    text.push_str(&format!("\n\n{}", lines.join("\n")));
    let mut totals = vec![ctx.tf("bill.charged", &[("sum", &money(bill.charged))])];
    for (key, v) in [
        ("bill.recalculation", bill.recalculation),
        ("bill.benefit", bill.benefit),
        ("bill.paid", bill.paid),
        ("bill.penalty", bill.penalty),
    ] {
        if v != 0 {
            totals.push(ctx.tf(key, &[("sum", &money(v))]));
        }
    }
    totals.push(if bill.due >= 0 {
        ctx.tf(
            "bill.due",
            &[("sum", &money(bill.due)), ("date", &due_date(ctx, &bill))],
        )
    } else {
        ctx.tf("bill.overpaid", &[("sum", &money(-bill.due))])
    });
    text.push_str(&format!("\n\n{}", totals.join("\n")));
    let (id, code, loc) = (a.account_id, p.code(), ctx.loc);
    let mut rows = vec![ui::row(loc, "bill.receipt", AccountsCb::Receipt(id, code))];
    if let Some(owed) = to_pay(ctx, id, &bill).await? {
        rows.push(ui::row(loc, "bill.qr", AccountsCb::PayQr(id, code)));
        if let Some(link) = pay_link(ctx, &a.number, owed, p) {
            rows.push(vec![InlineKeyboardButton::url(ctx.t("bill.pay_online"), link)]);
        }
    }
    rows.push(ui::row(loc, "bill.question", TicketsCb::BillQuestion(id, code)));
    rows.push(ui::row(loc, "bill.history", AccountsCb::BillHistory(id)));
    rows.push(ui::row(loc, "account.to_card", AccountsCb::Account(id)));
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// PAYMENT_LINK with the account, the sum and the period filled in.
fn pay_link(ctx: &Ctx, number: &str, due: i64, p: Period) -> Option<url::Url> {
    let template = ctx.deps.config.payment_link.as_deref()?;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let sum = format!("{}.{:02}", due / 100, due % 100);
    let filled = template
        .replace("{account}", &enc(number))
        .replace("{sum}", &sum)
        .replace("{period}", &p.key());
    url::Url::parse(&filled).ok()
}

/// «История начислений»: 12 periods, each opening its bill.
pub async fn history(ctx: &Ctx, account_id: i64) -> Result<Outcome> {
    let Some(a) = owned(ctx, account_id).await? else {
        return not_found(ctx).await;
    };
    let bills = ctx.store().bills_of(account_id, HISTORY).await?;
    let mut text = ctx.tf("bill.history_title", &[("number", &esc(&a.number))]);
    let mut buttons = Vec::new();
    for b in &bills {
        let Some(p) = b.period() else { continue };
        text.push('\n');
        text.push_str(&ctx.tf(
            "bill.history_row",
            &[
                ("period", &wording::period(ctx.loc, p)),
                ("charged", &money(b.charged)),
                ("paid", &money(b.paid)),
                ("due", &money(b.due)),
            ],
        ));
        buttons.push(InlineKeyboardButton::callback(
            p.label(),
            AccountsCb::Bill(account_id, p.code()).encode(),
        ));
    }
    text.push_str(&format!("\n\n{}", ctx.t("bill.history_pick")));
    let mut rows: Vec<Vec<InlineKeyboardButton>> = buttons.chunks(3).map(<[_]>::to_vec).collect();
    rows.push(ui::row(ctx.loc, "account.to_card", AccountsCb::Account(account_id)));
    ctx.say_with(text, ui::inline(rows)).await?;
    Ok(Outcome::Done)
}

/// The caller's account's bill of a period (none: not theirs, or no such bill).
async fn bill_for(ctx: &Ctx, account_id: i64, code: u32) -> Result<Option<(Linked, BillRow, Period)>> {
    let (Some(a), Some(p)) = (owned(ctx, account_id).await?, Period::from_code(code)) else {
        return Ok(None);
    };
    Ok(ctx.store().bill_of(account_id, p).await?.map(|b| (a, b, p)))
}

/// «Квитанция»: the bill as a one-page PDF with the payment QR code.
pub async fn receipt(ctx: &Ctx, account_id: i64, code: u32) -> Result<Outcome> {
    let Some((a, bill, p)) = bill_for(ctx, account_id, code).await? else {
        return not_found(ctx).await;
    };
    let lines = ctx.store().bill_lines(bill.id).await?;
    let holder = ctx.store().account_holder(account_id).await?;
    let pay = to_pay(ctx, account_id, &bill).await?;
    let pdf = crate::receipt::pdf::for_bill(&crate::receipt::pdf::Source {
        config: &ctx.deps.config,
        loc: ctx.loc,
        number: &a.number,
        address: &a.address,
        holder: holder.as_deref(),
        period: p,
        bill: &bill,
        lines: &lines,
        pay,
    })
    .map_err(HandlerError::Making)?;
    let name = format!("receipt-{}-{}.pdf", a.number.replace('/', "-"), p.key());
    let caption = ctx.tf(
        "bill.receipt_caption",
        &[("period", &wording::period(ctx.loc, p)), ("number", &esc(&a.number))],
    );
    crate::bot::files::send_bytes(ctx, pdf, name, false, caption);
    Ok(Outcome::Done)
}

/// The payment QR code alone, to scan from another phone.
pub async fn pay_qr(ctx: &Ctx, account_id: i64, code: u32) -> Result<Outcome> {
    let Some((a, bill, p)) = bill_for(ctx, account_id, code).await? else {
        return not_found(ctx).await;
    };
    let Some(owed) = to_pay(ctx, account_id, &bill).await? else {
        ctx.say(ctx.t("bill.nothing_to_pay")).await?;
        return Ok(Outcome::Done);
    };
    let Ok(text) = crate::receipt::payment_text(&ctx.deps.config, &a.number, p, owed) else {
        ctx.say(ctx.t("bill.no_details")).await?;
        return Ok(Outcome::Done);
    };
    let png = crate::receipt::qr_png(&text, 8).map_err(HandlerError::Making)?;
    let caption = ctx.tf(
        "bill.qr_caption",
        &[
            ("number", &esc(&a.number)),
            ("period", &wording::period(ctx.loc, p)),
            ("sum", &money(owed)),
        ],
    );
    crate::bot::files::send_bytes(ctx, png, format!("qr-{}.png", p.key()), true, caption);
    Ok(Outcome::Done)
}
