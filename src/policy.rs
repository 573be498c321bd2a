//! The business limits in one place: how much one person or chat may do in a period, how many
//! files, of which types and sizes. The bot enforces them; they are here so that one page says
//! what the utility allows (and tests and the sandbox name them rather than copy them).

use chrono::Duration;

// ---------------------------------------------------------------- consumers

/// Registrations submitted from one chat per day (each sends a letter).
pub const REGISTRATIONS_PER_DAY: i64 = 5;
/// Wrong passwords for one login from one chat before that chat's attempts at it are locked.
pub const PASSWORD_FAILURES: i64 = 5;
/// How long such a lock lasts.
pub const PASSWORD_LOCK: Duration = Duration::minutes(15);
/// Wrong passwords from one chat per hour, whatever the login: against trying many consumers.
pub const CHAT_PASSWORD_FAILURES_PER_HOUR: i64 = 20;
/// «Забыли пароль?» requests one chat may make in a day, whatever the logins.
pub const RESETS_PER_CHAT_PER_DAY: i64 = 10;
/// A new e-mail code at most once a minute…
pub const CODE_COOLDOWN_SECS: i64 = 60;
/// …and six a day (the first and five resends) per consumer, purpose and chat.
pub const CODES_PER_DAY: i64 = 6;
/// Letters with a code to one address per day, from all chats together: nobody can bury a
/// mailbox in the utility's letters.
pub const LETTERS_PER_ADDRESS_PER_DAY: i64 = 20;
/// Wrong passwords for one login from all chats in a day before each next try waits, the
/// wait doubling from a minute (the owner gets past with «Забыли пароль?»).
pub const LOGIN_FAILURES_FREE: i64 = 10;
/// The longest such wait.
pub const LOGIN_WAIT_MAX: Duration = Duration::hours(12);
/// After this many wrong passwords for a login in a day, its owner is told (in every chat and
/// by e-mail), once a day.
pub const OWNER_TOLD_AFTER: i64 = 5;
/// Logins checked for «уже зарегистрирован» from one chat per hour while registering.
pub const LOGIN_CHECKS_PER_HOUR: i64 = 10;
/// Wrong proofs of a personal account (a meter's serial, a bill's amount) by one consumer
/// before adding accounts is locked for `PROOF_LOCK`…
pub const PROOF_FAILURES: i64 = 5;
pub const PROOF_LOCK: Duration = Duration::minutes(15);
/// Proofs one consumer may try in a day, right or wrong, never taken back.
pub const PROOF_TRIES_PER_DAY: i64 = 20;
/// …and wrong proofs for one account from every consumer in a day, after which it cannot be
/// added that day (nobody guesses a stranger's account from many registrations).
pub const ACCOUNT_PROOF_FAILURES_PER_DAY: i64 = 10;
/// Personal accounts one consumer may have (a landlord's flats included).
pub const ACCOUNTS_MAX: usize = 30;
/// Addresses one consumer may subscribe to in «Отключения».
pub const OUTAGE_SUBSCRIPTIONS_MAX: usize = 5;
/// Login disputes («Это мой номер») one chat may file a day.
pub const DISPUTES_PER_DAY: i64 = 3;
/// The comment of a dispute, in characters.
pub const DISPUTE_COMMENT_MAX: usize = 1000;

// ---------------------------------------------------------------- meters

/// Meters one consumer may have at once.
pub const MAX_ACTIVE_METERS: i64 = 50;
/// Requests on meters (reading taking, commissioning, replacement) per consumer per day.
pub const METER_REQUESTS_PER_DAY: i64 = 10;
/// Files attached to one request on a meter.
pub const METER_REQUEST_FILES: usize = 10;

// ---------------------------------------------------------------- appeals and applications

/// Appeals, complaints, requests and document requests per consumer per day.
pub const TICKETS_PER_DAY: i64 = 10;
/// «Дополнить» and «Не решено» messages per consumer per day.
pub const FOLLOW_UPS_PER_DAY: i64 = 30;
/// Files attached to one ticket message.
pub const TICKET_FILES: usize = 10;
/// Connection applications per consumer per day.
pub const CONNECTIONS_PER_DAY: i64 = 5;
/// «Дополнить заявку» messages per consumer per day (each goes to the operators' group with
/// its files).
pub const CONNECTION_ADDITIONS_PER_DAY: i64 = 30;
/// Entries one field of a form takes (a connection's stages): the form is not a notebook.
pub const ENTRIES_PER_FIELD: usize = 20;
/// Files attached to one connection application (or one addition to it).
pub const CONNECTION_FILES: usize = 20;

// ---------------------------------------------------------------- files

/// The largest file a person may attach (Telegram's own download limit for bots).
pub const MAX_FILE_BYTES: u32 = 20 * 1024 * 1024;

/// Photos and PDF: what meter papers are sent as (MIME types and file-name endings).
pub const PHOTO_OR_PDF: &[&str] = &[
    "application/pdf",
    ".pdf",
    "image/jpeg",
    "image/png",
    ".jpg",
    ".jpeg",
    ".png",
];

/// Photos, PDF and Word documents: what goes with an appeal.
pub const TICKET_TYPES: &[&str] = &[
    "application/pdf",
    ".pdf",
    "image/jpeg",
    "image/png",
    ".jpg",
    ".jpeg",
    ".png",
    "application/msword",
    ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
];

/// Photos, PDF, Word and Excel documents: what goes with a connection application.
pub const CONNECTION_TYPES: &[&str] = &[
    "application/pdf",
    ".pdf",
    "image/jpeg",
    "image/png",
    ".jpg",
    ".jpeg",
    ".png",
    "application/msword",
    ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
    "application/vnd.ms-excel",
    ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
];
