//! One copy of every query for both databases.
//!
//! The store's queries are written once, in the SQL both SQLite and PostgreSQL read
//! (`$1` placeholders, `ON CONFLICT … DO …`, `RETURNING`, `CAST`, `COALESCE`), and run through
//! this small layer instead of sqlx's typed query builders: a query keeps its bound values as
//! [`Arg`]s (an integer, a text, a timestamp, a date…, each with its own type, so a timestamp
//! is `timestamptz` on PostgreSQL and a NULL is a typed NULL) and binds them for whichever
//! database [`Db`] is. Rows are read with sqlx's own `FromRow`/`Decode`, which both drivers
//! implement for every type the store reads. The few real differences (backups, checkpoints,
//! a JSON field, a time difference) are chosen with [`Backend::pick`].
//!
//! Why not sqlx's `Any` driver: it binds and reads only integers, floats, texts and bytes, so
//! timestamps, dates and the closed sets would lose their types on PostgreSQL (or every query
//! would need casts SQLite does not read). Why not generic functions over `sqlx::Database`:
//! each would carry a dozen `for<'q>` bounds, since Rust does not carry a trait's where-clauses
//! to its users. The cost here is one small `Vec` of values per query and a `match` per value.

use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::{BoxStream, StreamExt};
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Arguments, Decode, FromRow, Postgres, Sqlite, Type};
use std::borrow::Cow;

/// Which database the store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The statement for this database, where the two differ.
    pub fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The store's pool on one of the two databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`): one that
    /// read first and wrote after another process (a back-office import beside the bot) wrote
    /// would fail with SQLITE_BUSY_SNAPSHOT, which no waiting cures.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite(p) => Some(p),
            Db::Postgres(_) => None,
        }
    }
}

/// A transaction on either database; rolled back when dropped without `commit`.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Where a query runs: the pool or a transaction.
pub enum Exec<'c> {
    SqlitePool(&'c SqlitePool),
    PgPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c Db> for Exec<'c> {
    fn from(db: &'c Db) -> Self {
        match db {
            Db::Sqlite(p) => Exec::SqlitePool(p),
            Db::Postgres(p) => Exec::PgPool(p),
        }
    }
}

impl<'c> From<&'c mut Tx> for Exec<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(t) => Exec::Sqlite(&mut *t),
            Tx::Postgres(t) => Exec::Postgres(&mut *t),
        }
    }
}

impl<'c> From<&'c mut SqliteConnection> for Exec<'c> {
    fn from(c: &'c mut SqliteConnection) -> Self {
        Exec::Sqlite(c)
    }
}

/// A bound value with its type; `None` is a NULL of that type.
#[derive(Clone, Debug)]
pub enum Arg {
    I64(Option<i64>),
    F64(Option<f64>),
    Bool(Option<bool>),
    Text(Option<Cow<'static, str>>),
    Bytes(Option<Vec<u8>>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

/// What a query can bind.
pub trait Bind {
    fn arg(self) -> Arg;
    /// The NULL of this type (for `None`).
    fn null() -> Arg
    where
        Self: Sized;
}

macro_rules! bind_as {
    ($variant:ident: $($t:ty => |$v:ident| $e:expr),+ $(,)?) => {$(
        impl Bind for $t {
            fn arg(self) -> Arg {
                let $v = self;
                Arg::$variant(Some($e))
            }
            fn null() -> Arg {
                Arg::$variant(None)
            }
        }
    )+};
}

bind_as!(I64: i64 => |v| v, i32 => |v| v.into(), u32 => |v| v.into(), u16 => |v| v.into(), u8 => |v| v.into());
bind_as!(F64: f64 => |v| v);
bind_as!(Bool: bool => |v| v);
bind_as!(Text: String => |v| Cow::Owned(v), &str => |v| Cow::Owned(v.to_owned()));
bind_as!(Bytes: Vec<u8> => |v| v, &[u8] => |v| v.to_vec());
bind_as!(Time: DateTime<Utc> => |v| v);
bind_as!(Date: NaiveDate => |v| v);

impl Bind for Arg {
    fn arg(self) -> Arg {
        self
    }
    fn null() -> Arg {
        Arg::Text(None)
    }
}

impl<T: Bind> Bind for Option<T> {
    fn arg(self) -> Arg {
        match self {
            Some(v) => v.arg(),
            None => T::null(),
        }
    }
    fn null() -> Arg {
        T::null()
    }
}

impl<T: Bind + Clone> Bind for &T {
    fn arg(self) -> Arg {
        self.clone().arg()
    }
    fn null() -> Arg {
        T::null()
    }
}

/// The closed sets stored as their names (`as_str`); the store's own sets say so beside them.
macro_rules! bind_text {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::store::sql::Bind for $t {
            fn arg(self) -> $crate::store::sql::Arg {
                $crate::store::sql::Arg::Text(Some(std::borrow::Cow::Borrowed(self.as_str())))
            }
            fn null() -> $crate::store::sql::Arg {
                $crate::store::sql::Arg::Text(None)
            }
        }
    )+};
}

pub(crate) use bind_text;

use crate::domain::items::{
    Author, ConnStatus, DeskEvent, DeskTarget, FileOwner, ItemKind, MeterRequestKind, MeterRequestStatus, MeterReview,
    ReadingSource, Reminder,
};
use crate::domain::{
    connection::ConnKind,
    ids::ApplicantKind,
    meters::Resource,
    tickets::{TicketKind, TicketStatus},
};
bind_text!(ConnKind, ApplicantKind, Resource, TicketKind, TicketStatus);
bind_text!(
    Author,
    ConnStatus,
    DeskEvent,
    DeskTarget,
    FileOwner,
    ItemKind,
    MeterRequestKind,
    MeterRequestStatus,
    MeterReview,
    ReadingSource,
    Reminder
);

/// The values bound for one database's driver.
fn arguments<DB, A>(args: Vec<Arg>) -> sqlx::Result<A>
where
    DB: sqlx::Database,
    A: Arguments<Database = DB>,
    Option<i64>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
    Option<f64>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
    Option<bool>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
    Option<Vec<u8>>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
    Option<DateTime<Utc>>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
    Option<NaiveDate>: for<'q> sqlx::Encode<'q, DB> + Type<DB>,
{
    let mut out = A::default();
    for a in args {
        let r = match a {
            Arg::I64(v) => out.add(v),
            Arg::F64(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Text(v) => out.add(v.map(Cow::into_owned)),
            Arg::Bytes(v) => out.add(v),
            Arg::Time(v) => out.add(v),
            Arg::Date(v) => out.add(v),
        };
        r.map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

fn sqlite_args(args: Vec<Arg>) -> sqlx::Result<SqliteArguments> {
    arguments(args)
}

fn pg_args(args: Vec<Arg>) -> sqlx::Result<PgArguments> {
    arguments(args)
}

fn sql_str(sql: Cow<'static, str>) -> sqlx::SqlStr {
    use sqlx::SqlSafeStr;
    match sql {
        Cow::Borrowed(s) => s.into_sql_str(),
        Cow::Owned(s) => sqlx::AssertSqlSafe(s).into_sql_str(),
    }
}

/// The statement's text and its values, for either database.
#[derive(Clone, Debug)]
struct Statement {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

impl Statement {
    fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
        }
    }
}

/// How many rows a statement changed.
#[derive(Clone, Copy, Debug)]
pub struct Done(u64);

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// Runs one sqlx call on whichever executor: `$q` builds the query from the SQL and arguments
/// of that database (`$sql`, `$args`), `$run` is applied to it with the executor `$ex`.
macro_rules! on_exec {
    ($exec:expr, $stmt:expr, |$sql:ident, $args:ident| $q:expr, |$query:ident, $ex:ident| $run:expr) => {{
        let Statement { sql, args } = $stmt;
        // Kept for the log line of a failure only when that line would be written.
        let text = tracing::enabled!(tracing::Level::DEBUG).then(|| sql.clone());
        let $sql = sql_str(sql);
        let result = match $exec {
            Exec::SqlitePool(p) => {
                let $args = sqlite_args(args)?;
                let $query = $q;
                let $ex = p;
                $run
            }
            Exec::Sqlite(c) => {
                let $args = sqlite_args(args)?;
                let $query = $q;
                let $ex = c;
                $run
            }
            Exec::PgPool(p) => {
                let $args = pg_args(args)?;
                let $query = $q;
                let $ex = p;
                $run
            }
            Exec::Postgres(c) => {
                let $args = pg_args(args)?;
                let $query = $q;
                let $ex = c;
                $run
            }
        };
        if let (Err(e), Some(text)) = (&result, text) {
            // The statement's text only: its values are bound, never part of it.
            tracing::debug!(error = %e, sql = %text, "statement failed");
        }
        result
    }};
}

/// A statement whose rows are not read.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until it is executed"]
pub struct Query(Statement);

pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query(Statement::new(sql))
}

impl Query {
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.0.args.push(v.arg());
        self
    }

    pub async fn execute<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<Done> {
        on_exec!(ex.into(), self.0, |sql, args| sqlx::query_with(sql, args), |q, ex| {
            q.execute(ex).await.map(|r| Done(r.rows_affected()))
        })
    }
}

/// Rows read as `T` (a `FromRow` struct or a tuple).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {}

/// One column read as `T`.
pub trait Scalar:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin + 'static
{
}
impl<T> Scalar for T where
    T: for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
        + Send
        + Unpin
        + 'static
{
}

#[must_use = "a query does nothing until it is run"]
pub struct QueryAs<T>(Statement, std::marker::PhantomData<fn() -> T>);

pub fn query_as<T: Row>(sql: impl Into<Cow<'static, str>>) -> QueryAs<T> {
    QueryAs(Statement::new(sql), std::marker::PhantomData)
}

impl<T: Row> QueryAs<T> {
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.0.args.push(v.arg());
        self
    }

    pub async fn fetch_one<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<T> {
        on_exec!(
            ex.into(),
            self.0,
            |sql, args| sqlx::query_as_with::<_, T, _>(sql, args),
            |q, ex| q.fetch_one(ex).await
        )
    }

    pub async fn fetch_optional<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<Option<T>> {
        on_exec!(
            ex.into(),
            self.0,
            |sql, args| sqlx::query_as_with::<_, T, _>(sql, args),
            |q, ex| q.fetch_optional(ex).await
        )
    }

    pub async fn fetch_all<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<Vec<T>> {
        on_exec!(
            ex.into(),
            self.0,
            |sql, args| sqlx::query_as_with::<_, T, _>(sql, args),
            |q, ex| q.fetch_all(ex).await
        )
    }

    /// The rows one by one, from the pool (for exports that must not hold them all).
    pub fn fetch(self, db: &Db) -> BoxStream<'_, sqlx::Result<T>> {
        let Statement { sql, args } = self.0;
        let sql = sql_str(sql);
        match db {
            Db::Sqlite(p) => match sqlite_args(args) {
                Ok(args) => sqlx::query_as_with::<_, T, _>(sql, args).fetch(p),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            },
            Db::Postgres(p) => match pg_args(args) {
                Ok(args) => sqlx::query_as_with::<_, T, _>(sql, args).fetch(p),
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
            },
        }
    }
}

#[must_use = "a query does nothing until it is run"]
pub struct QueryScalar<T>(Statement, std::marker::PhantomData<fn() -> T>);

pub fn query_scalar<T: Scalar>(sql: impl Into<Cow<'static, str>>) -> QueryScalar<T> {
    QueryScalar(Statement::new(sql), std::marker::PhantomData)
}

impl<T: Scalar> QueryScalar<T> {
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.0.args.push(v.arg());
        self
    }

    /// The statement as a query of one-column rows.
    fn rows(self) -> QueryAs<(T,)> {
        QueryAs(self.0, std::marker::PhantomData)
    }

    pub async fn fetch_one<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<T> {
        Ok(self.rows().fetch_one(ex).await?.0)
    }

    pub async fn fetch_optional<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<Option<T>> {
        Ok(self.rows().fetch_optional(ex).await?.map(|(v,)| v))
    }

    pub async fn fetch_all<'c>(self, ex: impl Into<Exec<'c>>) -> sqlx::Result<Vec<T>> {
        Ok(self.rows().fetch_all(ex).await?.into_iter().map(|(v,)| v).collect())
    }
}
