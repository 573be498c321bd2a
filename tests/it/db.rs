//! The database a test runs on: a fresh SQLite file in the test's folder or, when
//! `KABINET_TEST_POSTGRES` names a server (`postgres://postgres@127.0.0.1:5432`), a fresh
//! PostgreSQL database on it, dropped when the test ends. `.ci/test` runs the suite both ways.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The PostgreSQL server the suite runs on, if it runs on one.
pub fn postgres_server() -> Option<String> {
    std::env::var("KABINET_TEST_POSTGRES")
        .ok()
        .map(|s| s.trim_end_matches('/').to_owned())
        .filter(|s| !s.is_empty())
}

pub fn on_postgres() -> bool {
    postgres_server().is_some()
}

pub struct TestDb {
    pub url: String,
    /// The server and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// An SQLite file whatever the suite runs on.
    pub fn sqlite(dir: &Path, file: &str) -> Self {
        Self {
            url: format!("sqlite://{}", dir.join(file).display()),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, when the suite has a server.
    pub async fn postgres(dir: &Path) -> Option<Self> {
        on_postgres().then_some(())?;
        Some(Self::new(dir, "unused").await)
    }

    /// A database of its own: `file` in `dir` on SQLite, a new database on PostgreSQL.
    pub async fn new(dir: &Path, file: &str) -> Self {
        let Some(server) = postgres_server() else {
            return Self {
                url: format!("sqlite://{}", dir.join(file).display()),
                postgres: None,
            };
        };
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "kabinet_test_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        sweep_leftovers(&server).await;
        admin(&server, &format!("CREATE DATABASE {name}")).await;
        Self {
            url: format!("{server}/{name}"),
            postgres: Some((server, name)),
        }
    }
}

/// Databases a killed test run left behind (its process is gone): dropped, once a run.
async fn sweep_leftovers(server: &str) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            use sqlx::Connection;
            let Ok(mut c) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await else {
                return;
            };
            let names: Vec<String> =
                sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'kabinet\\_test\\_%'")
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_default();
            let _ = c.close().await;
            for name in names {
                let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
                let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
                if !alive {
                    admin(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            }
        })
        .await;
}

async fn admin(server: &str, statement: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {server}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let _ = c.close().await;
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime: the database goes from a thread of its own.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin(&server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")));
        })
        .join();
    }
}
