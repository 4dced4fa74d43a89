//! Settings from the env file (`sourcelab::config`): where the databases are, who logs in, which AWS endpoint.
//!
//! The file is read by the library; a cell holds an [`EnvFile`] handle. Secrets never print: `Display` and
//! `Debug` of everything here show `***`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, call, id};
use crate::error::Result;
use crate::frame::Shown;
use crate::values::{Engine, Secret};

/// The checkout's `.env` (written by `sourcelab up`).
pub fn load_env() -> Result<EnvFile> {
    EnvFile::from_reply(call("env.load", json!({}))?)
}

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

    /// Reads another env file.
    pub fn load(path: impl AsRef<Path>) -> Result<EnvFile> {
        EnvFile::from_reply(call("env.load", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A key's value, when the file sets it (secrets included: never print them).
    pub fn get(&self, key: &str) -> Option<String> {
        call("env.get", json!({"env": self.arg(), "key": key})).ok()?.as_str().map(str::to_string)
    }

    /// MySQL / MariaDB settings from the `DB*` keys.
    pub fn mysql(&self) -> Result<DbConfig> {
        DbConfig::from_json(&call("env.mysql", json!({"env": self.arg()}))?)
    }

    /// PostgreSQL settings from the `PG*` keys.
    pub fn postgres(&self) -> Result<DbConfig> {
        DbConfig::from_json(&call("env.postgres", json!({"env": self.arg()}))?)
    }

    /// The AWS settings (endpoint, region, profile, keys hidden), as the library prints them.
    pub fn aws(&self) -> Shown {
        match call("env.aws", json!({"env": self.arg()})) {
            Ok(v) => Shown::from_reply(v),
            Err(e) => Shown::from_reply(json!({"text": e.to_string()})),
        }
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

    /// The connection URL with the password as `***` (`mysql://lab:***@127.0.0.1:3306/rentio`).
    pub fn url(&self) -> String {
        client::or_report(call("db.url", json!({"config": self.to_json()})).map(|u| client::text(&u)), String::new())
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
