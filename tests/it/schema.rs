//! The two folders of migrations build the same schema: after every migration of each, the
//! same tables with the same columns (by kind: a moment is `TIMESTAMPTZ` on PostgreSQL and
//! text on SQLite, a flag `BOOLEAN` and an integer), the same keys, indexes (unique and partial
//! alike), foreign keys with their `ON DELETE`, and as many CHECKs. Runs where the suite runs
//! on PostgreSQL (`KABINET_TEST_POSTGRES`), as CI's second pass does.

use crate::db::{TestDb, on_postgres};
use kabinet::store::{Store, sql};
use std::collections::BTreeMap;

/// A column as both databases can say it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    kind: &'static str,
    not_null: bool,
    has_default: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Unique column lists (constraints and unique indexes both).
    unique: Vec<Vec<String>>,
    /// "column -> table(column) ON DELETE action"
    foreign_keys: Vec<String>,
    checks: usize,
}

/// An index by name: its table, columns, uniqueness and whether it is partial.
type Indexes = BTreeMap<String, (String, Vec<String>, bool, bool)>;

fn sqlite_kind(declared: &str) -> &'static str {
    match declared.to_uppercase().as_str() {
        "INTEGER" => "integer",
        "TEXT" => "text",
        "BLOB" => "bytes",
        "REAL" => "real",
        other => panic!("SQLite column type {other}: name its kind here"),
    }
}

/// PostgreSQL's type, by the SQLite kind it is stored as there.
fn pg_kind(data_type: &str) -> &'static str {
    match data_type {
        "bigint" | "boolean" => "integer",
        "text" | "timestamp with time zone" | "date" => "text",
        "bytea" => "bytes",
        "double precision" => "real",
        other => panic!("PostgreSQL column type {other}: name its kind here"),
    }
}

async fn sqlite_schema(store: &Store) -> (BTreeMap<String, Table>, Indexes) {
    let names: Vec<(String, String)> = sql::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut tables = BTreeMap::new();
    let mut indexes = Indexes::new();
    for (name, create) in names {
        let mut t = Table::default();
        let cols: Vec<(String, String, bool, bool, i64)> = sql::query_as(
            "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info($1) ORDER BY pk",
        )
        .bind(&name)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        for (col, ty, not_null, has_default, pk) in cols {
            if pk > 0 {
                t.primary_key.push(col.clone());
            }
            // SQLite lets a key column be NULL unless it says otherwise; PostgreSQL never does.
            let not_null = not_null || pk > 0;
            let kind = sqlite_kind(&ty);
            t.columns.insert(
                col,
                Column {
                    kind,
                    not_null,
                    has_default,
                },
            );
        }
        let fks: Vec<(String, String, String, String)> =
            sql::query_as("SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list($1)")
                .bind(&name)
                .fetch_all(&store.pool)
                .await
                .unwrap();
        t.foreign_keys = fks
            .into_iter()
            .map(|(from, table, to, on_delete)| format!("{from} -> {table}({to}) ON DELETE {on_delete}"))
            .collect();
        t.foreign_keys.sort();
        t.checks = create.to_uppercase().matches("CHECK (").count();
        let list: Vec<(String, bool, String, bool)> =
            sql::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(&name)
                .fetch_all(&store.pool)
                .await
                .unwrap();
        for (index, unique, origin, partial) in list {
            let cols: Vec<String> = sql::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&index)
                .fetch_all(&store.pool)
                .await
                .unwrap();
            match origin.as_str() {
                "c" => {
                    if unique && !partial {
                        t.unique.push(cols.clone());
                    }
                    indexes.insert(index, (name.clone(), cols, unique, partial));
                }
                "u" => t.unique.push(cols),
                _ => {}
            }
        }
        t.unique.sort();
        tables.insert(name, t);
    }
    (tables, indexes)
}

async fn pg_schema(store: &Store) -> (BTreeMap<String, Table>, Indexes) {
    let names: Vec<String> = sql::query_scalar(
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_%' ORDER BY 1",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut tables = BTreeMap::new();
    for name in &names {
        let mut t = Table::default();
        let cols: Vec<(String, String, bool, bool)> = sql::query_as(
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), is_nullable = 'NO',
                    column_default IS NOT NULL OR is_identity = 'YES'
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(name)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        for (col, ty, not_null, default) in cols {
            t.columns.insert(
                col,
                Column {
                    kind: pg_kind(&ty),
                    not_null,
                    has_default: default,
                },
            );
        }
        let constraints: Vec<(String, String)> = sql::query_as(
            "SELECT CAST(contype AS TEXT), pg_get_constraintdef(c.oid) FROM pg_constraint c
             WHERE conrelid = CAST($1 AS regclass) ORDER BY conname",
        )
        .bind(name)
        .fetch_all(&store.pool)
        .await
        .unwrap();
        let list = |def: &str| -> Vec<String> {
            let inside = def.split('(').nth(1).unwrap().split(')').next().unwrap();
            inside.split(',').map(|c| c.trim().to_owned()).collect()
        };
        for (kind, def) in constraints {
            match kind.as_str() {
                "p" => t.primary_key = list(&def),
                "u" => t.unique.push(list(&def)),
                "c" => t.checks += 1,
                "f" => {
                    // FOREIGN KEY (consumer_id) REFERENCES consumers(id) ON DELETE CASCADE
                    let from = list(&def).join(", ");
                    let rest = def.split("REFERENCES ").nth(1).unwrap();
                    let target = rest.split(')').next().unwrap().replace(' ', "");
                    let on_delete = rest
                        .split("ON DELETE ")
                        .nth(1)
                        .map(|a| a.trim().to_owned())
                        .unwrap_or_else(|| "NO ACTION".into());
                    t.foreign_keys
                        .push(format!("{from} -> {target}) ON DELETE {on_delete}"));
                }
                _ => {}
            }
        }
        t.foreign_keys.sort();
        tables.insert(name.clone(), t);
    }
    // Indexes made by CREATE INDEX (not those behind a key or a UNIQUE constraint).
    let rows: Vec<(String, String, bool, bool, String)> = sql::query_as(
        "SELECT CAST(i.relname AS TEXT), CAST(t.relname AS TEXT), x.indisunique, x.indpred IS NOT NULL,
                pg_get_indexdef(x.indexrelid)
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = current_schema() AND t.relname NOT LIKE '\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut indexes = Indexes::new();
    for (index, table, unique, partial, def) in rows {
        let cols: Vec<String> = def
            .split(" USING btree (")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap()
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        if unique && !partial {
            tables.get_mut(&table).unwrap().unique.push(cols.clone());
        }
        indexes.insert(index, (table, cols, unique, partial));
    }
    for t in tables.values_mut() {
        t.unique.sort();
    }
    (tables, indexes)
}

/// Names that say a moment: such a column is `TIMESTAMPTZ` on PostgreSQL, never text.
fn is_moment(column: &str) -> bool {
    column.ends_with("_at") || column.ends_with("_until") || column == "at" || column == "deadline"
}

#[tokio::test]
async fn the_two_migration_folders_build_the_same_schema() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lite = Store::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let pg_db = TestDb::new(dir.path(), "unused").await;
    let pg = Store::open(&pg_db.url).await.unwrap();
    let (lite_tables, lite_indexes) = sqlite_schema(&lite).await;
    let (pg_tables, pg_indexes) = pg_schema(&pg).await;
    assert!(lite_tables.len() > 25, "{} tables", lite_tables.len());
    assert_eq!(
        lite_tables.keys().collect::<Vec<_>>(),
        pg_tables.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, lt) in &lite_tables {
        // A key's default: SQLite numbers every INTEGER PRIMARY KEY; PostgreSQL's `id`s are
        // identities and the others (a chat's id, an update's) are given.
        let keyless = |t: &Table| -> Table {
            let mut columns = t.columns.clone();
            for k in &t.primary_key {
                columns.get_mut(k).unwrap().has_default = false;
            }
            Table {
                columns,
                primary_key: t.primary_key.clone(),
                unique: t.unique.clone(),
                foreign_keys: t.foreign_keys.clone(),
                checks: t.checks,
            }
        };
        assert_eq!(
            keyless(lt),
            keyless(&pg_tables[name]),
            "table {name}: SQLite (left) and PostgreSQL (right)"
        );
    }
    assert_eq!(
        lite_indexes, pg_indexes,
        "the indexes: SQLite (left) and PostgreSQL (right)"
    );
    // Types the kinds do not tell apart: moments, flags.
    let types: Vec<(String, String, String)> = sql::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT)
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_%'",
    )
    .fetch_all(&pg.pool)
    .await
    .unwrap();
    for (table, column, ty) in &types {
        if is_moment(column) {
            assert_eq!(ty, "timestamp with time zone", "{table}.{column} is a moment");
        }
    }
    assert!(types.iter().any(|(_, _, ty)| ty == "boolean") && types.iter().any(|(_, _, ty)| ty == "date"));
}
