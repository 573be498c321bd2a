//! How an application reads: field labels and questions, stored values as people read them,
//! the applicant's lines. For the form and the section alike.

use crate::bot::ctx::Ctx;
use crate::bot::ui::{self, esc};
use crate::domain::connection::{self as conn, ConnKind};
use crate::i18n::t;
use chrono::NaiveDate;

/// The label of a field in this form: «Наименование ЭУ» for electricity.
pub fn label(loc: &str, kind: ConnKind, key: &str) -> String {
    if key == "object_name" && kind == ConnKind::Electricity {
        return t(loc, "conn.f.object_name_eu");
    }
    t(loc, &format!("conn.f.{key}"))
}

pub fn question(loc: &str, kind: ConnKind, key: &str) -> String {
    if key == "object_name" && kind == ConnKind::Electricity {
        return t(loc, "conn.q.object_name_eu");
    }
    t(loc, &format!("conn.q.{key}"))
}

/// A stored value as the person reads it.
pub fn display(loc: &str, field: &conn::Field, value: &str) -> String {
    match field.input {
        conn::Input::Choice(_) => t(loc, &format!("conn.opt.{}.{}", field.key, value.replace('.', "_"))),
        conn::Input::Multi(_) => value
            .split(',')
            .map(|v| t(loc, &format!("conn.opt.{}.{v}", field.key)))
            .collect::<Vec<_>>()
            .join(", "),
        conn::Input::YesNo => t(loc, if value == "yes" { "conn.yes" } else { "conn.no" }),
        conn::Input::Date { .. } => date_text(value),
        conn::Input::Stages => value
            .split('|')
            .enumerate()
            .map(|(i, s)| {
                let p: Vec<&str> = s.split(';').collect();
                crate::i18n::tf(
                    loc,
                    "conn.stage_line",
                    &[
                        ("n", &(i + 1).to_string()),
                        ("design", &date_text(p.first().unwrap_or(&""))),
                        ("commission", &date_text(p.get(1).unwrap_or(&""))),
                        ("kw", p.get(2).unwrap_or(&"")),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => value.to_owned(),
    }
}

pub fn date_text(v: &str) -> String {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| v.to_owned())
}

/// The applicant as the summary names them (from the profile).
pub fn applicant_lines(ctx: &Ctx) -> String {
    let Some(u) = ctx.user() else { return String::new() };
    let no_phone = ctx.t("profile.no_phone");
    ctx.tf(
        "conn.applicant",
        &[
            ("name", &esc(u.name.as_deref().unwrap_or_default())),
            ("login_name", &ui::login_name(ctx.loc, u.kind)),
            ("login", &crate::domain::ids::mask_digits(u.login())),
            ("email", &esc(u.email())),
            ("phone", &esc(u.phone.as_deref().unwrap_or(&no_phone))),
        ],
    )
}
