//! Relational databases (`sourcelab::sql`): MariaDB / MySQL and PostgreSQL. A [`Db`] is a connection pool kept
//! in the library; query results come back as [`Table`]s. A [`Session`] is one connection of its own, for
//! transactions that span cells and for interleaving two clients by hand (lab 5).

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, call, id};
use crate::config::DbConfig;
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

impl FromReply for Db {
    fn from_reply(v: Value) -> Result<Db> {
        Ok(Db { h: client::handle(&v)?, text: client::text(&v["text"]), config: DbConfig::from_json(&v["config"])? })
    }
}

impl Db {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// The settings this pool was made from.
    pub fn config(&self) -> &DbConfig {
        &self.config
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

impl FromReply for Session {
    fn from_reply(v: Value) -> Result<Session> {
        match v["connection_id"].as_u64() {
            Some(connection_id) => Ok(Session {
                h: client::handle(&v)?,
                text: client::text(&v["text"]),
                name: client::text(&v["name"]),
                connection_id,
            }),
            None => Err(client::unexpected("a database session", &v)),
        }
    }
}

impl Session {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// The name it was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's id of this connection: two sessions, two ids — two clients as far as the server knows.
    pub fn connection_id(&self) -> u64 {
        self.connection_id
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
