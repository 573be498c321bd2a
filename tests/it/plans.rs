//! No statement the bot runs while people use it scans a whole table: the black-box binary
//! logs every SQL statement (sqlx's `sqlx::query` events as JSON), and `EXPLAIN QUERY PLAN`
//! of each one, on the same database, must reach its rows through an index. At a region's size
//! (millions of readings) a full scan in the reading flow, the menu, the lists or the desk is
//! seconds per update.

use crate::e2e::E2e;
use crate::helpers::no;
use crate::helpers::{GROUP, Group, ru};
use kabinet::store::sql;
use std::collections::BTreeSet;
use tgmock::TgUser;

/// Tables that stay a handful of rows by design, where a scan is the plan SQLite should pick:
/// the migrations' list and the operators.
const SMALL_TABLES: &[&str] = &["_sqlx_migrations", "operators"];

/// The statements in a JSON log, as run (sqlx puts a short one in `summary` alone).
fn statements(log: &str) -> BTreeSet<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["target"] == "sqlx::query")
        .map(|l| {
            let full = l["fields"]["db.statement"].as_str().unwrap_or_default().trim();
            let sql = if full.is_empty() {
                l["fields"]["summary"].as_str().unwrap_or_default()
            } else {
                full
            };
            sql.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The full scans in `sql`'s plan: `SCAN <table or its alias>` of a real table, unless
/// through a partial index (those hold only the few rows a worker looks for).
fn full_scans(sql: &str, plan: &[String], tables: &BTreeSet<String>, partial: &BTreeSet<String>) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || ",()".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    // `FROM readings r`, `JOIN meters AS m`: the alias's table.
    let table_of = |name: &str| -> Option<String> {
        if tables.contains(name) {
            return Some(name.to_owned());
        }
        (0..words.len()).find_map(|i| {
            let next = |k: usize| words.get(i + k).copied().unwrap_or_default();
            let aliased = next(1) == name || (next(1).eq_ignore_ascii_case("AS") && next(2) == name);
            (tables.contains(words[i]) && aliased).then(|| words[i].to_owned())
        })
    };
    plan.iter()
        .filter(|d| {
            let Some(rest) = d.strip_prefix("SCAN ") else {
                return false;
            };
            let mut it = rest.split_whitespace();
            let Some(table) = it.next().and_then(table_of) else {
                return false;
            };
            let index = rest.split("INDEX ").nth(1).and_then(|r| r.split_whitespace().next());
            !SMALL_TABLES.contains(&table.as_str()) && !index.is_some_and(|i| partial.contains(i))
        })
        .cloned()
        .collect()
}

/// PostgreSQL's plan of a statement with `$n` parameters, as JSON: prepared (the parameters'
/// types inferred), planned generically (for any values, as a pool's prepared statement is
/// after a few runs) with sequential scans made the last resort, so that one still chosen is a
/// statement no index can serve, not a small table's cheapest way.
async fn pg_plan(store: &kabinet::store::Store, statement: &str) -> serde_json::Value {
    let params = (1..=99).take_while(|n| statement.contains(&format!("${n}"))).count();
    let mut tx = store.pool.begin().await.unwrap();
    for set in [
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL plan_cache_mode = force_generic_plan",
    ] {
        sql::query(set).execute(&mut tx).await.unwrap();
    }
    sql::query(format!("PREPARE plan_me AS {statement}"))
        .execute(&mut tx)
        .await
        .unwrap_or_else(|err| panic!("PREPARE {statement}: {err}"));
    let nulls = vec!["NULL"; params].join(", ");
    let args = if params == 0 {
        String::new()
    } else {
        format!("({nulls})")
    };
    // The plan comes as `json`, which the store's layer does not read: taken as its text.
    let sql::Tx::Postgres(conn) = &mut tx else {
        unreachable!("a PostgreSQL store")
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (FORMAT JSON) EXECUTE plan_me{args}"
    )))
    .fetch_one(&mut **conn)
    .await
    .unwrap_or_else(|err| panic!("EXPLAIN {statement}: {err}"));
    let plan: String = sqlx::Row::try_get_unchecked(&row, 0).unwrap();
    // A prepared statement outlives the transaction.
    sql::query("DEALLOCATE plan_me").execute(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();
    serde_json::from_str(&plan).unwrap()
}

/// The full scans in a PostgreSQL plan: a sequential scan of a real table, or an index read
/// from end to end (no condition), unless through a partial index.
fn pg_full_scans(plan: &serde_json::Value, tables: &BTreeSet<String>, partial: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    let mut nodes = vec![&plan[0]["Plan"]];
    while let Some(node) = nodes.pop() {
        let kind = node["Node Type"].as_str().unwrap_or_default();
        let table = node["Relation Name"].as_str().unwrap_or_default();
        let index = node["Index Name"].as_str().unwrap_or_default();
        let real = tables.contains(table) && !SMALL_TABLES.contains(&table);
        let whole_index = kind.contains("Index") && node.get("Index Cond").is_none() && !partial.contains(index);
        if real && (kind == "Seq Scan" || whole_index) {
            found.push(format!("{kind} on {table} {index}"));
        }
        if let Some(children) = node["Plans"].as_array() {
            nodes.extend(children);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_statement_of_the_reading_flow_menu_lists_or_desk_scans_a_table() {
    let group_id = GROUP.to_string();
    let mut e = E2e::prepare(&[
        ("OPERATOR_CHAT_ID", &group_id),
        ("LOG_TO_FILE", "1"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "warn,sqlx::query=debug"),
    ])
    .await;
    // The migrations first, by themselves: what is logged is then the running bot's.
    let migrated = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["--database-url", &e.db_url(), "migrate"])
        .env("RUST_LOG", "warn")
        .status()
        .unwrap();
    assert!(migrated.success());
    e.spawn();
    // Logging every statement, the process starts slower on a loaded machine.
    e.wait_started().await;
    // Registration, an appeal, its card in the group, the operator's answer, the push.
    let mut c = crate::e2e::appeal_answered(&e).await;
    // A meter, a reading, the lists.
    c.send(&ru("menu.meters"));
    c.expect_key("meters.empty").await;
    crate::flows::add_meter_for_e2e(&mut c).await;
    c.send(&ru("menu.send_readings"));
    c.expect_key("reading.q").await;
    c.send("1234,5");
    c.expect_key("reading.accepted").await;
    c.send(&ru("menu.meters"));
    let list = c.expect("EL-1001").await;
    c.press_containing(&list, "EL-1001");
    let card = c.expect_key("meters.card").await;
    c.press(&card, &ru("meters.history"));
    c.expect_key("history.title").await;
    c.send(&ru("menu.tickets"));
    let list = c.expect(&no("О-2026-000001")).await;
    c.press_containing(&list, &no("О-2026-000001"));
    c.expect("Заменили провод").await;
    c.send(&ru("menu.profile"));
    c.expect_key("profile.card").await;
    // The other lists, empty ones too.
    c.send(&ru("menu.requests"));
    c.expect_key("ticket.empty").await;
    c.send(&ru("menu.documents"));
    c.expect_key("ticket.empty").await;
    c.send(&ru("menu.connection"));
    c.expect_key("conn.section").await;
    c.send(&ru("menu.accounts"));
    c.expect_key("account.empty").await;
    c.open_service("outage.section").await;
    c.expect_key("outage.title").await;
    // The operator's desk: the queue and an item.
    let mut op = crate::helpers::Client::new(e.api.clone(), TgUser::new(900_001, "Мария"));
    op.send("/queue");
    op.expect("EL-1001").await;
    op.send(&no("/item О-2026-000001"));
    op.expect("Мигает свет").await;
    let mut group = Group::new_for(e.api.clone());
    group.expect(&no("О-2026-000001")).await;

    let log = std::fs::read_to_string(e.log_path()).unwrap();
    let all = statements(&log);
    assert!(all.len() > 40, "the log names the statements: {} of them", all.len());
    let store = kabinet::store::Store::connect(&e.db_url()).await.unwrap();
    let backend = store.backend();
    let tables: BTreeSet<String> = sql::query_scalar(backend.pick(
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema()",
    ))
    .fetch_all(&store.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let partial: BTreeSet<String> = sql::query_scalar(backend.pick(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'",
        "SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE '% WHERE %'",
    ))
    .fetch_all(&store.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let mut scans = Vec::new();
    let mut explained = 0;
    for sql in &all {
        let head = sql.split_whitespace().next().unwrap_or_default().to_uppercase();
        if [
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "PRAGMA",
            "VACUUM",
            "SAVEPOINT",
            "RELEASE",
        ]
        .contains(&head.as_str())
        {
            continue;
        }
        // PostgreSQL prepares only these (the others are migrations' DDL and settings).
        let plannable = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(&head.as_str());
        if backend == sql::Backend::Postgres && !plannable {
            continue;
        }
        let found = if backend == sql::Backend::Postgres {
            pg_full_scans(&pg_plan(&store, sql).await, &tables, &partial)
        } else {
            let plan: Vec<String> = sql::query_as(format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&store.pool)
                .await
                .map(|rows: Vec<(i64, i64, i64, String)>| rows.into_iter().map(|r| r.3).collect())
                .unwrap_or_else(|err| panic!("EXPLAIN QUERY PLAN {sql}: {err}"));
            full_scans(sql, &plan, &tables, &partial)
        };
        explained += 1;
        if !found.is_empty() {
            scans.push(format!("{sql}\n    {}", found.join("\n    ")));
        }
    }
    assert!(explained > 30, "{explained} statements explained");
    assert!(scans.is_empty(), "full scans:\n{}", scans.join("\n\n"));
}

#[test]
fn a_full_scan_is_found_under_its_alias_and_a_partial_index_is_not_one() {
    let tables: BTreeSet<String> = ["readings", "operators", "inbox"].map(String::from).into();
    let partial: BTreeSet<String> = ["inbox_unhandled"].map(String::from).into();
    let scans = |sql: &str, d: &str| full_scans(sql, &[d.to_owned()], &tables, &partial).len();
    assert_eq!(scans("SELECT * FROM readings", "SCAN readings"), 1);
    assert_eq!(scans("SELECT * FROM readings r", "SCAN r"), 1, "under an alias");
    assert_eq!(scans("SELECT * FROM readings AS r", "SCAN r"), 1);
    assert_eq!(
        scans(
            "SELECT * FROM readings ORDER BY period",
            "SCAN readings USING INDEX readings_period"
        ),
        1,
        "the whole of an index is a full scan too"
    );
    assert_eq!(
        scans(
            "SELECT * FROM readings WHERE meter_id = ?",
            "SEARCH readings USING INDEX readings_meter (meter_id=?)"
        ),
        0
    );
    assert_eq!(scans("SELECT * FROM operators", "SCAN operators"), 0, "a small table");
    assert_eq!(
        scans(
            "SELECT * FROM inbox WHERE handled_at IS NULL",
            "SCAN inbox USING INDEX inbox_unhandled"
        ),
        0
    );
    assert_eq!(scans("WITH n AS (SELECT 1) SELECT * FROM n", "SCAN n"), 0, "a CTE");
    assert_eq!(scans("SELECT 1", "SCAN CONSTANT ROW"), 0);
}

/// The menu's counts in one query; the reading flow's one query on a meter's readings: the
/// base a new value is compared with skips the consumer's own reading of the period (which it
/// would replace), and what was sent this period is the latest one, zone by zone.
#[tokio::test]
async fn reading_values_and_the_menu_counts_in_one_query_each() {
    use kabinet::domain::meters::Period;
    use kabinet::domain::quantity::Quantity;
    let dir = tempfile::tempdir().unwrap();
    let store = kabinet::store::Store::open(&format!("sqlite://{}", dir.path().join("k.db").display()))
        .await
        .unwrap();
    let at = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc()
    };
    let consumer: i64 = sql::query_scalar(
        "INSERT INTO consumers (kind, login, name, email, password_hash, status, created_at)
         VALUES ('individual', '11223344595', 'Иванов Иван', 'i@example.ru', 'x', 'confirmed', $1) RETURNING id",
    )
    .bind(at(1))
    .fetch_one(&store.pool)
    .await
    .unwrap();
    let meter: i64 = sql::query_scalar(
        "INSERT INTO meters (consumer_id, resource, serial, place, address, zones, int_digits, frac_digits, next_verification, created_at)
         VALUES ($1, 'electricity', 'EL-1', 'кухня', 'адрес', 2, 6, 1, '2030-01-01', $2) RETURNING id",
    )
    .bind(consumer)
    .bind(at(1))
    .fetch_one(&store.pool)
    .await
    .unwrap();
    // The menu's counts, in one query: a section shows once it has something.
    use kabinet::store::{connection::CONNECTION, meters::METERS, tickets};
    let menu = [
        METERS,
        tickets::APPEALS,
        tickets::REQUESTS,
        tickets::DOCUMENTS,
        CONNECTION,
    ];
    let empty = store.menu_counts(consumer, &menu).await.unwrap();
    assert_eq!(empty, vec![1, 0, 0, 0, 0]);
    for (i, kind) in ["appeal", "complaint", "request", "document", "document"]
        .iter()
        .enumerate()
    {
        sql::query(
            "INSERT INTO tickets (number, kind, consumer_id, topic, deadline, created_at, updated_at)
             VALUES ($1, $2, $3, 'тема', '2026-12-01', $4, $5)",
        )
        .bind(format!("N-{i}"))
        .bind(kind)
        .bind(consumer)
        .bind(at(1))
        .bind(at(1))
        .execute(&store.pool)
        .await
        .unwrap();
    }
    let counts = store.menu_counts(consumer, &menu).await.unwrap();
    assert_eq!(
        counts,
        vec![1, 2, 1, 2, 0],
        "appeals with complaints, requests, document requests"
    );
    let october = Period { year: 2026, month: 10 };
    let november = Period { year: 2026, month: 11 };
    let q = |v: i64| Quantity(v * 1000);
    store
        .save_reading(meter, october, &[(q(100), false), (q(50), false)], at(2), None)
        .await
        .unwrap();
    let before = store.reading_values(meter, november).await.unwrap();
    assert_eq!(before.base[..2], [Some(q(100)), Some(q(50))]);
    assert!(before.sent.is_empty(), "nothing sent for November yet");
    store
        .save_reading(meter, november, &[(q(110), false), (q(55), false)], at(20), None)
        .await
        .unwrap();
    store
        .save_reading(meter, november, &[(q(120), false), (q(60), false)], at(21), None)
        .await
        .unwrap();
    let after = store.reading_values(meter, november).await.unwrap();
    assert_eq!(
        after.base[..2],
        [Some(q(100)), Some(q(50))],
        "not the readings it would replace"
    );
    assert_eq!(
        after.sent,
        [Some(q(120)), Some(q(60))],
        "the latest, not the replaced one"
    );
    // For the next period, November's reading is the base.
    let december = store
        .reading_values(meter, Period { year: 2026, month: 12 })
        .await
        .unwrap();
    assert_eq!(december.base[..2], [Some(q(120)), Some(q(60))]);
}

/// The backup's copy and the WAL checkpoints take their own connection: the pool's one
/// connection, held here as by an update in progress, is not needed for either (with it, a
/// region's copy froze every update for twenty seconds).
#[tokio::test]
async fn a_backup_and_a_checkpoint_do_not_wait_for_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let store = kabinet::store::Store::open(&format!("sqlite://{}", dir.path().join("k.db").display()))
        .await
        .unwrap();
    let mut held = store.pool.begin().await.unwrap();
    sql::query("INSERT INTO operators (telegram_id, name, added_at) VALUES (1, 'Мария', '2026-11-28')")
        .execute(&mut held)
        .await
        .unwrap();
    let copy = dir.path().join("copy.db");
    let took = tokio::time::timeout(std::time::Duration::from_secs(5), store.backup(copy.to_str().unwrap())).await;
    assert!(took.is_ok_and(|r| r.is_ok()), "the backup waited for the pool");
    let mut side = store.side_connection().await.unwrap();
    sql::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(&mut side)
        .await
        .unwrap();
    held.commit().await.unwrap();
    // The copy is the state before the uncommitted write.
    let copied = kabinet::store::Store::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM operators")
        .fetch_one(&copied.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// Commits never checkpoint (`wal_autocheckpoint` is off): the checkpoint worker copies the
/// log into the database file on its own connection.
#[tokio::test]
async fn the_checkpoint_worker_moves_the_log_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.db");
    let store = kabinet::store::Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let in_file = || {
        let bytes = std::fs::read(&file).unwrap();
        bytes.windows(17).any(|w| w == b"CHECKPOINT-MARKER")
    };
    // More commits than the 1,000 pages after which SQLite would checkpoint by itself.
    for i in 0..1500 {
        sql::query(
            "INSERT INTO operators (telegram_id, name, added_at) VALUES ($1, 'CHECKPOINT-MARKER', '2026-11-28')",
        )
        .bind(i)
        .execute(&store.pool)
        .await
        .unwrap();
    }
    assert!(!in_file(), "a commit checkpointed by itself");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(kabinet::worker::checkpoint::run(
        store.clone(),
        std::time::Duration::from_millis(20),
        stopped,
    ));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !in_file() {
        assert!(tokio::time::Instant::now() < deadline, "no checkpoint within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap();
}

/// PostgreSQL's side of the check above finds what it must: a statement no index serves, and
/// an index read whole for its order; a statement on an index is not one.
#[tokio::test]
async fn a_postgres_plan_shows_a_scan_no_index_serves() {
    if !crate::db::on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::TestDb::new(dir.path(), "k.db").await;
    let store = kabinet::store::Store::open(&db.url).await.unwrap();
    let tables: BTreeSet<String> = ["readings", "operators"].map(String::from).into();
    let partial: BTreeSet<String> = ["inbox_unhandled"].map(String::from).into();
    let scans = async |sql: &str| pg_full_scans(&pg_plan(&store, sql).await, &tables, &partial);
    assert_eq!(scans("SELECT * FROM readings WHERE photo_file_id = $1").await.len(), 1);
    assert_eq!(scans("SELECT * FROM readings r ORDER BY period LIMIT 5").await.len(), 1);
    assert!(scans("SELECT * FROM readings WHERE meter_id = $1").await.is_empty());
    assert!(scans("SELECT * FROM operators").await.is_empty(), "a small table");
}
