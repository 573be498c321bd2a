//! `kabinet check`: the configuration read as `run` reads it, verified without starting the
//! bot — the token, the database, e-mail, the operators' group — one line per check with ✓ or
//! ✗ and what to do.

use crate::config::Config;
use crate::mail::Mailer;
use crate::store::Store;
use std::io::Write;
use teloxide::prelude::*;
use teloxide::types::{ChatMemberKind, UserId};

/// One verified thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub ok: bool,
    pub what: &'static str,
    pub detail: String,
}

fn good(what: &'static str, detail: impl Into<String>) -> Line {
    Line {
        ok: true,
        what,
        detail: detail.into(),
    }
}

fn bad(what: &'static str, detail: impl Into<String>) -> Line {
    Line {
        ok: false,
        what,
        detail: detail.into(),
    }
}

/// Runs every check, prints a line each to `out`; true when all passed.
pub async fn run(config: &Config, send_test_mail: Option<&str>, mut out: impl Write) -> anyhow::Result<bool> {
    let mut lines = Vec::new();
    let me = telegram(config, &mut lines).await;
    database(config, &mut lines).await;
    mail(config, send_test_mail, &mut lines).await;
    group(config, me.as_ref(), &mut lines).await;
    payment(config, &mut lines);
    for l in &lines {
        writeln!(out, "{} {}: {}", if l.ok { "✓" } else { "✗" }, l.what, l.detail)?;
    }
    Ok(lines.iter().all(|l| l.ok))
}

fn bot_of(config: &Config) -> Option<Bot> {
    let token = config.telegram_token.clone().filter(|t| !t.trim().is_empty())?;
    let mut bot = Bot::new(token);
    if let Some(url) = &config.telegram_api_url {
        bot = bot.set_api_url(url.clone());
    }
    Some(bot)
}

async fn telegram(config: &Config, lines: &mut Vec<Line>) -> Option<(Bot, UserId)> {
    const WHAT: &str = "Telegram token";
    let Some(bot) = bot_of(config) else {
        lines.push(bad(WHAT, "TELOXIDE_TOKEN is not set: get a token from @BotFather"));
        return None;
    };
    match bot.get_me().await {
        Ok(me) => {
            let name = me.username.clone().unwrap_or_default();
            lines.push(good(WHAT, format!("getMe answers: @{name}")));
            Some((bot, me.id))
        }
        Err(e) => {
            lines.push(bad(
                WHAT,
                format!("getMe failed ({e}): check TELOXIDE_TOKEN, TELOXIDE_API_URL and the way out to the Bot API"),
            ));
            None
        }
    }
}

/// The payment details receipts carry: all or none, the accounts' keys matching the BIC.
fn payment(config: &Config, lines: &mut Vec<Line>) {
    const WHAT: &str = "Payment details";
    let problems = config.payment_problems();
    if !problems.is_empty() {
        lines.push(bad(WHAT, problems.join("; ")));
    } else if let (Some(bic), Some(acc), Some(inn)) = (&config.bank_bic, &config.bank_account, &config.org_inn) {
        lines.push(good(
            WHAT,
            format!("INN {inn}, BIC {bic}, account {acc}: check digits and keys agree"),
        ));
    } else {
        lines.push(good(
            WHAT,
            "not set: receipts will have no payment QR code (ORG_INN, ORG_KPP, BANK_*)",
        ));
    }
}

async fn database(config: &Config, lines: &mut Vec<Line>) {
    const WHAT: &str = "Database";
    let url = &config.database_url;
    let store = match Store::connect_existing(url).await {
        Ok(s) => s,
        Err(e) => {
            lines.push(bad(
                WHAT,
                format!(
                    "cannot open DATABASE_URL={} ({e}): `kabinet migrate` creates it, or fix the path",
                    crate::store::shown_url(url)
                ),
            ));
            return;
        }
    };
    match store.server().await {
        Ok(s) if s.standby => lines.push(bad(
            "Database server",
            format!(
                "{} is a standby (read-only): point DATABASE_URL at the primary",
                s.version
            ),
        )),
        Ok(s) => lines.push(good("Database server", s.to_string())),
        Err(e) => lines.push(bad("Database server", format!("cannot ask the server ({e})"))),
    }
    match store.migration_state().await {
        Ok(m) if m.unknown > 0 => lines.push(bad(
            WHAT,
            format!(
                "{} migrations were applied by a newer version: run that version, or restore the backup taken before the upgrade",
                m.unknown
            ),
        )),
        Ok(m) if m.pending > 0 => lines.push(good(
            WHAT,
            format!(
                "{} migrations applied, {} new ones run at the next start (or now: `kabinet migrate`)",
                m.applied, m.pending
            ),
        )),
        Ok(m) => lines.push(good(WHAT, format!("{} migrations applied, up to date", m.applied))),
        Err(e) => {
            lines.push(bad(WHAT, format!("cannot read the migrations ({e})")));
            return;
        }
    }
    match store.writable().await {
        Ok(()) => lines.push(good("Database writable", crate::store::shown_url(url))),
        Err(e) => lines.push(bad(
            "Database writable",
            format!("{e}: the bot's user needs write access to the file and its folder"),
        )),
    }
    match store.operators().await {
        Ok(ops) if ops.is_empty() => lines.push(bad(
            "Operators",
            "none yet: `kabinet operator add <telegram user id> --name …`",
        )),
        Ok(ops) => lines.push(good("Operators", format!("{} can answer in the group", ops.len()))),
        Err(_) => {}
    }
}

async fn mail(config: &Config, send_test_mail: Option<&str>, lines: &mut Vec<Line>) {
    let mailer = match Mailer::new(config.smtp_url.as_deref(), &config.mail_dir, &config.mail_from) {
        Ok(m) => m,
        Err(e) => {
            lines.push(bad(
                "E-mail settings",
                format!("{e}: check MAIL_FROM («Name <address>»), SMTP_URL and MAIL_DIR"),
            ));
            return;
        }
    };
    lines.push(good("E-mail settings", format!("letters from {}", config.mail_from)));
    match &config.smtp_url {
        Some(url) => match lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url) {
            Ok(t) => match t.build::<lettre::Tokio1Executor>().test_connection().await {
                Ok(true) => lines.push(good("SMTP", "the server answers (connected, EHLO, login if configured)")),
                Ok(false) => lines.push(bad("SMTP", "connected, but the server does not answer NOOP")),
                Err(e) => lines.push(bad(
                    "SMTP",
                    format!("{e}: check the host, the port and the TLS mode in SMTP_URL (smtp://…?tls=required, smtps://…:465)"),
                )),
            },
            Err(e) => lines.push(bad("SMTP", format!("SMTP_URL does not parse ({e})"))),
        },
        None => {
            let probe = config.mail_dir.join(".kabinet-check");
            match std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe)) {
                Ok(()) => lines.push(good(
                    "SMTP",
                    format!("SMTP_URL is not set: letters go to {} as .eml files", config.mail_dir.display()),
                )),
                Err(e) => lines.push(bad("SMTP", format!("MAIL_DIR {} is not writable ({e})", config.mail_dir.display()))),
            }
        }
    }
    if let Some(to) = send_test_mail {
        let body = "Это проверочное письмо Kabinet (kabinet check --send-test-mail).";
        match mailer.send(to, "Kabinet: проверка почты", body).await {
            Ok(()) => lines.push(good("Test letter", format!("sent to {to}"))),
            Err(e) => lines.push(bad("Test letter", format!("not sent ({e})"))),
        }
    }
}

async fn group(config: &Config, me: Option<&(Bot, UserId)>, lines: &mut Vec<Line>) {
    const WHAT: &str = "Operators' group";
    let Some(chat) = config.operator_chat_id else {
        lines.push(bad(
            WHAT,
            "OPERATOR_CHAT_ID is not set: new items wait in the outbox; add the bot to the group and set its id (-100…)",
        ));
        return;
    };
    let Some((bot, bot_id)) = me else {
        lines.push(bad(WHAT, "not checked: the token does not work"));
        return;
    };
    // Telegram may have made it a supergroup (a new id) since OPERATOR_CHAT_ID was set: the
    // bot follows it (recorded in the database); the setting should too.
    let moved = match Store::connect_existing(&config.database_url).await {
        Ok(store) => store.chat_now(chat).await.ok().filter(|now| *now != chat),
        Err(_) => None,
    };
    let note = moved
        .map(|now| format!(" (OPERATOR_CHAT_ID={chat} became the supergroup {now}: the bot uses the new id; set OPERATOR_CHAT_ID={now})"))
        .unwrap_or_default();
    let chat = ChatId(moved.unwrap_or(chat));
    let title = match bot.get_chat(chat).await {
        Ok(c) => c.title().unwrap_or_default().to_owned(),
        Err(teloxide::RequestError::MigrateToChatId(to)) => {
            lines.push(bad(
                WHAT,
                format!("the group became the supergroup {to}: set OPERATOR_CHAT_ID={to} (the bot moves there by itself at its next card)"),
            ));
            return;
        }
        Err(e) => {
            lines.push(bad(
                WHAT,
                format!("{e}: add the bot to the group, then set OPERATOR_CHAT_ID to the group's id"),
            ));
            return;
        }
    };
    match bot.get_chat_member(chat, *bot_id).await.map(|m| m.kind) {
        Ok(ChatMemberKind::Owner(_) | ChatMemberKind::Administrator(_) | ChatMemberKind::Member(_)) => {
            lines.push(good(WHAT, format!("«{title}»: the bot is a member and can post{note}")))
        }
        Ok(ChatMemberKind::Restricted(r)) if r.can_send_messages && r.is_member => {
            lines.push(good(WHAT, format!("«{title}»: the bot is a member and can post{note}")))
        }
        Ok(ChatMemberKind::Restricted(_)) => lines.push(bad(
            WHAT,
            format!("«{title}»: the bot may not post there: lift its restriction in the group's settings"),
        )),
        Ok(ChatMemberKind::Left | ChatMemberKind::Banned(_)) => lines.push(bad(
            WHAT,
            format!("«{title}»: the bot is not in the group: add it again"),
        )),
        Err(e) => lines.push(bad(WHAT, format!("getChatMember failed ({e})"))),
    }
}
