//! Sessions: one connection each, for transactions that span several steps — and for watching two clients
//! interleave.
//!
//! A [`Db`](super::Db) is a pool: each call may run on a different connection, so a `BEGIN` in one call and an
//! `UPDATE` in the next would not even be in the same transaction. A [`Session`] is one connection of its own,
//! exactly what one client of the database has. Open two and you have two clients whose statements you can
//! interleave by hand, one cell at a time, to see what the isolation levels allow:
//!
//! ```no_run
//! # fn demo(db: &sourcelab::sql::Db) -> sourcelab::Result<()> {
//! use sourcelab::sql::Session;
//! let a = db.session("A")?;
//! let b = db.session("B")?;
//! a.begin()?;
//! a.execute("UPDATE product SET stock = stock - 1 WHERE id = 1")?; // A holds the row's lock now
//! b.submit("UPDATE product SET stock = stock - 1 WHERE id = 1")?;  // B has to wait for it
//! assert!(b.busy());
//! a.commit()?;                                                      // A lets go…
//! let done = b.wait()?;                                             // …and B's UPDATE goes through
//! println!("{}", Session::timeline(&[&a, &b])?);                  // every step, side by side
//! # Ok(()) }
//! ```
//!
//! - [`Session::execute`] and [`Session::query`] wait for the answer. A statement that needs a row another session
//!   has locked waits for that lock; here it gives up after [`LOCK_WAIT`] with the server's "Lock wait timeout".
//! - [`Session::submit`] sends a statement and returns at once, so the cell that follows can make the other session
//!   let go; [`Session::busy`] says whether it still waits, [`Session::wait`] collects its result.
//! - Every step is recorded: [`Session::timeline`] lays out the steps of several sessions in the order they
//!   happened, one column per session, and [`Session::views`] runs the same query in each session, so you see what
//!   each one sees at that moment.
//!
//! Dropping the last copy of a session closes its connection; the server then rolls back whatever it left
//! uncommitted, as it does for any client that goes away.

use crate::frame::TableExt;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use sqlx::ConnectOptions;

use super::script::returns_rows;
use super::{execute_mysql, execute_pg, mysql_options, pg_options, query_mysql, query_pg};
use crate::config::{DbConfig, Engine};
use crate::error::{Error, ErrorKind, Result};

/// How long a statement sent with [`Session::execute`] or [`Session::query`] waits for a lock another session
/// holds before the server gives up.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);
/// How long a statement sent with [`Session::submit`] may wait for a lock (the learner's next cells release it).
pub const SUBMIT_LOCK_WAIT: Duration = Duration::from_secs(600);
/// How long [`Session::wait`] waits for a submitted statement before it says the statement is still blocked.
pub const WAIT: Duration = Duration::from_secs(15);

/// The four isolation levels of the SQL standard, as both engines spell them.
pub const ISOLATION_LEVELS: [&str; 4] = ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"];

/// One connection of its own.
pub(crate) enum Conn {
    MySql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
}

impl Conn {
    async fn open(cfg: &DbConfig) -> Result<Conn> {
        let connect = async {
            match cfg.engine {
                Engine::MySql => mysql_options(cfg).connect().await.map(Conn::MySql),
                Engine::Postgres => pg_options(cfg).connect().await.map(Conn::Postgres),
            }
        };
        match tokio::time::timeout(super::CONNECT_TIMEOUT, connect).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(super::connect_error(cfg, e)),
            Err(_) => Err(super::connect_error(cfg, sqlx::Error::PoolTimedOut)),
        }
    }

    async fn query(&mut self, cfg: &DbConfig, sql: &str) -> Result<DataFrame> {
        match self {
            Conn::MySql(c) => query_mysql(c, cfg, sql).await,
            Conn::Postgres(c) => query_pg(c, cfg, sql).await,
        }
    }

    async fn execute(&mut self, cfg: &DbConfig, sql: &str) -> Result<Vec<u64>> {
        match self {
            Conn::MySql(c) => execute_mysql(c, cfg, sql).await,
            Conn::Postgres(c) => execute_pg(c, cfg, sql).await,
        }
    }

    /// The server's id of this connection (MySQL's `CONNECTION_ID()`, PostgreSQL's backend pid).
    async fn id(&mut self, cfg: &DbConfig) -> Result<u64> {
        let sql = match self {
            Conn::MySql(_) => "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id",
            Conn::Postgres(_) => "SELECT pg_backend_pid()::bigint AS id",
        };
        let df = self.query(cfg, sql).await?;
        df.value(0, "id")?
            .as_u64()
            .ok_or_else(|| Error::new(ErrorKind::Service, "read the connection id", "the server returned none"))
    }

    /// Sets how long a statement waits for a lock.
    async fn lock_wait(&mut self, cfg: &DbConfig, wait: Duration) -> Result<()> {
        let sql = match self {
            Conn::MySql(_) => format!("SET SESSION innodb_lock_wait_timeout = {}", wait.as_secs()),
            Conn::Postgres(_) => format!("SET lock_timeout = '{}s'", wait.as_secs()),
        };
        self.execute(cfg, &sql).await.map(drop)
    }
}

/// What a statement gave back.
#[derive(Clone)]
enum Outcome {
    Rows(DataFrame),
    Changed(Vec<u64>),
}

impl Outcome {
    /// As a table: the rows, or one row with `rows_affected`.
    fn frame(self) -> Result<DataFrame> {
        match self {
            Outcome::Rows(df) => Ok(df),
            Outcome::Changed(counts) => {
                let total: u64 = counts.iter().sum();
                DataFrame::new_infer_height(vec![Column::new("rows_affected".into(), [total])])
                    .map_err(|e| Error::new(ErrorKind::Input, "build a table", e.to_string()))
            }
        }
    }
}

/// One step a session took: when (a tick of one clock all sessions share), what, and what came of it.
#[derive(Clone)]
struct Step {
    tick: u64,
    statement: String,
    result: String,
}

fn tick() -> u64 {
    static CLOCK: AtomicU64 = AtomicU64::new(0);
    CLOCK.fetch_add(1, Ordering::SeqCst) + 1
}

/// A statement sent with [`Session::submit`] whose result nobody has collected yet.
struct Pending {
    sql: String,
    task: tokio::task::JoinHandle<Result<Outcome>>,
}

struct Inner {
    name: String,
    cfg: DbConfig,
    id: u64,
    conn: Arc<tokio::sync::Mutex<Conn>>,
    pending: Mutex<Option<Pending>>,
    steps: Mutex<Vec<Step>>,
}

/// One client's connection to a database, with its own transaction state and isolation level. Cheap to clone
/// (clones share the connection); `Debug` and `Display` hide the password.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "session {} ({} at {}, connection {})", i.name, i.cfg.engine.name(), i.cfg.endpoint(), i.id)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session({self})")
    }
}

/// Whether a statement is transaction or session control (`BEGIN`, `COMMIT`, `SET …`): its result reads "ok".
fn is_control(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
    matches!(first.as_str(), "BEGIN" | "START" | "COMMIT" | "ROLLBACK" | "SET" | "SAVEPOINT" | "RELEASE")
}

fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("'{s}'"),
        serde_json::Value::Null => "NULL".into(),
        other => other.to_string(),
    }
}

/// A short account of a result, for the timeline.
fn summary(sql: &str, outcome: &Result<Outcome>) -> String {
    match outcome {
        Err(e) => format!("error: {}", e.cause()),
        Ok(Outcome::Changed(_)) if is_control(sql) => "ok".into(),
        Ok(Outcome::Changed(counts)) => {
            let n: u64 = counts.iter().sum();
            format!("{n} row{} changed", if n == 1 { "" } else { "s" })
        }
        Ok(Outcome::Rows(df)) if df.height() == 0 => "no rows".into(),
        Ok(Outcome::Rows(df)) => {
            let names: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
            let row = |r: usize| -> String {
                let cells: Vec<String> = names
                    .iter()
                    .map(|c| {
                        let v = df.value(r, c).unwrap_or_default();
                        if names.len() == 1 { cell_text(&v) } else { format!("{c}={}", cell_text(&v)) }
                    })
                    .collect();
                cells.join(", ")
            };
            let shown: Vec<String> = (0..df.height().min(3)).map(row).collect();
            let more = if df.height() > 3 { format!("; … {} rows", df.height()) } else { String::new() };
            format!("{}{more}", shown.join("; "))
        }
    }
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Session {
    /// Opens a connection of its own to the database `cfg` describes; `name` labels it in timelines and errors.
    pub fn open(cfg: &DbConfig, name: &str) -> Result<Session> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 24 {
            return Err(Error::new(
                ErrorKind::Input,
                "open a database session",
                format!("the name {name:?} is empty or longer than 24 characters"),
            )
            .hint("name sessions after the client they play, e.g. \"A\", \"B\" or \"buyer 1\""));
        }
        let cfg = cfg.clone();
        let (conn, id) = crate::wait(async {
            let mut conn = Conn::open(&cfg).await?;
            conn.lock_wait(&cfg, LOCK_WAIT).await?;
            let id = conn.id(&cfg).await?;
            Ok((conn, id))
        })?;
        Ok(Session {
            inner: Arc::new(Inner {
                name: name.to_string(),
                cfg,
                id,
                conn: Arc::new(tokio::sync::Mutex::new(conn)),
                pending: Mutex::new(None),
                steps: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The name it was opened with.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The server's id of this connection (`CONNECTION_ID()` on MySQL, the backend pid on PostgreSQL): two
    /// sessions, two ids — two clients as far as the server knows.
    pub fn connection_id(&self) -> u64 {
        self.inner.id
    }

    fn record(&self, statement: &str, result: String) {
        let step = Step { tick: tick(), statement: one_line(statement), result };
        self.inner.steps.lock().unwrap_or_else(|p| p.into_inner()).push(step);
    }

    /// A statement of this session's that has not finished yet: an error naming it. A finished one is recorded
    /// first (its result is then lost to `wait`, but kept in the timeline).
    fn ready(&self, what: &str) -> Result<()> {
        let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pending.as_ref() {
            if !p.task.is_finished() {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("{what} in session {}", self.inner.name),
                    format!("the session is still waiting for its statement `{}` (sent with submit)", one_line(&p.sql)),
                )
                .hint(format!(
                    "a session runs one statement at a time: let the other session commit or roll back, then call \
                     {}.wait()",
                    self.inner.name.to_lowercase()
                )));
            }
            let p = pending.take().expect("checked above");
            let outcome = crate::block_on(p.task)?.unwrap_or_else(|e| Err(self.lost(&p.sql, e.to_string())));
            self.record(&p.sql, format!("finished after waiting: {}", summary(&p.sql, &outcome)));
        }
        Ok(())
    }

    fn lost(&self, sql: &str, cause: String) -> Error {
        Error::new(ErrorKind::Setup, format!("run `{}` in session {}", one_line(sql), self.inner.name), cause)
    }

    /// Explains the errors a learner meets with sessions: a lock that never came, a connection that is gone.
    fn explain(&self, e: Error) -> Error {
        let cause = e.cause().to_lowercase();
        if cause.contains("lock wait timeout") || cause.contains("lock timeout") {
            e.hint(format!(
                "another session holds a lock on that row: commit or roll back that session first, or send this \
                 statement with {}.submit(…) and wait() for it after the other session lets go",
                self.inner.name.to_lowercase()
            ))
        } else if cause.contains("deadlock") {
            e.hint("the server rolled this session's transaction back to break a deadlock: begin again")
        } else if matches!(e.kind(), ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Io) {
            e.hint(format!(
                "session {}'s connection is gone (did the server restart?); whatever it had not committed was \
                 rolled back. Open a new session with db.session(\"{}\")",
                self.inner.name, self.inner.name
            ))
        } else {
            e
        }
    }

    fn run(&self, sql: &str, rows: bool) -> Result<Outcome> {
        self.ready(&format!("run `{}`", one_line(sql)))?;
        let (inner, text) = (self.inner.clone(), sql.to_string());
        let outcome = crate::wait(async move {
            let mut conn = inner.conn.lock().await;
            if rows {
                conn.query(&inner.cfg, &text).await.map(Outcome::Rows)
            } else {
                conn.execute(&inner.cfg, &text).await.map(Outcome::Changed)
            }
        })
        .map_err(|e| self.explain(e));
        self.record(sql, summary(sql, &outcome));
        outcome
    }

    /// Runs one or several statements separated by `;` and waits for them; the rows each one affected.
    pub fn execute(&self, sql: &str) -> Result<Vec<u64>> {
        match self.run(sql, false)? {
            Outcome::Changed(counts) => Ok(counts),
            Outcome::Rows(_) => Ok(Vec::new()),
        }
    }

    /// Runs one statement that returns rows and waits for them; the rows as a DataFrame.
    pub fn query(&self, sql: &str) -> Result<DataFrame> {
        self.run(sql, true)?.frame()
    }

    /// Starts a transaction (`BEGIN`): what follows takes effect at [`Session::commit`], or never.
    pub fn begin(&self) -> Result<()> {
        self.execute("BEGIN").map(drop)
    }

    /// Makes the transaction's changes permanent and visible to other sessions (`COMMIT`).
    pub fn commit(&self) -> Result<()> {
        self.execute("COMMIT").map(drop)
    }

    /// Undoes everything since `BEGIN` (`ROLLBACK`).
    pub fn rollback(&self) -> Result<()> {
        self.execute("ROLLBACK").map(drop)
    }

    /// Sets the isolation level of this session's next transactions: one of [`ISOLATION_LEVELS`].
    pub fn isolation(&self, level: &str) -> Result<()> {
        let wanted = one_line(level).to_ascii_uppercase().replace(['-', '_'], " ");
        let Some(level) = ISOLATION_LEVELS.iter().find(|l| **l == wanted) else {
            return Err(Error::new(
                ErrorKind::Input,
                format!("set the isolation level of session {}", self.inner.name),
                format!("{level:?} is not an isolation level"),
            )
            .hint(format!("use one of {}", ISOLATION_LEVELS.join(", "))));
        };
        let sql = match self.inner.cfg.engine {
            Engine::MySql => format!("SET SESSION TRANSACTION ISOLATION LEVEL {level}"),
            Engine::Postgres => format!("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}"),
        };
        self.execute(&sql).map(drop)
    }

    /// Sends one statement and returns without waiting for it, so that a later cell can release the lock it waits
    /// for. [`Session::busy`] tells whether it still runs; [`Session::wait`] collects its result. The session
    /// takes no other statement meanwhile.
    pub fn submit(&self, sql: &str) -> Result<()> {
        self.ready(&format!("send `{}`", one_line(sql)))?;
        let (inner, text) = (self.inner.clone(), sql.to_string());
        let rows = returns_rows(sql);
        let task = crate::runtime::spawn(async move {
            let mut conn = inner.conn.clone().lock_owned().await;
            let cfg = &inner.cfg;
            conn.lock_wait(cfg, SUBMIT_LOCK_WAIT).await?;
            let outcome = if rows {
                conn.query(cfg, &text).await.map(Outcome::Rows)
            } else {
                conn.execute(cfg, &text).await.map(Outcome::Changed)
            };
            // Back to the usual wait; in a PostgreSQL transaction that failed this fails too, harmlessly.
            let _ = conn.lock_wait(cfg, LOCK_WAIT).await;
            outcome
        })?;
        // A statement that needs no lock is done at once; one that waits shows as waiting in the timeline.
        let start = std::time::Instant::now();
        while !task.is_finished() && start.elapsed() < Duration::from_millis(300) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let note = if task.is_finished() { "sent" } else { "sent; waits (for a lock another session holds)" };
        self.record(sql, note.into());
        *self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(Pending { sql: sql.to_string(), task });
        Ok(())
    }

    /// Whether a statement sent with [`Session::submit`] is still running (typically: waiting for a lock).
    pub fn busy(&self) -> bool {
        let pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.as_ref().is_some_and(|p| !p.task.is_finished())
    }

    /// Waits up to [`WAIT`] for the statement sent with [`Session::submit`] and returns its result: its rows, or
    /// one row with `rows_affected`. Still blocked after that: an error, and the statement keeps waiting.
    pub fn wait(&self) -> Result<DataFrame> {
        let name = &self.inner.name;
        let Some(mut p) = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Err(Error::new(ErrorKind::Input, format!("wait in session {name}"), "nothing was submitted")
                .hint(format!("send a statement with {}.submit(\"…\") first", name.to_lowercase())));
        };
        let joined = crate::block_on(async { tokio::time::timeout(WAIT, &mut p.task).await })?;
        let Ok(joined) = joined else {
            let sql = one_line(&p.sql);
            *self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(p);
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("wait for `{sql}` in session {name}"),
                format!("it is still waiting after {} s, for a lock another session holds", WAIT.as_secs()),
            )
            .hint("commit or roll back the session that holds the lock, then wait() again"));
        };
        let outcome = joined.unwrap_or_else(|e| Err(self.lost(&p.sql, e.to_string()))).map_err(|e| self.explain(e));
        self.record(&p.sql, format!("finished after waiting: {}", summary(&p.sql, &outcome)));
        outcome?.frame()
    }

    /// The steps of `sessions` in the order they happened: a `step` column, then one column per session with
    /// each statement and what came of it.
    pub fn timeline(sessions: &[&Session]) -> Result<DataFrame> {
        let mut steps: Vec<(u64, usize, String)> = Vec::new();
        for (i, s) in sessions.iter().enumerate() {
            for step in s.inner.steps.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                steps.push((step.tick, i, format!("{} → {}", step.statement, step.result)));
            }
        }
        steps.sort_by_key(|(tick, _, _)| *tick);
        let numbers: Vec<u32> = (1..=steps.len() as u32).collect();
        let mut columns = vec![Column::new("step".into(), numbers)];
        for (i, s) in sessions.iter().enumerate() {
            let cells: Vec<&str> =
                steps.iter().map(|(_, who, text)| if *who == i { text.as_str() } else { "" }).collect();
            columns.push(Series::new(s.inner.name.as_str().into(), cells).into());
        }
        DataFrame::new_infer_height(columns).map_err(|e| {
            Error::new(ErrorKind::Input, "lay out the sessions' steps", e.to_string())
                .hint("give each session its own name")
        })
    }

    /// Runs the same query in each session (each sees its own snapshot) and stacks the results, with the
    /// session's name first: what every client sees at this moment, side by side.
    pub fn views(sessions: &[&Session], sql: &str) -> Result<DataFrame> {
        let mut out: Option<DataFrame> = None;
        for s in sessions {
            let mut df = s.query(sql)?;
            let names = Column::new("session".into(), vec![s.inner.name.as_str(); df.height()]);
            df.insert_column(0, names).map_err(|e| Error::new(ErrorKind::Input, "label a view", e.to_string()))?;
            out = Some(match out {
                None => df,
                Some(mut all) => {
                    all.vstack_mut(&df).map_err(|e| {
                        Error::new(ErrorKind::Input, "stack the sessions' views", e.to_string())
                            .hint("the sessions gave columns of different types")
                    })?;
                    all
                }
            });
        }
        out.ok_or_else(|| Error::new(ErrorKind::Input, "compare views", "no session given").hint("pass &[&a, &b]"))
    }
}
