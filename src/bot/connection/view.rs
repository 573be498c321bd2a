//! How an application reads: field labels and questions, stored values as people read them,
//! the applicant's lines. For the form and the section alike.

use crate::bot::ctx::Ctx;
use crate::bot::ui::esc;
pub use crate::wording::{display, label, question};

/// The applicant as the summary names them (from the profile).
pub fn applicant_lines(ctx: &Ctx) -> String {
    let Some(u) = ctx.user() else { return String::new() };
    let no_phone = ctx.t("profile.no_phone");
    ctx.tf(
        "conn.applicant",
        &[
            ("name", &esc(u.name.as_deref().unwrap_or_default())),
            ("login_name", &crate::wording::login_name(ctx.loc, u.kind)),
            ("login", &crate::domain::ids::mask_digits(u.login())),
            ("email", &esc(u.email())),
            ("phone", &esc(u.phone.as_deref().unwrap_or(&no_phone))),
        ],
    )
}
