//! Relational databases — MariaDB / MySQL (lab 1) and PostgreSQL (lab 4) — through [sqlx].
//!
//! [`Db`] is one connection pool to either engine. [`Db::query`] runs a SELECT (or SHOW, or anything that returns
//! rows) and gives the rows back as a polars [`DataFrame`] whose column types follow the database's: integers keep
//! their width and sign, DECIMAL stays exact (polars Decimal), dates and times stay dates and times, NULL stays null,
//! and an empty result still has its columns.
//!
//! ```no_run
//! use sourcelab::prelude::*;
//! # fn demo() -> sourcelab::Result<()> {
//! let env = load_env()?;
//! let db = Db::connect_mysql(&env)?;
//! let df = db.query("SELECT 1 AS one, 'two' AS two")?;
//! assert_eq!(df.shape(), (1, 2));
//! # Ok(()) }
//! ```

use std::time::Duration;

use polars::prelude::{DataFrame, DataType, IntoColumn, IntoSeries, NamedFrom, PlSmallStr, Series, TimeUnit};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
// Learners type SQL into cells: running their text is the point, so it is asserted safe here. Helpers that take
// values (not SQL) bind them as parameters instead.
use sqlx::{AssertSqlSafe, Column, ConnectOptions, Executor, Row, SqlSafeStr, Statement, TypeInfo};

use crate::config::{DbConfig, Engine, EnvFile};
use crate::error::{Error, ErrorKind, Result};

/// How long a connection attempt may take before it is reported as a timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// sqlx's MySQL options for a config (no URL parsing, so any password works).
pub fn mysql_options(cfg: &DbConfig) -> MySqlConnectOptions {
    MySqlConnectOptions::new()
        .host(&cfg.host)
        .port(cfg.port)
        .username(&cfg.user)
        .password(cfg.password.expose())
        .database(&cfg.database)
        .ssl_mode(sqlx::mysql::MySqlSslMode::Preferred)
}

/// sqlx's PostgreSQL options for a config.
pub fn pg_options(cfg: &DbConfig) -> PgConnectOptions {
    PgConnectOptions::new()
        .host(&cfg.host)
        .port(cfg.port)
        .username(&cfg.user)
        .password(cfg.password.expose())
        .database(&cfg.database)
        .ssl_mode(sqlx::postgres::PgSslMode::Prefer)
}

#[derive(Clone)]
enum Pool {
    MySql(MySqlPool),
    Postgres(PgPool),
}

/// A pool of connections to one database. Cheap to clone; `Debug` and `Display` hide the password.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    cfg: DbConfig,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", self.cfg.url())
    }
}

impl std::fmt::Display for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} database at {}", self.cfg.engine.name(), self.cfg.url())
    }
}

impl Db {
    /// Connects to the database `cfg` describes. One connection is made now, so bad settings fail here with the
    /// server's own reason (refused, timed out, wrong password, unknown database); the pool opens more on demand.
    pub fn connect(cfg: &DbConfig) -> Result<Db> {
        let cfg = cfg.clone();
        crate::wait(async move { Db::connect_here(cfg).await })
    }

    pub(crate) async fn connect_here(cfg: DbConfig) -> Result<Db> {
        let cfg = &cfg;
        let pool = match cfg.engine {
            Engine::MySql => {
                let opts = mysql_options(cfg);
                first_connection(cfg, opts.connect()).await?;
                Pool::MySql(
                    MySqlPoolOptions::new().max_connections(4).acquire_timeout(CONNECT_TIMEOUT).connect_lazy_with(opts),
                )
            }
            Engine::Postgres => {
                let opts = pg_options(cfg);
                first_connection(cfg, opts.connect()).await?;
                Pool::Postgres(
                    PgPoolOptions::new().max_connections(4).acquire_timeout(CONNECT_TIMEOUT).connect_lazy_with(opts),
                )
            }
        };
        Ok(Db { pool, cfg: cfg.clone() })
    }

    /// Connects to MySQL / MariaDB with the `DB*` keys of an env file.
    pub fn connect_mysql(env: &EnvFile) -> Result<Db> {
        Db::connect(&env.mysql()?)
    }

    /// Connects to PostgreSQL with the `PG*` keys of an env file.
    pub fn connect_postgres(env: &EnvFile) -> Result<Db> {
        Db::connect(&env.postgres()?)
    }

    /// The settings this pool was made from.
    pub fn config(&self) -> &DbConfig {
        &self.cfg
    }

    /// Runs one statement that returns rows and collects them into a DataFrame.
    pub fn query(&self, sql: &str) -> Result<DataFrame> {
        let (db, sql) = (self.clone(), sql.to_string());
        crate::wait(async move { db.query_here(&sql).await })
    }

    pub(crate) async fn query_here(&self, sql: &str) -> Result<DataFrame> {
        let lost = |e: sqlx::Error| sql_error(&self.cfg, sql, e);
        match &self.pool {
            Pool::MySql(pool) => query_mysql(&mut *pool.acquire().await.map_err(lost)?, &self.cfg, sql).await,
            Pool::Postgres(pool) => query_pg(&mut *pool.acquire().await.map_err(lost)?, &self.cfg, sql).await,
        }
    }

    /// The server's version string (`SELECT VERSION()`).
    pub fn server_version(&self) -> Result<String> {
        let df = self.query("SELECT VERSION() AS version")?;
        df.column("version")
            .ok()
            .and_then(|c| c.str().ok()?.get(0).map(str::to_string))
            .ok_or_else(|| Error::new(ErrorKind::Service, "read the server version", "the server returned no row"))
    }

    /// Runs one or several statements separated by `;` and returns the rows each one affected, in order.
    ///
    /// ```no_run
    /// # fn demo(db: &sourcelab::sql::Db) -> sourcelab::Result<()> {
    /// let affected = db.execute("UPDATE t SET a = 1; DELETE FROM t WHERE b = 2")?;
    /// println!("{affected:?}"); // e.g. [3, 1]
    /// # Ok(()) }
    /// ```
    pub fn execute(&self, sql: &str) -> Result<Vec<u64>> {
        let (db, sql) = (self.clone(), sql.to_string());
        crate::wait(async move {
            let lost = |e: sqlx::Error| sql_error(&db.cfg, &sql, e);
            match &db.pool {
                Pool::MySql(p) => execute_mysql(&mut *p.acquire().await.map_err(lost)?, &db.cfg, &sql).await,
                Pool::Postgres(p) => execute_pg(&mut *p.acquire().await.map_err(lost)?, &db.cfg, &sql).await,
            }
        })
    }

    /// Opens a [`Session`]: one connection of its own, named `name`, for transactions that span several calls
    /// (see [`session`]).
    pub fn session(&self, name: &str) -> Result<Session> {
        Session::open(&self.cfg, name)
    }

    /// Runs every statement of a `.sql` file, like [`Db::execute`]; an error names the file.
    pub fn run_file(&self, path: impl AsRef<std::path::Path>) -> Result<Vec<u64>> {
        let path = path.as_ref();
        let sql = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        self.execute(&sql).map_err(|e| {
            let err = Error::new(e.kind(), format!("run {}: {}", path.display(), e.what()), e.cause());
            match e.hint_text() {
                Some(h) => err.hint(h),
                None => err,
            }
        })
    }

    /// PostgreSQL: loads a CSV file (with a header row) into `table` with `COPY … FROM STDIN`, streaming it in
    /// 64 KiB pieces; returns the rows loaded, as psql's `COPY n`. COPY is all or nothing: on a bad row the
    /// server names its line and no row is loaded.
    pub fn copy_csv(&self, table: &str, path: impl AsRef<std::path::Path>) -> Result<u64> {
        check_identifier(table)?;
        let path = path.as_ref().to_path_buf();
        let (db, table) = (self.clone(), table.to_string());
        crate::wait(async move {
            use sqlx::postgres::PgPoolCopyExt;
            let Pool::Postgres(pool) = &db.pool else {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("copy {} into {table}", path.display()),
                    "COPY … FROM STDIN is PostgreSQL's",
                )
                .hint("on MySQL/MariaDB use LOAD DATA LOCAL INFILE, or db.insert"));
            };
            let file = tokio::fs::File::open(&path).await.map_err(|e| Error::io("read", &path, e))?;
            let statement = format!("COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)");
            let what = format!("copy {} into {table}", path.display());
            let mut copy = pool.copy_in_raw(&statement).await.map_err(|e| db.sql_error(&statement, e))?;
            if let Err(e) = copy.read_from(tokio::io::BufReader::with_capacity(64 * 1024, file)).await {
                let _ = copy.abort("the client could not read the file").await;
                return Err(Error::new(ErrorKind::Io, what, e.to_string()));
            }
            copy.finish().await.map_err(|e| {
                // PostgreSQL says where in the data it stopped ("COPY t, line 3, column c: …") in a field of its own.
                let context = match &e {
                    sqlx::Error::Database(d) => d
                        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                        .and_then(|pg| pg.r#where())
                        .map(|w| format!(" ({w})")),
                    _ => None,
                };
                let err = db.sql_error(&statement, e);
                Error::new(err.kind(), what, format!("{}{}", err.cause(), context.unwrap_or_default()))
                    .hint("fix that line of the file, or the table's column types")
            })
        })
    }

    /// Runs statements in one transaction: all of them take effect, or (on the first error) none does.
    pub fn transaction(&self, statements: &[&str]) -> Result<Vec<u64>> {
        let db = self.clone();
        let statements: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
        crate::wait(async move {
            macro_rules! run {
                ($pool:expr) => {{
                    let mut tx = $pool.begin().await.map_err(|e| db.sql_error("BEGIN", e))?;
                    let mut counts = Vec::with_capacity(statements.len());
                    for s in &statements {
                        // An error drops `tx`, which rolls the transaction back.
                        let r = sqlx::raw_sql(AssertSqlSafe(s.clone())).execute(&mut *tx).await;
                        counts.push(
                            r.map_err(|e| {
                                db.sql_error(s, e).hint("nothing was changed: the transaction was rolled back")
                            })?
                            .rows_affected(),
                        );
                    }
                    tx.commit().await.map_err(|e| db.sql_error("COMMIT", e))?;
                    Ok(counts)
                }};
            }
            match &db.pool {
                Pool::MySql(p) => run!(p),
                Pool::Postgres(p) => run!(p),
            }
        })
    }

    /// The tables of the current database: `table_name` and an estimate of its `rows`.
    pub fn tables(&self) -> Result<DataFrame> {
        self.query(match self.cfg.engine {
            Engine::MySql => {
                "SELECT table_name AS table_name, table_rows AS `rows` FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
            }
            Engine::Postgres => {
                "SELECT c.relname::text AS table_name, c.reltuples::bigint AS rows FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() \
                 ORDER BY 1"
            }
        })
    }

    /// Whether the current database has a table called `table`.
    pub fn has_table(&self, table: &str) -> Result<bool> {
        let tables = self.tables()?;
        let Ok(names) = tables.column("table_name") else { return Ok(false) };
        Ok((0..names.len()).any(|i| names.get(i).is_ok_and(|v| v.get_str() == Some(table))))
    }

    /// One row per column of `table`: `column`, `type`, `nullable`, `key`, `default`.
    pub fn describe(&self, table: &str) -> Result<DataFrame> {
        check_identifier(table)?;
        let sql = match self.cfg.engine {
            Engine::MySql => format!(
                "SELECT column_name AS `column`, column_type AS `type`, is_nullable AS nullable, column_key AS `key`, \
                 column_default AS `default` FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY ordinal_position"
            ),
            Engine::Postgres => format!(
                "SELECT column_name::text AS column, data_type::text AS type, is_nullable::text AS nullable, \
                 column_default::text AS default FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        };
        let df = self.query(&sql)?;
        if df.height() == 0 {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("describe table `{table}` on {}", self.cfg.endpoint()),
                "there is no such table in this database",
            )
            .hint("list the tables with `db.tables()?`"));
        }
        Ok(df)
    }

    /// Inserts rows into `table` with bound parameters (values never become SQL text); returns rows inserted.
    ///
    /// ```no_run
    /// # use sourcelab::sql::SqlValue;
    /// # fn demo(db: &sourcelab::sql::Db) -> sourcelab::Result<()> {
    /// let rows = vec![vec![SqlValue::from(1), SqlValue::from("Horror")]];
    /// db.insert("category_copy", &["category_id", "name"], &rows)?;
    /// # Ok(()) }
    /// ```
    pub fn insert(&self, table: &str, columns: &[&str], rows: &[Vec<SqlValue>]) -> Result<u64> {
        check_identifier(table)?;
        columns.iter().try_for_each(|c| check_identifier(c))?;
        if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != columns.len()) {
            return Err(Error::new(
                ErrorKind::Input,
                format!("insert into `{table}`"),
                format!("row {} has {} values for {} columns", i + 1, row.len(), columns.len()),
            )
            .hint("give one value per column, in the columns' order"));
        }
        if rows.is_empty() {
            return Ok(0);
        }
        let cols: Vec<String> = columns.iter().map(|c| self.quote(c)).collect();
        let placeholders: Vec<String> = (0..rows.len())
            .map(|r| {
                let ps: Vec<String> = (0..columns.len()).map(|c| self.placeholder(r * columns.len() + c + 1)).collect();
                format!("({})", ps.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {} ({}) VALUES {}", self.quote(table), cols.join(", "), placeholders.join(", "));
        self.execute_bound(sql, rows.iter().flatten().cloned().collect())
    }

    /// `UPDATE table SET col = value, … WHERE where_column = where_value`, all values bound; returns rows changed.
    pub fn update_where(
        &self,
        table: &str,
        set: &[(&str, SqlValue)],
        where_column: &str,
        where_value: SqlValue,
    ) -> Result<u64> {
        check_identifier(table)?;
        check_identifier(where_column)?;
        set.iter().try_for_each(|(c, _)| check_identifier(c))?;
        let assignments: Vec<String> = set
            .iter()
            .enumerate()
            .map(|(i, (c, _))| format!("{} = {}", self.quote(c), self.placeholder(i + 1)))
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE {} = {}",
            self.quote(table),
            assignments.join(", "),
            self.quote(where_column),
            self.placeholder(set.len() + 1)
        );
        let mut values: Vec<SqlValue> = set.iter().map(|(_, v)| v.clone()).collect();
        values.push(where_value);
        self.execute_bound(sql, values)
    }

    /// `DELETE FROM table WHERE column = value`, the value bound; returns rows deleted.
    pub fn delete_where(&self, table: &str, column: &str, value: SqlValue) -> Result<u64> {
        check_identifier(table)?;
        check_identifier(column)?;
        let sql = format!("DELETE FROM {} WHERE {} = {}", self.quote(table), self.quote(column), self.placeholder(1));
        self.execute_bound(sql, vec![value])
    }

    fn quote(&self, ident: &str) -> String {
        match self.cfg.engine {
            Engine::MySql => format!("`{ident}`"),
            Engine::Postgres => format!("\"{ident}\""),
        }
    }

    fn placeholder(&self, n: usize) -> String {
        match self.cfg.engine {
            Engine::MySql => "?".into(),
            Engine::Postgres => format!("${n}"),
        }
    }

    fn execute_bound(&self, sql: String, values: Vec<SqlValue>) -> Result<u64> {
        let db = self.clone();
        crate::wait(async move {
            macro_rules! bind_all {
                ($q:expr) => {{
                    let mut q = $q;
                    for v in &values {
                        q = match v {
                            SqlValue::Null => q.bind(None::<String>),
                            SqlValue::Bool(b) => q.bind(*b),
                            SqlValue::Int(i) => q.bind(*i),
                            SqlValue::Float(f) => q.bind(*f),
                            SqlValue::Text(t) => q.bind(t.clone()),
                        };
                    }
                    q
                }};
            }
            let result = match &db.pool {
                Pool::MySql(p) => {
                    bind_all!(sqlx::query(AssertSqlSafe(sql.clone()))).execute(p).await.map(|r| r.rows_affected())
                }
                Pool::Postgres(p) => {
                    bind_all!(sqlx::query(AssertSqlSafe(sql.clone()))).execute(p).await.map(|r| r.rows_affected())
                }
            };
            result.map_err(|e| db.sql_error(&sql, e))
        })
    }

    fn sql_error(&self, sql: &str, e: sqlx::Error) -> Error {
        sql_error(&self.cfg, sql, e)
    }
}

const CHECK_HINT: &str = "the change would break a CHECK rule of the table (named in the message), so the server refused it; nothing was \
     changed";

/// A failed statement: the server's message and code, the statement, the fix; or why the connection failed.
fn sql_error(cfg: &DbConfig, sql: &str, e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().map(|c| format!(" [{c}]")).unwrap_or_default();
        let position = db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .and_then(|pg| match pg.position() {
                Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p),
                _ => None,
            })
            .map(|p| format!(" (at character {p})"))
            .unwrap_or_default();
        // A broken rule of the table is not a mistake in the SQL: say which rule and that nothing changed.
        // (sqlx maps MySQL's and PostgreSQL's codes; MariaDB's CHECK failure, 4025, only by its text.)
        let message = db.message().to_string();
        let hint = match db.kind() {
            sqlx::error::ErrorKind::CheckViolation => CHECK_HINT,
            _ if message.starts_with("CONSTRAINT `") && message.contains("` failed for `") => CHECK_HINT,
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                "the table's foreign key (named in the message) refuses it: a row must refer to a row that exists, and a row still referred to cannot go. Nothing was changed"
            }
            sqlx::error::ErrorKind::UniqueViolation => {
                "a row with that key exists already (the key is named in the message); nothing was changed"
            }
            sqlx::error::ErrorKind::NotNullViolation => {
                "that column needs a value (it is NOT NULL); nothing was changed"
            }
            _ => "fix the statement and run the cell again; the connection is still fine",
        };
        return Error::new(
            ErrorKind::Service,
            format!("run SQL on {}: {}", cfg.endpoint(), one_line_sql(sql)),
            format!("{message}{code}{position}"),
        )
        .hint(hint)
        .with_source(e);
    }
    connect_error(cfg, e)
}

/// Runs one statement that returns rows on one MySQL connection (a pool's, or a [`Session`]'s).
async fn query_mysql(conn: &mut sqlx::MySqlConnection, cfg: &DbConfig, sql: &str) -> Result<DataFrame> {
    let fail = |e: sqlx::Error| sql_error(cfg, sql, e);
    let stmt = conn.prepare(AssertSqlSafe(sql).into_sql_str()).await.map_err(fail)?;
    let columns = mysql_columns(stmt.columns());
    build_frame(&columns, stmt.query().fetch(&mut *conn), decode_mysql, fail).await
}

/// [`query_mysql`] for PostgreSQL.
async fn query_pg(conn: &mut sqlx::PgConnection, cfg: &DbConfig, sql: &str) -> Result<DataFrame> {
    let fail = |e: sqlx::Error| sql_error(cfg, sql, e);
    let stmt = conn.prepare(AssertSqlSafe(sql).into_sql_str()).await.map_err(fail)?;
    let columns = pg_columns(stmt.columns());
    build_frame(&columns, stmt.query().fetch(&mut *conn), decode_pg, fail).await
}

/// Runs one or several statements separated by `;` on one MySQL connection; the rows each affected.
async fn execute_mysql(conn: &mut sqlx::MySqlConnection, cfg: &DbConfig, sql: &str) -> Result<Vec<u64>> {
    use futures_util::TryStreamExt;
    let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute_many(&mut *conn);
    rows.map_ok(|r| r.rows_affected()).try_collect().await.map_err(|e| sql_error(cfg, sql, e))
}

/// [`execute_mysql`] for PostgreSQL.
async fn execute_pg(conn: &mut sqlx::PgConnection, cfg: &DbConfig, sql: &str) -> Result<Vec<u64>> {
    use futures_util::TryStreamExt;
    let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute_many(&mut *conn);
    rows.map_ok(|r| r.rows_affected()).try_collect().await.map_err(|e| sql_error(cfg, sql, e))
}

/// Makes one connection within [`CONNECT_TIMEOUT`] and closes it; its error explains what is wrong.
async fn first_connection<C: sqlx::Connection>(
    cfg: &DbConfig,
    connect: impl std::future::Future<Output = std::result::Result<C, sqlx::Error>>,
) -> Result<()> {
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(connect_error(cfg, e)),
        Err(_) => Err(connect_error(cfg, sqlx::Error::PoolTimedOut)),
    }
}

pub use sourcelab_notebook::values::SqlValue;

pub mod script;
pub mod session;
pub use script::{Script, Step};
pub use session::Session;

/// Accepts a plain SQL identifier (letters, digits, `_`, not starting with a digit, at most 64 characters).
/// Helpers check every table and column name with it before sending anything, so a name can never smuggle SQL.
pub fn check_identifier(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Input,
            format!("use `{}` as a table or column name", one_line_sql(name)),
            "only letters, digits and _ are allowed (not starting with a digit, at most 64 characters)",
        )
        .hint("check the spelling; values go in the value arguments, never in names"))
    }
}

fn one_line_sql(sql: &str) -> String {
    let s: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

/// Turns a connection failure into a message that names the server and the likely fix.
const NO_ANSWER: &str = "the server did not answer: is it running (`sourcelab status`)? Then check host and port, \
                         firewalls and security groups";

fn connect_error(cfg: &DbConfig, e: sqlx::Error) -> Error {
    let what = format!("connect to {} at {} as {}", cfg.engine.name(), cfg.endpoint(), cfg.user);
    // The server's own words: sqlx's Display adds "error returned from database" and, for PostgreSQL, the line of
    // the server's C source ("at line 334"), which reads like a line of yours.
    let text = match &e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    let lower = text.to_lowercase();
    let gone = ["refused", "reset by peer", "broken pipe", "unexpected end of file", "connection closed"];
    // A pool that timed out while the server on this machine refuses connections: the server is down. (A port
    // that does not answer at all is something else: lab 4's blocked network drops the packets.)
    let local_down = || {
        crate::error::is_local_url(&cfg.host)
            && std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], cfg.port)),
                Duration::from_millis(500),
            )
            .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
    };
    let (kind, hint) = if gone.iter().any(|g| lower.contains(g))
        || (matches!(e, sqlx::Error::PoolTimedOut) && local_down())
    {
        if crate::error::is_local_url(&cfg.host) {
            let fix = format!(
                "nothing answers there: the local {} is down, or this is not its port (`sourcelab status` shows the stack's). Run `sourcelab up`: it starts what is down, and this connection works again without restarting the kernel",
                cfg.engine.name()
            );
            return Error::new(ErrorKind::Connect, what, text).hint(fix).with_source(e);
        }
        (
            ErrorKind::Connect,
            "nothing listens there: check host and port; with the local stack, `sourcelab status` / `sourcelab up`",
        )
    } else if matches!(e, sqlx::Error::PoolTimedOut) {
        return Error::new(ErrorKind::Timeout, what, format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))
            .hint(NO_ANSWER);
    } else if lower.contains("timed out") {
        (ErrorKind::Timeout, NO_ANSWER)
    } else if lower.contains("password") || lower.contains("access denied") || lower.contains("authentication") {
        (ErrorKind::Auth, "check the user and password in the env file")
    } else if lower.contains("unknown database") || (lower.contains("database") && lower.contains("does not exist")) {
        (ErrorKind::NotFound, "check the database name in the env file (DBNAME / PGDATABASE)")
    } else if lower.contains("failed to lookup") || lower.contains("name or service not known") {
        (ErrorKind::Connect, "the host name does not resolve: check DBHOST / PGHOST")
    } else {
        (ErrorKind::Connect, "check the settings in the env file and `sourcelab status`")
    };
    Error::new(kind, what, text).hint(hint).with_source(e)
}

/// The kind of polars column a database column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Bool,
    Str,
    Bytes,
    Decimal,
    Date,
    DateTime,
    DateTimeUtc,
    Time,
}

struct Col {
    name: String,
    type_name: String,
    kind: Option<Kind>,
}

/// A column being filled as rows stream in, typed like the polars column it becomes (no per-value boxing).
enum Builder {
    Bool(Vec<Option<bool>>),
    I8(Vec<Option<i8>>),
    I16(Vec<Option<i16>>),
    I32(Vec<Option<i32>>),
    I64(Vec<Option<i64>>),
    U8(Vec<Option<u8>>),
    U16(Vec<Option<u16>>),
    U32(Vec<Option<u32>>),
    U64(Vec<Option<u64>>),
    F32(Vec<Option<f32>>),
    F64(Vec<Option<f64>>),
    /// Text goes straight into polars' string buffer, borrowed from the row (no String per value).
    Str(polars::prelude::StringChunkedBuilder),
    Bytes(Vec<Option<Vec<u8>>>),
    Decimal(Vec<Option<bigdecimal::BigDecimal>>),
    /// Days since 1970-01-01.
    Date(Vec<Option<i32>>),
    /// Microseconds since 1970-01-01 00:00; `true` for a UTC timestamp.
    DateTime(Vec<Option<i64>>, bool),
    /// Nanoseconds since midnight.
    Time(Vec<Option<i64>>),
}

impl Builder {
    fn new(kind: Kind, name: &str) -> Builder {
        match kind {
            Kind::Bool => Builder::Bool(Vec::new()),
            Kind::I8 => Builder::I8(Vec::new()),
            Kind::I16 => Builder::I16(Vec::new()),
            Kind::I32 => Builder::I32(Vec::new()),
            Kind::I64 => Builder::I64(Vec::new()),
            Kind::U8 => Builder::U8(Vec::new()),
            Kind::U16 => Builder::U16(Vec::new()),
            Kind::U32 => Builder::U32(Vec::new()),
            Kind::U64 => Builder::U64(Vec::new()),
            Kind::F32 => Builder::F32(Vec::new()),
            Kind::F64 => Builder::F64(Vec::new()),
            Kind::Str => Builder::Str(polars::prelude::StringChunkedBuilder::new(name.into(), 0)),
            Kind::Bytes => Builder::Bytes(Vec::new()),
            Kind::Decimal => Builder::Decimal(Vec::new()),
            Kind::Date => Builder::Date(Vec::new()),
            Kind::DateTime => Builder::DateTime(Vec::new(), false),
            Kind::DateTimeUtc => Builder::DateTime(Vec::new(), true),
            Kind::Time => Builder::Time(Vec::new()),
        }
    }

    fn finish(self, name: &str) -> Result<Series> {
        let name = PlSmallStr::from(name);
        Ok(match self {
            Builder::Bool(v) => Series::new(name, v),
            Builder::I8(v) => Series::new(name, v),
            Builder::I16(v) => Series::new(name, v),
            Builder::I32(v) => Series::new(name, v),
            Builder::I64(v) => Series::new(name, v),
            Builder::U8(v) => Series::new(name, v),
            Builder::U16(v) => Series::new(name, v),
            Builder::U32(v) => Series::new(name, v),
            Builder::U64(v) => Series::new(name, v),
            Builder::F32(v) => Series::new(name, v),
            Builder::F64(v) => Series::new(name, v),
            Builder::Str(v) => v.finish().into_series(),
            Builder::Bytes(v) => Series::new(name, v),
            Builder::Decimal(v) => decimal_series(name, v)?,
            Builder::Date(v) => Series::new(name, v).cast(&DataType::Date).map_err(cast_error)?,
            Builder::DateTime(v, utc) => {
                let tz = utc.then_some(polars::prelude::TimeZone::UTC);
                Series::new(name, v).cast(&DataType::Datetime(TimeUnit::Microseconds, tz)).map_err(cast_error)?
            }
            Builder::Time(v) => Series::new(name, v).cast(&DataType::Time).map_err(cast_error)?,
        })
    }
}

fn days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::default()).num_days() as i32
}

fn micros(d: chrono::NaiveDateTime) -> i64 {
    d.and_utc().timestamp_micros()
}

fn nanos(t: chrono::NaiveTime) -> i64 {
    use chrono::Timelike;
    i64::from(t.num_seconds_from_midnight()) * 1_000_000_000 + i64::from(t.nanosecond())
}

fn mysql_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "BOOLEAN" => Kind::Bool,
        "TINYINT" => Kind::I8,
        "SMALLINT" => Kind::I16,
        "MEDIUMINT" | "INT" => Kind::I32,
        "BIGINT" => Kind::I64,
        "TINYINT UNSIGNED" => Kind::U8,
        "SMALLINT UNSIGNED" | "YEAR" => Kind::U16,
        "MEDIUMINT UNSIGNED" | "INT UNSIGNED" => Kind::U32,
        "BIGINT UNSIGNED" | "BIT" => Kind::U64,
        "FLOAT" => Kind::F32,
        "DOUBLE" => Kind::F64,
        "DECIMAL" => Kind::Decimal,
        "DATE" => Kind::Date,
        "DATETIME" => Kind::DateTime,
        "TIMESTAMP" => Kind::DateTimeUtc,
        "TIME" => Kind::Time,
        "CHAR" | "VARCHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" | "JSON" | "NULL" => {
            Kind::Str
        }
        "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "GEOMETRY" => Kind::Bytes,
        _ => return None,
    })
}

fn pg_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "BOOL" => Kind::Bool,
        "\"CHAR\"" => Kind::I8,
        "INT2" => Kind::I16,
        "INT4" => Kind::I32,
        "INT8" => Kind::I64,
        "OID" => Kind::U32,
        "FLOAT4" => Kind::F32,
        "FLOAT8" => Kind::F64,
        "NUMERIC" => Kind::Decimal,
        "DATE" => Kind::Date,
        "TIMESTAMP" => Kind::DateTime,
        "TIMESTAMPTZ" => Kind::DateTimeUtc,
        "TIME" => Kind::Time,
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "UNKNOWN" | "VOID" => Kind::Str,
        "BYTEA" => Kind::Bytes,
        _ => return None,
    })
}

fn mysql_columns<C: Column>(cols: &[C]) -> Vec<Col> {
    cols.iter()
        .map(|c| {
            let t = c.type_info().name().to_string();
            Col { name: c.name().to_string(), kind: mysql_kind(&t), type_name: t }
        })
        .collect()
}

fn pg_columns<C: Column>(cols: &[C]) -> Vec<Col> {
    cols.iter()
        .map(|c| {
            let t = c.type_info().name().to_string();
            Col { name: c.name().to_string(), kind: pg_kind(&t), type_name: t }
        })
        .collect()
}

/// Decodes column `$i` of `$row` as `Option<$t>` (the column's kind was checked from its type already).
macro_rules! get {
    ($row:expr, $i:expr, $t:ty) => {
        $row.try_get_unchecked::<Option<$t>, _>($i)?
    };
}

/// Defines a decoder for one engine's rows: the arms every engine shares, plus the engine's own unsigned arms.
macro_rules! decoder {
    ($name:ident, $row_type:ty, |$row:ident, $i:ident, $b:ident| { $($unsigned:tt)* }) => {
        fn $name($row: &$row_type, $i: usize, $b: &mut Builder) -> std::result::Result<(), sqlx::Error> {
            match $b {
                Builder::Bool(v) => v.push(get!($row, $i, bool)),
                Builder::I8(v) => v.push(get!($row, $i, i8)),
                Builder::I16(v) => v.push(get!($row, $i, i16)),
                Builder::I32(v) => v.push(get!($row, $i, i32)),
                Builder::I64(v) => v.push(get!($row, $i, i64)),
                Builder::F32(v) => v.push(get!($row, $i, f32)),
                Builder::F64(v) => v.push(get!($row, $i, f64)),
                Builder::Str(v) => v.append_option(get!($row, $i, &str)),
                Builder::Bytes(v) => v.push(get!($row, $i, Vec<u8>)),
                Builder::Decimal(v) => v.push(get!($row, $i, bigdecimal::BigDecimal)),
                Builder::Date(v) => v.push(get!($row, $i, chrono::NaiveDate).map(days)),
                Builder::DateTime(v, false) => v.push(get!($row, $i, chrono::NaiveDateTime).map(micros)),
                Builder::DateTime(v, true) => {
                    v.push(get!($row, $i, chrono::DateTime<chrono::Utc>).map(|d| micros(d.naive_utc())))
                }
                Builder::Time(v) => v.push(get!($row, $i, chrono::NaiveTime).map(nanos)),
                $($unsigned)*
            }
            Ok(())
        }
    };
}

decoder!(decode_mysql, MySqlRow, |row, i, b| {
    Builder::U8(v) => v.push(get!(row, i, u8)),
    Builder::U16(v) => v.push(get!(row, i, u16)),
    Builder::U32(v) => v.push(get!(row, i, u32)),
    Builder::U64(v) => v.push(get!(row, i, u64)),
});

// PostgreSQL has no unsigned types; OID (u32) is the one unsigned column it has, and pg_kind maps nothing else
// to an unsigned kind.
decoder!(decode_pg, PgRow, |row, i, b| {
    Builder::U32(v) => v.push(get!(row, i, sqlx::postgres::types::Oid).map(|o| o.0)),
    Builder::U8(_) | Builder::U16(_) | Builder::U64(_) => {
        return Err(sqlx::Error::Decode("PostgreSQL has no unsigned column of this width".into()))
    }
});

/// Decodes every row and builds one polars column per database column.
/// Decodes rows as they stream in (no copy of the whole result is held) and builds one polars column per
/// database column.
async fn build_frame<R>(
    cols: &[Col],
    rows: impl futures_util::Stream<Item = std::result::Result<R, sqlx::Error>>,
    decode: fn(&R, usize, &mut Builder) -> std::result::Result<(), sqlx::Error>,
    fail: impl Fn(sqlx::Error) -> Error,
) -> Result<DataFrame> {
    use futures_util::TryStreamExt;
    let kinds: Vec<Kind> = cols
        .iter()
        .map(|col| {
            col.kind.ok_or_else(|| {
                Error::new(
                    ErrorKind::Input,
                    format!("read column `{}`", col.name),
                    format!("sourcelab cannot turn the database type {} into a DataFrame column yet", col.type_name),
                )
                .hint(format!("cast it to text in the query, e.g. CAST({} AS CHAR)", col.name))
            })
        })
        .collect::<Result<_>>()?;
    let mut builders: Vec<Builder> = kinds.into_iter().zip(cols).map(|(k, c)| Builder::new(k, &c.name)).collect();
    let mut rows = std::pin::pin!(rows);
    let mut r = 0usize;
    while let Some(row) = rows.try_next().await.map_err(&fail)? {
        r += 1;
        for (i, (col, builder)) in cols.iter().zip(builders.iter_mut()).enumerate() {
            decode(&row, i, builder).map_err(|e| {
                Error::new(
                    ErrorKind::Input,
                    format!("read column `{}` ({}) of row {r}", col.name, col.type_name),
                    e.to_string(),
                )
                .hint("cast the column to text in the query to see the raw value")
            })?;
        }
    }
    let mut columns = Vec::with_capacity(cols.len());
    for (col, builder) in cols.iter().zip(builders) {
        columns.push(builder.finish(&col.name)?.into_column());
    }
    DataFrame::new_infer_height(columns).map_err(|e| Error::new(ErrorKind::Input, "build the DataFrame", e.to_string()))
}

/// DECIMAL values as a polars Decimal column (exact, up to 38 digits, one scale for the column); wider values
/// become a text column holding their exact digits, since polars' Decimal stops at 38.
fn decimal_series(name: PlSmallStr, decimals: Vec<Option<bigdecimal::BigDecimal>>) -> Result<Series> {
    use bigdecimal::ToPrimitive;
    let scale = decimals.iter().flatten().map(|d| d.as_bigint_and_exponent().1.max(0)).max().unwrap_or(0);
    let mantissas: Option<Vec<Option<i128>>> = decimals
        .iter()
        .map(|d| match d {
            None => Some(None),
            Some(d) => d
                .with_scale(scale)
                .as_bigint_and_exponent()
                .0
                .to_i128()
                .filter(|m| m.unsigned_abs() < 10u128.pow(38))
                .map(Some),
        })
        .collect();
    match mantissas {
        Some(m) if scale <= 38 => Series::new(name, m)
            .into_decimal(38, scale as usize)
            .map_err(|e| Error::new(ErrorKind::Input, "build a DECIMAL column", e.to_string())),
        _ => {
            Ok(Series::new(name, decimals.iter().map(|d| d.as_ref().map(|d| d.to_plain_string())).collect::<Vec<_>>()))
        }
    }
}

fn cast_error(e: polars::prelude::PolarsError) -> Error {
    Error::new(ErrorKind::Input, "build a date/time column", e.to_string())
}
