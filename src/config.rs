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
mod tests {
    use super::*;

    #[test]
    fn schedule_repeats_its_last_step() {
        let s = parse_schedule("1, 2,5").unwrap();
        assert_eq!((s.delay(1), s.delay(2), s.delay(3), s.delay(9)), (1, 2, 5, 5));
        assert!(parse_schedule("a,1").unwrap_err().contains("OUTBOX_RETRY_SECONDS"));
        assert!(parse_db_url("mysql://x").unwrap_err().contains("DATABASE_URL"));
        assert!(parse_db_url("postgres://kabinet@db/kabinet").is_ok());
        assert!(parse_db_url("sqlite://data/k.db").is_ok());
        assert!(parse_locale("de").unwrap_err().contains("DEFAULT_LOCALE"));
    }

    #[test]
    fn an_unset_name_is_not_shown_and_english_texts_take_the_english_one() {
        let mut c = Config::from_flags(["--telegram-token", "1:T"]).unwrap();
        c.org_name = None;
        c.org_name_en = None;
        assert_eq!(c.org_named("ru"), None);
        assert_eq!(c.org_signature("ru"), crate::i18n::t("ru", "org.unnamed"));
        c.org_name = Some("АО «Энерго»".into());
        assert_eq!(c.org_named("en"), Some("АО «Энерго»"), "the only name there is");
        c.org_name_en = Some("Energo JSC".into());
        assert_eq!(c.org_named("en"), Some("Energo JSC"));
        assert_eq!(c.org_named("ru"), Some("АО «Энерго»"));
    }

    #[test]
    fn secrets_stay_out_of_debug_and_a_webhook_secret_follows_telegrams_rule() {
        let c = Config::from_flags([
            "--telegram-token",
            "123:SECRET-TOKEN",
            "--smtp-url",
            "smtp://u:PASSWORD@host",
            "--webhook-secret",
            "Hook_Secret-1",
        ])
        .unwrap();
        let shown = format!("{c:?}");
        for secret in ["SECRET-TOKEN", "PASSWORD", "Hook_Secret-1"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("<hidden>"));
        for bad in ["", "with space", "ключ", &"a".repeat(257)] {
            let refused = Config::from_flags(["--webhook-secret", bad])
                .err()
                .map(|e| e.to_string());
            assert!(refused.is_some_and(|e| e.contains("WEBHOOK_SECRET")), "{bad:?}");
        }
        assert!(Config::from_flags(["--webhook-secret", &"a".repeat(256)]).is_ok());
    }
}
