//! `kabinet check` as IT staff run it: the binary against the local Bot API server, a real
//! SMTP server on loopback and a SQLite file.

use crate::smtp::SmtpServer;
use kabinet::store::Store;
use tgmock::MockBotApi;

const GROUP: i64 = -100_777;

async fn check(api: &MockBotApi, db: &str, extra: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--telegram-token", "123:CHECK", "--telegram-api-url", &api.url()])
        .args(["--database-url", db])
        .args(extra)
        .arg("check")
        .env("RUST_LOG", "warn")
        .env_remove("SMTP_URL")
        .env_remove("OPERATOR_CHAT_ID")
        .output()
        .await
        .expect("run kabinet check");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn line<'a>(out: &'a str, what: &str) -> &'a str {
    out.lines()
        .find(|l| l[l.find(' ').map_or(0, |i| i + 1)..].starts_with(what))
        .unwrap_or_else(|| panic!("no «{what}» line in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_configuration_passes_and_each_broken_part_is_named() {
    let api = MockBotApi::start().await;
    api.add_group(GROUP, "Операторы", "member");

    let smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let test_db = crate::db::TestDb::new(dir.path(), "k.db").await;
    // On PostgreSQL with a password (the tests' server trusts loopback and ignores it): the
    // check's lines must never show it.
    let db = test_db
        .url
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let store = Store::open(&db).await.unwrap();
    store.add_operator(42, Some("Мария"), chrono::Utc::now()).await.unwrap();
    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
    let group = GROUP.to_string();
    let good = ["--smtp-url", smtp_url.as_str(), "--operator-chat-id", group.as_str()];

    // Everything right, and a test letter asked for: every line ✓, exit 0, the letter arrives.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args([
            "--telegram-token",
            "123:CHECK",
            "--telegram-api-url",
            &api.url(),
            "--database-url",
            &db,
        ])
        .args(good)
        .args(["check", "--send-test-mail", "it@example.ru"])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("hunter2"), "{text}");
    let server = if crate::db::on_postgres() {
        "PostgreSQL 1"
    } else {
        "SQLite 3."
    };
    assert!(line(&text, "Database server").contains(server), "{text}");
    for what in [
        "Telegram token",
        "Database server",
        "Database",
        "Database writable",
        "Operators",
        "E-mail settings",
        "SMTP",
        "Test letter",
        "Operators' group",
        "Payment details",
    ] {
        assert!(line(&text, what).starts_with('✓'), "{what}: {text}");
    }
    let (to, _) = smtp.letter().await;
    assert_eq!(to, "it@example.ru");

    // The bot may not post in the group: ✗ with what to do, exit 1.
    api.add_group(GROUP, "Операторы", "restricted");
    let (ok, text) = check(&api, &db, &good).await;
    assert!(!ok);
    assert!(
        line(&text, "Operators' group").starts_with('✗') && text.contains("restriction"),
        "{text}"
    );
    api.add_group(GROUP, "Операторы", "member");

    // Payment details whose account does not fit the bank: ✗ naming the setting.
    let mut wrong = good.to_vec();
    wrong.extend([
        "--org-inn",
        "7707083893",
        "--org-kpp",
        "773601001",
        "--bank-name",
        "ПАО Сбербанк",
        "--bank-bic",
        "044525225",
        "--bank-account",
        "40702810938000000002",
        "--bank-corr-account",
        "30101810400000000225",
    ]);
    let (ok, text) = check(&api, &db, &wrong).await;
    assert!(!ok);
    assert!(
        line(&text, "Payment details").starts_with('✗') && text.contains("BANK_ACCOUNT"),
        "{text}"
    );
    // And `run` refuses to start with them, saying which.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args([
            "--telegram-token",
            "123:CHECK",
            "--telegram-api-url",
            &api.url(),
            "--database-url",
            &db,
        ])
        .args(&wrong)
        .arg("run")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        !run.status.success() && String::from_utf8_lossy(&run.stderr).contains("BANK_ACCOUNT 40702810938000000002")
    );

    // A group the bot is not in, an SMTP port nobody listens on, no group set at all.
    let closed = crate::helpers::free_port();
    let dead_smtp = format!("smtp://127.0.0.1:{closed}");
    let (ok, text) = check(&api, &db, &["--smtp-url", &dead_smtp, "--operator-chat-id", "-100999"]).await;
    assert!(!ok);
    assert!(line(&text, "SMTP").starts_with('✗'), "{text}");
    assert!(
        line(&text, "Operators' group").starts_with('✗') && text.contains("chat not found"),
        "{text}"
    );
    assert!(line(&text, "Telegram token").starts_with('✓'), "{text}");

    // A database that does not exist: named, and not created by the check.
    let missing = dir.path().join("none.db");
    let (ok, text) = check(&api, &format!("sqlite://{}", missing.display()), &good).await;
    assert!(!ok);
    assert!(
        line(&text, "Database").starts_with('✗') && text.contains("kabinet migrate"),
        "{text}"
    );
    assert!(!missing.exists(), "check creates nothing");
}
