//! Every setting: an environment variable (also read from `.env`) or the matching flag.
//! Invalid values stop the start with one line that names the setting.

use clap::Args;
use std::path::PathBuf;

/// `Debug` is written by hand below: the token, the SMTP URL (with its password) and the
/// webhook's secret never reach a log through `?config`.
#[derive(Clone, Args)]
pub struct Config {
    /// Bot token from @BotFather. Required by `run`.
    #[arg(long, env = "TELOXIDE_TOKEN", hide_env_values = true, global = true)]
    pub telegram_token: Option<String>,

    /// Bot API server address, for a local Bot API server (default: Telegram's).
    #[arg(long, env = "TELOXIDE_API_URL", value_parser = parse_url("TELOXIDE_API_URL"), global = true)]
    pub telegram_api_url: Option<url::Url>,

    /// Database. A SQLite file, created with its folder on first run.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/kabinet.db", value_parser = parse_db_url, global = true)]
    pub database_url: String,

    /// SMTP server in lettre's URL form, e.g. smtp://user:pass@host:587?tls=required.
    /// Unset: e-mails are written as .eml files to MAIL_DIR.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// Folder for .eml files when SMTP_URL is unset.
    #[arg(long, env = "MAIL_DIR", default_value = "data/mail", global = true)]
    pub mail_dir: PathBuf,

    /// Sender of the bot's e-mails.
    #[arg(long, env = "MAIL_FROM", default_value = "Kabinet <noreply@kabinet.invalid>", value_parser = parse_mailbox, global = true)]
    pub mail_from: String,

    /// Link to the personal data policy shown before consent.
    #[arg(long, env = "PRIVACY_POLICY_URL", default_value = "https://example.org/privacy", value_parser = parse_url("PRIVACY_POLICY_URL"), global = true)]
    pub privacy_policy_url: url::Url,

    /// Version of that policy, stored with each consent.
    #[arg(long, env = "PRIVACY_POLICY_VERSION", default_value = "1", global = true)]
    pub privacy_policy_version: String,

    /// The utility's name, in greetings and letters. Unset: the welcome says «личный кабинет
    /// потребителя» alone and letters are signed with that.
    #[arg(long, env = "ORG_NAME", global = true)]
    pub org_name: Option<String>,
    /// The name in English texts (`ORG_NAME` there when unset).
    #[arg(long, env = "ORG_NAME_EN", global = true)]
    pub org_name_en: Option<String>,

    /// «Полезная информация»: phone.
    #[arg(long, env = "ORG_PHONE", global = true)]
    pub org_phone: Option<String>,
    /// «Полезная информация»: e-mail.
    #[arg(long, env = "ORG_EMAIL", global = true)]
    pub org_email: Option<String>,
    /// «Полезная информация»: office address.
    #[arg(long, env = "ORG_ADDRESS", global = true)]
    pub org_address: Option<String>,
    /// «Полезная информация»: office hours.
    #[arg(long, env = "ORG_HOURS", global = true)]
    pub org_hours: Option<String>,
    /// «Полезная информация»: web site.
    #[arg(long, env = "ORG_WEBSITE", global = true)]
    pub org_website: Option<String>,
    /// «Полезная информация»: the portal's web forms for connection applications.
    #[arg(long, env = "CONNECTION_FORMS_URL", global = true)]
    pub connection_forms_url: Option<String>,

    /// Language for users whose Telegram is not English: ru or en.
    #[arg(long, env = "DEFAULT_LOCALE", default_value = "ru", value_parser = parse_locale, global = true)]
    pub default_locale: String,

    /// First day of the month of the readings window.
    #[arg(long, env = "READINGS_FIRST_DAY", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=28), global = true)]
    pub readings_first_day: u32,

    /// Last day of the readings window: readings sent after it count for the next month.
    #[arg(long, env = "READINGS_LAST_DAY", default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=28), global = true)]
    pub readings_last_day: u32,

    /// The most a resource plausibly consumes a day, as resource=amount pairs (electricity in
    /// kWh, water in m³, heat in Gcal): a reading above it (times the days since the last) is
    /// shown back for a second look, and an export marks it if confirmed. `off`: no ceiling.
    #[arg(long, env = "CONSUMPTION_CEILING", default_value = crate::domain::consumption::Ceilings::DEFAULT,
          value_parser = crate::domain::consumption::Ceilings::parse, global = true)]
    pub consumption_ceiling: crate::domain::consumption::Ceilings,

    /// The utility's INN (10 digits, or 12 for an entrepreneur), for receipts' payment QR code.
    #[arg(long, env = "ORG_INN", value_parser = parse_inn, global = true)]
    pub org_inn: Option<String>,

    /// The utility's KPP (9 characters).
    #[arg(long, env = "ORG_KPP", value_parser = parse_kpp, global = true)]
    pub org_kpp: Option<String>,

    /// The bank the utility is paid through, as receipts name it.
    #[arg(long, env = "BANK_NAME", global = true)]
    pub bank_name: Option<String>,

    /// The bank's BIC (9 digits, 04…).
    #[arg(long, env = "BANK_BIC", value_parser = parse_bic, global = true)]
    pub bank_bic: Option<String>,

    /// The utility's settlement account at that bank (20 digits; its key is checked against
    /// BANK_BIC).
    #[arg(long, env = "BANK_ACCOUNT", value_parser = parse_twenty_digits("BANK_ACCOUNT"), global = true)]
    pub bank_account: Option<String>,

    /// The bank's correspondent account (20 digits, 301…; its key is checked against BANK_BIC).
    #[arg(long, env = "BANK_CORR_ACCOUNT", value_parser = parse_twenty_digits("BANK_CORR_ACCOUNT"), global = true)]
    pub bank_corr_account: Option<String>,

    /// What proves a personal account is the person's when it is linked: `meter` (a serial of
    /// one of its meters), `bill` (the last bill's amount), or both.
    #[arg(long, env = "ACCOUNT_PROOF", default_value = crate::domain::accounts::Proofs::DEFAULT,
          value_parser = crate::domain::accounts::Proofs::parse, global = true)]
    pub account_proof: crate::domain::accounts::Proofs,

    /// A link to pay a bill online, with {account}, {sum} (rubles, «1234.56») and {period}
    /// («2026-11») filled in; shown as «Оплатить онлайн» under a bill.
    #[arg(long, env = "PAYMENT_LINK", value_parser = parse_payment_link, global = true)]
    pub payment_link: Option<String>,

    /// Days before a bill's due date to remind a consumer with a debt (who turned the reminder
    /// on in «Профиль»); 0: no debt reminders.
    #[arg(long, env = "DEBT_REMINDER_DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=28), global = true)]
    pub debt_reminder_days: u32,

    /// The hour (the utility's time) from which consumers are reminded of tomorrow's planned
    /// outages at their addresses.
    #[arg(long, env = "OUTAGE_EVENING_HOUR", default_value_t = 18, value_parser = clap::value_parser!(u32).range(0..=23), global = true)]
    pub outage_evening_hour: u32,

    /// Outage notices and announcements sent with the Bot API's `allow_paid_broadcast`: up to
    /// 1,000 messages a second instead of 30, paid in Stars from the bot's balance.
    #[arg(long, env = "PAID_BROADCAST", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), global = true)]
    pub paid_broadcast: bool,

    /// «Частые вопросы»: a Markdown file of `## topic`, `### question` and answers, read again
    /// whenever it changes (no restart). Unset: no such section.
    #[arg(long, env = "FAQ_FILE", global = true)]
    pub faq_file: Option<std::path::PathBuf>,

    /// The utility's time zone as hours from UTC (dates of readings and requests).
    #[arg(long, env = "UTC_OFFSET_HOURS", default_value_t = 3, value_parser = clap::value_parser!(i32).range(-12..=14), global = true)]
    pub utc_offset_hours: i32,

    /// Topics of appeals and complaints, separated by «;» (default: a built-in list in the
    /// user's language).
    #[arg(long, env = "APPEAL_TOPICS", global = true)]
    pub appeal_topics: Option<String>,

    /// Topics of requests for information, separated by «;».
    #[arg(long, env = "REQUEST_TOPICS", global = true)]
    pub request_topics: Option<String>,

    /// Days to answer an appeal (shown to the person as the deadline).
    #[arg(long, env = "APPEAL_ANSWER_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365), global = true)]
    pub appeal_answer_days: u32,
    /// Days to answer a complaint.
    #[arg(long, env = "COMPLAINT_ANSWER_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365), global = true)]
    pub complaint_answer_days: u32,
    /// Days to answer a request for information.
    #[arg(long, env = "REQUEST_ANSWER_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365), global = true)]
    pub request_answer_days: u32,
    /// Days to deliver a requested copy of a document.
    #[arg(long, env = "DOCUMENT_ANSWER_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365), global = true)]
    pub document_answer_days: u32,

    /// Text shown after an electricity connection application is sent: the next step and the
    /// legal time frame (default: a built-in text).
    #[arg(long, env = "CONNECTION_NOTE_ELECTRICITY", global = true)]
    pub connection_note_electricity: Option<String>,
    /// The same for water supply and sewerage.
    #[arg(long, env = "CONNECTION_NOTE_WATER", global = true)]
    pub connection_note_water: Option<String>,
    /// The same for heat supply.
    #[arg(long, env = "CONNECTION_NOTE_HEAT", global = true)]
    pub connection_note_heat: Option<String>,

    /// The operators' group (a supergroup id, e.g. -1001234567890) where new items are posted
    /// and answered. Unset: items wait in the outbox until it is set.
    #[arg(long, env = "OPERATOR_CHAT_ID", allow_hyphen_values = true, global = true)]
    pub operator_chat_id: Option<i64>,

    /// Departments: kinds of items (connection, meter_request, meter, appeal, complaint,
    /// request, document, dispute, billing, outage) or `topic:<name>` mapped to their own operators'
    /// groups, `what=group id` separated by «;»; the rest go to OPERATOR_CHAT_ID.
    #[arg(long, env = "OPERATOR_CHATS", allow_hyphen_values = true, value_parser = parse_routes, global = true)]
    pub operator_chats: Option<crate::domain::routes::Routes>,

    /// In an operators' group that is a forum (topics on), each kind of item in a topic of its
    /// own, made by the bot (it needs the right to manage topics); elsewhere no change.
    #[arg(long, env = "OPERATOR_TOPICS", default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), global = true)]
    pub operator_topics: bool,

    /// Day of the month when the reading reminder goes to those who have not sent readings.
    #[arg(long, env = "READINGS_REMINDER_DAY", default_value_t = 22, value_parser = clap::value_parser!(u32).range(1..=28), global = true)]
    pub readings_reminder_day: u32,

    /// Seconds between checks for due reminders.
    #[arg(long, env = "REMINDER_INTERVAL_SECONDS", default_value_t = 3600, global = true)]
    pub reminder_interval_seconds: u64,

    /// Seconds between housekeeping rounds: status choices on the desk older than 10 minutes
    /// lapse (the group is told); old records are pruned (at most hourly).
    #[arg(long, env = "MAINTENANCE_INTERVAL_SECONDS", default_value_t = 60, global = true)]
    pub maintenance_interval_seconds: u64,

    /// Seconds between delivery attempts of a queued e-mail or message, comma-separated; the
    /// last one repeats.
    #[arg(long, env = "OUTBOX_RETRY_SECONDS", default_value = "5,30,120,600,1800", value_parser = parse_schedule, global = true)]
    pub outbox_retry_seconds: Schedule,

    /// Attempts after which a queued item is kept as failed.
    #[arg(long, env = "OUTBOX_MAX_ATTEMPTS", default_value_t = 50, global = true)]
    pub outbox_max_attempts: i64,

    /// Keep Telegram's sending limits on our side (`on`: about 29 messages/s overall, short
    /// bursts then 1/s in a chat, 19/min in a group). `off` only for a local Bot API server that
    /// has no limits (tests).
    #[arg(long, env = "TELEGRAM_LIMITS", default_value = "on", value_parser = ["on", "off"], global = true)]
    pub telegram_limits: String,

    /// Updates a chat may send at once (an album, a few quick presses) before the bot stops
    /// handling its excess and says so once; then CHAT_UPDATES_PER_MINUTE. The operators'
    /// group gets three times both.
    #[arg(long, env = "CHAT_UPDATES_BURST", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub chat_updates_burst: u32,
    /// Letters the bot sends an hour, to all addresses together; more wait in the outbox.
    #[arg(long, env = "MAIL_PER_HOUR", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub mail_per_hour: u32,
    /// Updates a chat may send a minute, sustained (people send a few).
    #[arg(long, env = "CHAT_UPDATES_PER_MINUTE", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub chat_updates_per_minute: u32,

    /// Receive updates by webhook at this public https URL (behind a reverse proxy that ends
    /// TLS), e.g. https://bot.example.ru/tg. Unset: long polling (and any webhook is removed).
    #[arg(long, env = "WEBHOOK_URL", global = true)]
    pub webhook_url: Option<url::Url>,
    /// Where the webhook server listens (the proxy's upstream), e.g. 127.0.0.1:8443.
    #[arg(long = "listen", env = "WEBHOOK_LISTEN", global = true)]
    pub webhook_listen: Option<std::net::SocketAddr>,
    /// The secret Telegram sends with each webhook request (1–256 of A-Z, a-z, 0-9, _ and -).
    /// Unset: a random one at each start.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true, value_parser = parse_webhook_secret, global = true)]
    pub webhook_secret: Option<String>,

    /// Where to serve /healthz, /readyz and /metrics (Prometheus), e.g. 127.0.0.1:9090. Unset:
    /// not served. Keep it on loopback or a private network.
    #[arg(long, env = "METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// A folder for scheduled backups (consistent online copies, gzip-compressed). Unset: no
    /// scheduled backups (`kabinet backup` still works).
    #[arg(long, env = "BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,
    /// Hours between scheduled backups (fractions allowed); one is taken at start when the
    /// newest is older than this.
    #[arg(long, env = "BACKUP_EVERY_HOURS", default_value_t = 24.0, global = true)]
    pub backup_every_hours: f64,
    /// How many scheduled backups to keep (the oldest go first).
    #[arg(long, env = "BACKUP_KEEP", default_value_t = 14, global = true)]
    pub backup_keep: usize,

    /// Log lines as text, or as one JSON object a line for log collectors (`json`): each line
    /// of a handled update carries its `update` id and `chat`.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    pub log_format: String,
}

impl Config {
    /// The utility's name as configured for this language, if it is.
    pub fn org_named(&self, loc: &str) -> Option<&str> {
        let en = if loc == "en" { self.org_name_en.as_deref() } else { None };
        en.or(self.org_name.as_deref()).map(str::trim).filter(|s| !s.is_empty())
    }

    /// What signs a letter: the name as configured, else «Личный кабинет потребителя».
    pub fn org_signature(&self, loc: &str) -> String {
        self.org_named(loc)
            .map(str::to_owned)
            .unwrap_or_else(|| crate::i18n::t(loc, "org.unnamed"))
    }

    /// A moment in the utility's time zone.
    pub fn local(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
        (at + chrono::Duration::hours(i64::from(self.utc_offset_hours))).naive_utc()
    }

    /// A moment's date in the utility's time zone, as people write it (28.11.2026).
    pub fn local_date(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        self.local(at).format("%d.%m.%Y").to_string()
    }

    /// Today in the utility's time zone.
    pub fn today(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        self.local(now).date()
    }

    /// The start of today in the utility's time zone, as a moment.
    pub fn local_midnight(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        self.today(now).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
            - chrono::Duration::hours(i64::from(self.utc_offset_hours))
    }

    /// The door's limits (`CHAT_UPDATES_BURST`, `CHAT_UPDATES_PER_MINUTE`).
    pub fn door_limits(&self) -> crate::door::DoorLimits {
        let burst = f64::from(self.chat_updates_burst);
        let per_sec = f64::from(self.chat_updates_per_minute) / 60.0;
        crate::door::DoorLimits {
            chat_burst: burst,
            chat_per_sec: per_sec,
            group_burst: burst * 3.0,
            group_per_sec: per_sec * 3.0,
            ..Default::default()
        }
    }

    /// The sending limits `TELEGRAM_LIMITS` asks for.
    pub fn send_limits(&self) -> crate::telegram::Limits {
        match self.telegram_limits.as_str() {
            "off" => crate::telegram::Limits::unlimited(),
            _ => crate::telegram::Limits::default(),
        }
    }

    /// «Полезная информация»: the utility's contacts as configured, by label key.
    pub fn useful_info(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("info.phone", &self.org_phone),
            ("info.email", &self.org_email),
            ("info.address", &self.org_address),
            ("info.hours", &self.org_hours),
            ("info.website", &self.org_website),
            ("info.connection_forms", &self.connection_forms_url),
        ]
    }

    /// Something to show under «Полезная информация» (else the service is not offered).
    pub fn has_useful_info(&self) -> bool {
        self.useful_info()
            .iter()
            .any(|(_, v)| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }

    /// The payment details receipts carry, checked together: none set is fine (receipts then
    /// have no payment QR code); some set means all, and the accounts' control keys must match
    /// the BIC. Each problem names its setting.
    pub fn payment_problems(&self) -> Vec<String> {
        let set = [
            ("ORG_INN", &self.org_inn),
            ("ORG_KPP", &self.org_kpp),
            ("BANK_NAME", &self.bank_name),
            ("BANK_BIC", &self.bank_bic),
            ("BANK_ACCOUNT", &self.bank_account),
            ("BANK_CORR_ACCOUNT", &self.bank_corr_account),
        ];
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        if !set.iter().any(|(_, v)| given(v)) {
            return Vec::new();
        }
        let mut out: Vec<String> = set
            .iter()
            .filter(|(_, v)| !given(v))
            .map(|(name, _)| format!("{name} is not set: receipts need every payment detail or none"))
            .collect();
        if self.org_named("ru").is_none() {
            out.push("ORG_NAME is not set: the payment code and the receipt name the payee by it".into());
        }
        if let (Some(bic), Some(acc)) = (&self.bank_bic, &self.bank_account)
            && !crate::domain::bank::settlement_ok(acc, bic)
        {
            out.push(format!(
                "BANK_ACCOUNT {acc}: its control key does not match BANK_BIC {bic}; check both"
            ));
        }
        if let (Some(bic), Some(acc)) = (&self.bank_bic, &self.bank_corr_account)
            && !crate::domain::bank::correspondent_ok(acc, bic)
        {
            out.push(format!(
                "BANK_CORR_ACCOUNT {acc}: not the correspondent account of BANK_BIC {bic}; check both"
            ));
        }
        out
    }

    pub fn readings_window(&self) -> crate::domain::meters::Window {
        crate::domain::meters::Window {
            first_day: self.readings_first_day,
            last_day: self.readings_last_day,
        }
    }

    /// Settings from flags alone, the environment still filling what the flags leave out
    /// (tests use this to point the bot at their own database and servers).
    pub fn from_flags<I, T>(flags: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        let args = std::iter::once(std::ffi::OsString::from("kabinet")).chain(flags.into_iter().map(Into::into));
        <Only as clap::Parser>::try_parse_from(args).map(|o| o.config)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<u64>);

impl Schedule {
    /// The wait after the `attempt`-th failure (1-based).
    pub fn delay(&self, attempt: i64) -> u64 {
        let i = usize::try_from(attempt.max(1) - 1).unwrap_or(0).min(self.0.len() - 1);
        self.0[i]
    }
}

fn parse_inn(s: &str) -> Result<String, String> {
    let s = s.trim();
    crate::domain::bank::inn_ok(s)
        .then(|| s.to_owned())
        .ok_or_else(|| format!("ORG_INN {s}: not an INN (10 or 12 digits with their check digits)"))
}

fn parse_routes(s: &str) -> Result<crate::domain::routes::Routes, String> {
    crate::domain::routes::Routes::parse(s)
}

fn parse_payment_link(s: &str) -> Result<String, String> {
    let filled = s
        .replace("{account}", "1")
        .replace("{sum}", "1")
        .replace("{period}", "1");
    match url::Url::parse(&filled) {
        Ok(u) if u.scheme() == "https" => Ok(s.to_owned()),
        _ => Err("PAYMENT_LINK: an https:// address (with {account}, {sum}, {period} where they go)".into()),
    }
}

fn parse_kpp(s: &str) -> Result<String, String> {
    let s = s.trim();
    crate::domain::bank::kpp_ok(s)
        .then(|| s.to_owned())
        .ok_or_else(|| format!("ORG_KPP {s}: not a KPP (9 characters, e.g. 773601001)"))
}

fn parse_bic(s: &str) -> Result<String, String> {
    let s = s.trim();
    crate::domain::bank::bic_ok(s)
        .then(|| s.to_owned())
        .ok_or_else(|| format!("BANK_BIC {s}: not a BIC (9 digits starting with 04)"))
}

fn parse_twenty_digits(name: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |s| {
        let s = s.trim();
        (s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.to_owned())
            .ok_or_else(|| format!("{name} {s}: an account number is 20 digits"))
    }
}

fn parse_url(name: &'static str) -> impl Fn(&str) -> Result<url::Url, String> + Clone {
    move |s| url::Url::parse(s).map_err(|e| format!("{name} is not a valid URL ({e})"))
}

/// Telegram's rule for `secret_token`: 1–256 of A-Z, a-z, 0-9, _ and -. An empty value would
/// accept requests that carry no secret at all.
fn parse_webhook_secret(s: &str) -> Result<String, String> {
    let ok = (1..=256).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(
            "WEBHOOK_SECRET must be 1 to 256 of A-Z, a-z, 0-9, _ and - (leave it unset for one derived from the token)"
                .into(),
        )
    }
}

fn parse_db_url(s: &str) -> Result<String, String> {
    if s.starts_with("sqlite:") || crate::store::is_postgres(s) {
        Ok(s.to_owned())
    } else {
        Err(
            "DATABASE_URL must start with sqlite: or postgres:// (e.g. sqlite://data/kabinet.db, \
             postgres://kabinet@db.example/kabinet)"
                .into(),
        )
    }
}

fn parse_mailbox(s: &str) -> Result<String, String> {
    s.parse::<lettre::message::Mailbox>()
        .map(|_| s.to_owned())
        .map_err(|_| "MAIL_FROM must be an address like \"Kabinet <noreply@example.org>\"".into())
}

fn parse_locale(s: &str) -> Result<String, String> {
    if crate::i18n::LOCALES.contains(&s) {
        Ok(s.to_owned())
    } else {
        Err("DEFAULT_LOCALE must be ru or en".into())
    }
}

fn parse_schedule(s: &str) -> Result<Schedule, String> {
    let v: Result<Vec<u64>, _> = s.split(',').map(|p| p.trim().parse::<u64>()).collect();
    match v {
        Ok(v) if !v.is_empty() => Ok(Schedule(v)),
        _ => Err("OUTBOX_RETRY_SECONDS must be whole seconds separated by commas, e.g. 5,30,120".into()),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "<hidden>");
        f.debug_struct("Config")
            .field("telegram_token", &hidden(&self.telegram_token))
            .field("telegram_api_url", &self.telegram_api_url)
            .field("database_url", &crate::store::shown_url(&self.database_url))
            .field("smtp_url", &hidden(&self.smtp_url))
            .field("mail_dir", &self.mail_dir)
            .field("operator_chat_id", &self.operator_chat_id)
            .field("telegram_limits", &self.telegram_limits)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_listen", &self.webhook_listen)
            .field("webhook_secret", &hidden(&self.webhook_secret))
            .field("metrics_listen", &self.metrics_listen)
            .field("backup_dir", &self.backup_dir)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
