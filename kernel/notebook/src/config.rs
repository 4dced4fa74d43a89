//! Settings from the env file (`sourcelab::config`): where the databases are, who logs in, which AWS endpoint.
//!
//! The file is read by the library; a cell holds an [`EnvFile`] handle. Secrets never print: `Display` and
//! `Debug` of everything here show `***`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, id};
use crate::error::Result;
use crate::frame::Shown;
use crate::values::{Engine, Secret};

pub use crate::declared::config::load as load_env;

/// The AWS settings (endpoint, region, profile; keys hidden), as the library prints them
/// (`sourcelab::config::AwsSettings`).
pub type AwsSettings = Shown;
/// A connection URL with the password as `***` (`sourcelab::config::DbUrl`).
pub type DbUrl = Shown;

/// The key/value pairs of one env file, kept in the library.
#[derive(Clone)]
pub struct EnvFile {
    pub(crate) h: Shared,
    path: PathBuf,
}

impl FromReply for EnvFile {
    fn from_reply(v: Value) -> Result<EnvFile> {
        Ok(EnvFile { h: client::handle(&v)?, path: client::text(&v["path"]).into() })
    }
}

impl EnvFile {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The keys and values with secrets shown as `***`.
impl fmt::Debug for EnvFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::frame::write_text(&self.h, f)
    }
}

/// Where a SQL database is and how to log in (`sourcelab::config::DbConfig`). Change a field and connect again;
/// `Debug` and [`DbConfig::url`] hide the password.
#[derive(Clone, PartialEq)]
pub struct DbConfig {
    /// MySQL/MariaDB or PostgreSQL.
    pub engine: Engine,
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database (schema) name.
    pub database: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: Secret,
}

impl DbConfig {
    /// The settings as JSON, password included: only for the call into the library.
    pub fn to_json(&self) -> Value {
        json!({"engine": self.engine.scheme(), "host": self.host, "port": self.port, "database": self.database,
               "user": self.user, "password": self.password.expose()})
    }

    /// The settings [`DbConfig::to_json`] wrote.
    pub fn from_json(v: &Value) -> Result<DbConfig> {
        let engine = Engine::from_scheme(v["engine"].as_str().unwrap_or_default())?;
        Ok(DbConfig {
            engine,
            host: client::text(&v["host"]),
            port: v["port"].as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
            database: client::text(&v["database"]),
            user: client::text(&v["user"]),
            password: Secret::new(client::text(&v["password"])),
        })
    }

    pub(crate) fn arg(&self) -> Value {
        self.to_json()
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("engine", &self.engine)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password)
            .finish()
    }
}
