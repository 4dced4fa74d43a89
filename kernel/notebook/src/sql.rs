//! Relational databases (`sourcelab::sql`): MariaDB / MySQL and PostgreSQL. A [`Db`] is a connection pool kept
//! in the library; query results come back as [`Table`]s. A [`Session`] is one connection of its own, for
//! transactions that span cells and for interleaving two clients by hand (lab 5).

use std::fmt;
use std::path::Path;

use serde_json::{Value, json};

use crate::client::{self, Shared, call, id};
use crate::config::{DbConfig, EnvFile};
use crate::error::Result;
use crate::frame::Table;
use crate::values::SqlValue;
use crate::wire::{mime_from_json, print_mime};

/// A pool of connections to one database. Cheap to clone; `Debug` and `Display` hide the password.
#[derive(Clone)]
pub struct Db {
    h: Shared,
    text: String,
    config: DbConfig,
}

fn counts(v: Value) -> Vec<u64> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default()
}

fn path_arg(path: impl AsRef<Path>) -> Value {
    path.as_ref().to_string_lossy().into()
}

impl Db {
    pub(crate) fn from_reply(v: Value) -> Result<Db> {
        Ok(Db { h: client::handle(&v)?, text: client::text(&v["text"]), config: DbConfig::from_json(&v["config"])? })
    }

    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    fn call(&self, name: &str, mut args: Value) -> Result<Value> {
        args["db"] = self.arg();
        call(name, args)
    }

    /// Connects to the database `cfg` describes; bad settings fail here with the server's own reason.
    pub fn connect(cfg: &DbConfig) -> Result<Db> {
        Db::from_reply(call("db.connect", json!({"config": cfg.to_json()}))?)
    }

    /// Connects to MySQL / MariaDB with the `DB*` keys of an env file.
    pub fn connect_mysql(env: &EnvFile) -> Result<Db> {
        Db::from_reply(call("db.connect_mysql", json!({"env": env.arg()}))?)
    }

    /// Connects to PostgreSQL with the `PG*` keys of an env file.
    pub fn connect_postgres(env: &EnvFile) -> Result<Db> {
        Db::from_reply(call("db.connect_postgres", json!({"env": env.arg()}))?)
    }

    /// The settings this pool was made from.
    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// Runs one statement that returns rows; the rows as a table.
    pub fn query(&self, sql: &str) -> Result<Table> {
        Table::from_reply(self.call("db.query", json!({"sql": sql}))?)
    }

    /// The server's version string (`SELECT VERSION()`).
    pub fn server_version(&self) -> Result<String> {
        Ok(client::text(&self.call("db.server_version", json!({}))?))
    }

    /// Runs one or several statements separated by `;`; the rows each one affected, in order.
    pub fn execute(&self, sql: &str) -> Result<Vec<u64>> {
        Ok(counts(self.call("db.execute", json!({"sql": sql}))?))
    }

    /// Runs every statement of a `.sql` file, like [`Db::execute`].
    pub fn run_file(&self, path: impl AsRef<Path>) -> Result<Vec<u64>> {
        Ok(counts(self.call("db.run_file", json!({"path": path_arg(path)}))?))
    }

    /// PostgreSQL: loads a CSV file (with a header row) into `table` with `COPY … FROM STDIN`; the rows loaded.
    pub fn copy_csv(&self, table: &str, path: impl AsRef<Path>) -> Result<u64> {
        Ok(self.call("db.copy_csv", json!({"table": table, "path": path_arg(path)}))?.as_u64().unwrap_or(0))
    }

    /// Runs statements in one transaction: all of them take effect, or none does.
    pub fn transaction(&self, statements: &[&str]) -> Result<Vec<u64>> {
        Ok(counts(self.call("db.transaction", json!({"statements": statements}))?))
    }

    /// Opens a [`Session`]: one connection of its own, named `name` in timelines and errors.
    pub fn session(&self, name: &str) -> Result<Session> {
        let v = self.call("db.session", json!({"name": name}))?;
        Ok(Session {
            h: client::handle(&v)?,
            text: client::text(&v["text"]),
            name: client::text(&v["name"]),
            connection_id: v["connection_id"].as_u64().unwrap_or(0),
        })
    }

    /// The tables of the current database: `table_name` and an estimate of its `rows`.
    pub fn tables(&self) -> Result<Table> {
        Table::from_reply(self.call("db.tables", json!({}))?)
    }

    /// Whether the current database has a table called `table`.
    pub fn has_table(&self, table: &str) -> Result<bool> {
        Ok(self.call("db.has_table", json!({"table": table}))?.as_bool().unwrap_or(false))
    }

    /// One row per column of `table`: `column`, `type`, `nullable`, `key`, `default`.
    pub fn describe(&self, table: &str) -> Result<Table> {
        Table::from_reply(self.call("db.describe", json!({"table": table}))?)
    }

    /// Inserts rows into `table` with bound parameters; the rows inserted.
    pub fn insert(&self, table: &str, columns: &[&str], rows: &[Vec<SqlValue>]) -> Result<u64> {
        let rows: Vec<Vec<Value>> = rows.iter().map(|r| r.iter().map(SqlValue::to_json).collect()).collect();
        Ok(self.call("db.insert", json!({"table": table, "columns": columns, "rows": rows}))?.as_u64().unwrap_or(0))
    }

    /// `UPDATE table SET col = value, … WHERE where_column = where_value`, values bound; the rows changed.
    pub fn update_where(
        &self,
        table: &str,
        set: &[(&str, SqlValue)],
        where_column: &str,
        where_value: SqlValue,
    ) -> Result<u64> {
        let set: Vec<Value> = set.iter().map(|(c, v)| json!([c, v.to_json()])).collect();
        let args =
            json!({"table": table, "set": set, "where_column": where_column, "where_value": where_value.to_json()});
        Ok(self.call("db.update_where", args)?.as_u64().unwrap_or(0))
    }

    /// `DELETE FROM table WHERE column = value`, the value bound; the rows deleted.
    pub fn delete_where(&self, table: &str, column: &str, value: SqlValue) -> Result<u64> {
        let args = json!({"table": table, "column": column, "value": value.to_json()});
        Ok(self.call("db.delete_where", args)?.as_u64().unwrap_or(0))
    }
}

impl fmt::Display for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Db({})", self.text)
    }
}

/// One client's connection to a database (`sourcelab::sql::Session`): its own transaction and isolation level.
/// Cheap to clone; dropping the last copy closes the connection, and the server rolls back what it left open.
#[derive(Clone)]
pub struct Session {
    h: Shared,
    text: String,
    name: String,
    connection_id: u64,
}

fn handles(sessions: &[&Session]) -> Value {
    sessions.iter().map(|s| json!(id(&s.h))).collect()
}

impl Session {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    fn call(&self, name: &str, mut args: Value) -> Result<Value> {
        args["session"] = self.arg();
        call(name, args)
    }

    /// The name it was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's id of this connection: two sessions, two ids — two clients as far as the server knows.
    pub fn connection_id(&self) -> u64 {
        self.connection_id
    }

    /// Runs one or several statements separated by `;` and waits; the rows each one affected.
    pub fn execute(&self, sql: &str) -> Result<Vec<u64>> {
        Ok(counts(self.call("session.execute", json!({"sql": sql}))?))
    }

    /// Runs one statement that returns rows and waits; the rows as a table.
    pub fn query(&self, sql: &str) -> Result<Table> {
        Table::from_reply(self.call("session.query", json!({"sql": sql}))?)
    }

    /// Starts a transaction (`BEGIN`).
    pub fn begin(&self) -> Result<()> {
        self.call("session.begin", json!({})).map(drop)
    }

    /// Makes the transaction's changes permanent and visible to other sessions (`COMMIT`).
    pub fn commit(&self) -> Result<()> {
        self.call("session.commit", json!({})).map(drop)
    }

    /// Undoes everything since `BEGIN` (`ROLLBACK`).
    pub fn rollback(&self) -> Result<()> {
        self.call("session.rollback", json!({})).map(drop)
    }

    /// Sets the isolation level of the session's next transactions: `"READ UNCOMMITTED"`, `"READ COMMITTED"`,
    /// `"REPEATABLE READ"` or `"SERIALIZABLE"`.
    pub fn isolation(&self, level: &str) -> Result<()> {
        self.call("session.isolation", json!({"level": level})).map(drop)
    }

    /// Sends one statement without waiting for it (it may wait for a lock another session holds).
    pub fn submit(&self, sql: &str) -> Result<()> {
        self.call("session.submit", json!({"sql": sql})).map(drop)
    }

    /// Whether the statement sent with [`Session::submit`] still runs (typically: waits for a lock).
    pub fn busy(&self) -> bool {
        client::or_report(self.call("session.busy", json!({})).map(|v| v.as_bool().unwrap_or(false)), false)
    }

    /// Waits for the statement sent with [`Session::submit`]: its rows, or one row with `rows_affected`.
    pub fn wait(&self) -> Result<Table> {
        Table::from_reply(self.call("session.wait", json!({}))?)
    }

    /// The steps of `sessions` in the order they happened, one column per session.
    pub fn timeline(sessions: &[&Session]) -> Result<Table> {
        Table::from_reply(call("session.timeline", json!({"sessions": handles(sessions)}))?)
    }

    /// The same query run in each session, stacked with the session's name first: what each one sees now.
    pub fn views(sessions: &[&Session], sql: &str) -> Result<Table> {
        Table::from_reply(call("session.views", json!({"sessions": handles(sessions), "sql": sql}))?)
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session({})", self.text)
    }
}

/// What a `%%sql` cell runs when it keeps its result (`%%sql films <<`) or uses Rust values (`{name}`); the kernel
/// writes the call. Runs the SQL on the env file's database for `engine` (`"mysql"`, `"postgres"`), each
/// `{name}` replaced by its value from `values` as a SQL literal (`sourcelab::sql::script`); shows each
/// statement's rows or count; returns the rows of the last statement that returned rows (or one row per statement
/// with the rows it changed).
pub fn cell(engine: &str, sql: &str, values: &[(&str, SqlValue)]) -> Result<Table> {
    let values: serde_json::Map<String, Value> = values.iter().map(|(n, v)| (n.to_string(), v.to_json())).collect();
    let mut reply = call("sql.cell", json!({"engine": engine, "sql": sql, "values": values}))?;
    print_mime(&mime_from_json(&reply["shown"]));
    Table::from_reply(reply["kept"].take())
}
