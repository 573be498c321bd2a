//! The dialogue state: only the form in progress. Everything durable lives in real tables.

use crate::callback::{MeterField, ReplaceReason, TimeOfDay};
use crate::domain::ApplicantKind;
use crate::domain::quantity::Quantity;
use crate::store::meters::{FileRef, NewMeter};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum State {
    /// Nothing in progress: what a message means depends on whether the chat is signed in.
    #[default]
    Idle,
    /// Produced by the storage when a stored state no longer fits the code; never stored.
    #[serde(skip)]
    Stale,
    Registration {
        step: RegStep,
        form: RegForm,
    },
    LoginId,
    LoginPassword {
        login: String,
    },
    ResetLogin,
    ResetCode {
        account_id: Option<i64>,
        /// Wrong codes typed, for a login with no account (its answers mimic a real code's).
        #[serde(default)]
        attempts: u8,
    },
    ResetPassword {
        account_id: i64,
        login: String,
    },
    ResetPasswordRepeat {
        account_id: i64,
        hash: String,
    },
    EditName,
    EditPhone,
    /// «E-mail» asks the current password first.
    EditEmailPassword,
    EditEmail,
    EditEmailCode {
        email: String,
    },
    ChangePwCurrent,
    ChangePwNew,
    ChangePwRepeat {
        hash: String,
    },
    /// Deletion asks the password.
    DeleteConfirm,
    AddMeter {
        step: MeterStep,
        form: NewMeter,
    },
    /// Values typed so far, one per zone; `rollover` marks a zone confirmed as passing zero.
    Reading {
        meter_id: i64,
        values: Vec<Quantity>,
        rollover: Vec<bool>,
        /// A lower value waiting for «перешёл через ноль?».
        #[serde(default)]
        pending: Option<Quantity>,
        /// All zones typed; waiting for the person to confirm (replacement or anomaly).
        #[serde(default)]
        confirming: bool,
    },
    ReadingPhoto {
        meter_id: i64,
    },
    MeterReq {
        meter_id: i64,
        kind: ReqKind,
        step: ReqStep,
        form: ReqForm,
    },
    MeterEditValue {
        meter_id: i64,
        field: MeterField,
    },
    TicketNew {
        kind: crate::domain::tickets::TicketKind,
        form: TicketForm,
    },
    ConnForm {
        kind: crate::domain::connection::ConnKind,
        form: ConnDraft,
    },
    /// «Дополнить заявку»: text and files, then «Отправить».
    ConnAdd {
        app_id: i64,
        text: Option<String>,
        #[serde(default)]
        files: Vec<FileRef>,
    },
    /// «Это мой номер»: a dispute about a login someone else holds.
    Dispute {
        login: String,
        kind: ApplicantKind,
        step: DisputeStep,
        form: DisputeForm,
    },
    /// «Дополнить» (or «Не решено» with `reopen`): text and files, then «Отправить».
    TicketFollowUp {
        ticket_id: i64,
        reopen: bool,
        text: Option<String>,
        #[serde(default)]
        files: Vec<FileRef>,
    },
}

impl State {
    /// The next message is a password: it is taken as typed (even when it starts with «/»)
    /// and deleted from the chat.
    pub fn wants_secret(&self) -> bool {
        matches!(
            self,
            State::Registration {
                step: RegStep::Password | RegStep::PasswordRepeat,
                ..
            } | State::LoginPassword { .. }
                | State::ResetPassword { .. }
                | State::ResetPasswordRepeat { .. }
                | State::ChangePwCurrent
                | State::ChangePwNew
                | State::ChangePwRepeat { .. }
                | State::EditEmailPassword
                | State::DeleteConfirm
        )
    }

    /// A stored state; one written by an older version that no longer fits becomes `Stale`:
    /// the handler resets the person to the menu with a word of explanation, never silence.
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or(State::Stale)
    }
}

/// A ticket being filled in. `done` lists the steps answered (or skipped), in order, so
/// «Назад» undoes the last one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    pub done: Vec<TicketStep>,
    pub topic: Option<String>,
    pub text: Option<String>,
    pub address: Option<String>,
    pub meter_id: Option<i64>,
    pub meter_label: Option<String>,
    pub violation_at: Option<String>,
    #[serde(default)]
    pub files: Vec<FileRef>,
    pub email_copy: Option<bool>,
    pub doc_type: Option<String>,
    /// Chose «другое»: the type is typed next.
    #[serde(default)]
    pub doc_type_other: bool,
    pub period: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStep {
    Topic,
    Text,
    Address,
    Meter,
    ViolationAt,
    Files,
    EmailCopy,
    DocType,
    DocTypeOther,
    Period,
    Comment,
    Summary,
}

impl TicketStep {
    pub fn steps(kind: crate::domain::tickets::TicketKind) -> &'static [TicketStep] {
        use crate::domain::tickets::TicketKind::*;
        use TicketStep::*;
        match kind {
            Appeal => &[Topic, Text, Address, Meter, Files, EmailCopy, Summary],
            Complaint => &[Topic, Text, Address, Meter, ViolationAt, Files, EmailCopy, Summary],
            Request => &[Topic, Text, Files, EmailCopy, Summary],
            Document => &[DocType, DocTypeOther, Period, Comment, Summary],
        }
    }
}

impl TicketForm {
    /// The first step not answered yet («другое» alone asks for the typed document type).
    pub fn next(&self, kind: crate::domain::tickets::TicketKind) -> TicketStep {
        TicketStep::steps(kind)
            .iter()
            .copied()
            .find(|s| !self.done.contains(s) && (*s != TicketStep::DocTypeOther || self.doc_type_other))
            .unwrap_or(TicketStep::Summary)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterStep {
    Resource,
    Serial,
    Model,
    Place,
    Address,
    Zones,
    Capacity,
    Verification,
    Initial,
    Summary,
}

impl MeterStep {
    /// The steps in the order they are asked.
    pub const ALL: [MeterStep; 10] = [
        MeterStep::Resource,
        MeterStep::Serial,
        MeterStep::Model,
        MeterStep::Place,
        MeterStep::Address,
        MeterStep::Zones,
        MeterStep::Capacity,
        MeterStep::Verification,
        MeterStep::Initial,
        MeterStep::Summary,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReqKind {
    ReadingTaking,
    Commissioning,
    Replacement,
}

impl ReqKind {
    pub fn typed(self) -> crate::domain::items::MeterRequestKind {
        use crate::domain::items::MeterRequestKind as K;
        match self {
            Self::ReadingTaking => K::ReadingTaking,
            Self::Commissioning => K::Commissioning,
            Self::Replacement => K::Replacement,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadingTaking => "reading_taking",
            Self::Commissioning => "commissioning",
            Self::Replacement => "replacement",
        }
    }

    /// The steps of each request, in order.
    pub fn steps(self) -> &'static [ReqStep] {
        use ReqStep::*;
        match self {
            Self::ReadingTaking => &[Date, TimeOfDay, Comment, Summary],
            Self::Commissioning => &[InstallDate, Installer, Seal, Readings, Date, TimeOfDay, Files, Summary],
            Self::Replacement => &[Reason, Date, Comment, Summary],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReqStep {
    Reason,
    ReasonText,
    InstallDate,
    Installer,
    Seal,
    Readings,
    Date,
    TimeOfDay,
    Comment,
    Files,
    Summary,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReqForm {
    pub preferred_date: Option<chrono::NaiveDate>,
    pub time_of_day: Option<TimeOfDay>,
    pub comment: Option<String>,
    pub install_date: Option<chrono::NaiveDate>,
    pub installer: Option<String>,
    pub seal: Option<String>,
    #[serde(default)]
    pub readings: Vec<Quantity>,
    #[serde(default)]
    pub files: Vec<FileRef>,
    pub reason: Option<ReplaceReason>,
    pub reason_text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegStep {
    Consent,
    Kind,
    Login,
    Name,
    Email,
    Password,
    PasswordRepeat,
    Summary,
    Fix,
}

/// What the person has entered so far. The password is kept only as its argon2 hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegForm {
    pub consent_at: Option<DateTime<Utc>>,
    pub kind: Option<ApplicantKind>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The first entry of the password, waiting for the repeat.
    pub first_hash: Option<String>,
    pub password_hash: Option<String>,
    /// Came here with «Исправить»: after this step, back to the summary.
    #[serde(default)]
    pub editing: bool,
    /// A login typed here that a confirmed account holds: «Это мой номер» disputes it.
    #[serde(default)]
    pub taken_login: Option<String>,
}

impl RegForm {
    /// The step that asks for the first field still missing; the summary when none is.
    pub fn next_step(&self) -> RegStep {
        if self.consent_at.is_none() {
            RegStep::Consent
        } else if self.kind.is_none() {
            RegStep::Kind
        } else if self.login.is_none() {
            RegStep::Login
        } else if self.name.is_none() {
            RegStep::Name
        } else if self.email.is_none() {
            RegStep::Email
        } else if self.password_hash.is_none() {
            RegStep::Password
        } else {
            RegStep::Summary
        }
    }

    /// «Назад»: the step before this one (or the summary while correcting a field).
    pub fn previous(&self, step: RegStep) -> Option<RegStep> {
        if self.editing && step != RegStep::Summary && self.next_step() == RegStep::Summary {
            return Some(RegStep::Summary);
        }
        match step {
            RegStep::Consent => None,
            RegStep::Kind => Some(RegStep::Consent),
            RegStep::Login => Some(RegStep::Kind),
            RegStep::Name => Some(RegStep::Login),
            RegStep::Email => Some(RegStep::Name),
            RegStep::Password => Some(RegStep::Email),
            RegStep::PasswordRepeat => Some(RegStep::Password),
            RegStep::Summary => Some(RegStep::Password),
            RegStep::Fix => Some(RegStep::Summary),
        }
    }

    /// A new applicant kind changes what the login and the name mean: both are asked again.
    pub fn set_kind(&mut self, kind: ApplicantKind) {
        if self.kind != Some(kind) {
            let was_org = self.kind == Some(ApplicantKind::Legal);
            self.kind = Some(kind);
            self.login = None;
            if was_org != (kind == ApplicantKind::Legal) {
                self.name = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_unknown_json_is_an_error() {
        let s = State::Registration {
            step: RegStep::Name,
            form: RegForm {
                kind: Some(ApplicantKind::Legal),
                ..Default::default()
            },
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), s);
        assert!(serde_json::from_str::<State>(r#"{"s":"no_such_step"}"#).is_err());
    }

    #[test]
    fn changing_kind_clears_login_and_name_when_meaning_changes() {
        let mut f = RegForm {
            kind: Some(ApplicantKind::Individual),
            login: Some("11223344595".into()),
            name: Some("Иванов Иван".into()),
            ..Default::default()
        };
        f.set_kind(ApplicantKind::Entrepreneur);
        assert_eq!(f.login, None);
        assert!(f.name.is_some());
        f.set_kind(ApplicantKind::Legal);
        assert_eq!(f.name, None);
    }
}

/// A connection application being filled in; also what is kept as the draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnDraft {
    #[serde(default)]
    pub values: crate::domain::connection::Values,
    /// Optional fields passed with «Пропустить».
    #[serde(default)]
    pub skipped: Vec<String>,
    /// Fields in the order they were answered: «Назад» undoes the last.
    #[serde(default)]
    pub order: Vec<String>,
    #[serde(default)]
    pub files: Vec<FileRef>,
    #[serde(default)]
    pub files_done: bool,
    /// A field re-entered from the summary.
    #[serde(default)]
    pub editing: Option<String>,
    /// A multiple choice or the stages, while being collected.
    #[serde(default)]
    pub pending: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStep {
    Name,
    Email,
    Phone,
    Comment,
    Summary,
}

/// What the person who disputes a login tells the operators.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DisputeForm {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub comment: Option<String>,
}
