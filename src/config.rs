//! Settings from an env file: where the databases are, who to log in as, and which AWS endpoint to use.
//!
//! The course keeps connection settings in a small `KEY=value` file and reads it with python-dotenv; we do the
//! same with [dotenvy]. The keys are the course's for MySQL, libpq's for PostgreSQL and aws-config's standard ones
//! for AWS, so the same file works for this kit, for `mysql`/`psql` and for the AWS CLI:
//!
//! | keys | used for |
//! |---|---|
//! | `DBHOST` `DBPORT` `DBNAME` `DBUSER` `DBPASSWORD` | MySQL / MariaDB (lab 1) |
//! | `PGHOST` `PGPORT` `PGDATABASE` `PGUSER` `PGPASSWORD` | PostgreSQL (lab 4) |
//! | `AWS_ENDPOINT_URL` `AWS_REGION` `AWS_DEFAULT_REGION` `AWS_ACCESS_KEY_ID` `AWS_SECRET_ACCESS_KEY` `AWS_SESSION_TOKEN` `AWS_PROFILE` | every AWS service (labs 2–7) |
//! | `AWS_ENDPOINT_URL_S3` `…_DYNAMODB` `…_SQS` `…_KINESIS` `…_IAM` `…_STS` `…_EC2` `…_RDS` | one service's own endpoint |
//! | `IAM_AWS_ENDPOINT_URL` `IAM_AWS_ACCESS_KEY_ID` `IAM_AWS_SECRET_ACCESS_KEY` | lab 6's policy-checking moto |
//!
//! A service's endpoint is resolved as the AWS SDKs and CLI resolve it ([`AwsSettings::endpoint`]): its own key,
//! then `AWS_ENDPOINT_URL`, each from the env file or else the environment. A key of the file that nothing reads
//! (a typo such as `AWS_ENDPOINT_URL_SQSS`) is reported once, with its line, when the file is loaded.
//!
//! `sourcelab up` writes `.env` at the top of the repository with the local stack's values. To use real AWS,
//! remove the `AWS_ENDPOINT_URL*` lines and the test keys (or set `AWS_PROFILE`); to use RDS, put its endpoint in
//! `PGHOST`. AWS keys that the file does not set come from aws-config's usual chain (environment, `~/.aws`).
//!
//! Passwords and secret keys are held as [`Secret`]: `Display` and `Debug` of every type here print `***`
//! instead, so printing a config or a URL in a notebook never leaks them.
//!
//! ```
//! use sourcelab::config::{DbConfig, Engine, Secret};
//! let db = DbConfig {
//!     engine: Engine::MySql,
//!     host: "127.0.0.1".into(),
//!     port: 3306,
//!     database: "rentio".into(),
//!     user: "lab".into(),
//!     password: Secret::new("p@ss word"),
//! };
//! assert_eq!(db.url().to_string(), "mysql://lab:***@127.0.0.1:3306/rentio");
//! assert_eq!(db.url().expose(), "mysql://lab:p%40ss%20word@127.0.0.1:3306/rentio");
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::{Error, ErrorKind, Result};

pub use sourcelab_notebook::values::{Engine, Secret};

/// The key/value pairs of one env file, with the file's path for error messages.
#[derive(Clone)]
pub struct EnvFile {
    path: PathBuf,
    vars: Vec<(String, String)>,
}

/// Keys whose values are secret: their values never appear in `Debug`.
const SECRET_KEYS: [&str; 4] = ["DBPASSWORD", "PGPASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/// Whether a key names a secret (a password, a secret key or a token).
pub fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.contains(&key) || key.contains("PASSWORD") || key.contains("SECRET") || key.ends_with("TOKEN")
}

impl fmt::Debug for EnvFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.vars {
            if is_secret_key(k) {
                m.entry(k, &"***");
            } else {
                m.entry(k, v);
            }
        }
        m.finish()
    }
}

impl EnvFile {
    /// Reads `path`. A missing file, an unreadable one or a malformed line is an error naming the file (and line).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let iter = dotenvy::from_path_iter(path).map_err(|e| env_error(path, e))?;
        let mut vars: Vec<(String, String)> = Vec::new();
        for item in iter {
            let (k, v) = item.map_err(|e| env_error(path, e))?;
            match vars.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => vars.push((k, v)),
            }
        }
        let env = EnvFile { path: path.to_path_buf(), vars };
        report_unread_keys(&env);
        Ok(env)
    }

    /// Builds an env file in memory (for tests and examples); `path` is only used in messages.
    pub fn from_pairs(path: impl Into<PathBuf>, pairs: &[(&str, &str)]) -> Self {
        EnvFile { path: path.into(), vars: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of `key`, if the file sets it (an empty value counts as set).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of `key`, or an error naming the key and the file.
    pub fn require(&self, key: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("read {key} from {}", self.path.display()),
                format!("the file has no {key}= line"),
            )
            .hint(format!(
                "add a line `{key}=...` (see env.example), or run `sourcelab up` to write the local stack's values"
            ))
        })
    }

    /// A non-empty value of `key`, or `None` when missing or empty.
    fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    fn require_port(&self, key: &str) -> Result<u16> {
        let raw = self.require(key)?;
        raw.trim().parse::<u16>().map_err(|_| {
            Error::new(
                ErrorKind::Config,
                format!("read {key} from {}", self.path.display()),
                format!("`{raw}` is not a port number (1-65535)"),
            )
            .hint(format!("write a number, e.g. `{key}=3306`"))
        })
    }

    /// MySQL / MariaDB settings from `DBHOST`, `DBPORT`, `DBNAME`, `DBUSER`, `DBPASSWORD`.
    pub fn mysql(&self) -> Result<DbConfig> {
        self.db(Engine::MySql, ["DBHOST", "DBPORT", "DBNAME", "DBUSER", "DBPASSWORD"])
    }

    /// PostgreSQL settings from `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`.
    pub fn postgres(&self) -> Result<DbConfig> {
        self.db(Engine::Postgres, ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"])
    }

    fn db(&self, engine: Engine, [host, port, name, user, password]: [&str; 5]) -> Result<DbConfig> {
        Ok(DbConfig {
            engine,
            host: self.require(host)?.trim().to_string(),
            port: self.require_port(port)?,
            database: self.require(name)?.trim().to_string(),
            user: self.require(user)?.to_string(),
            password: Secret::new(self.require(password)?),
        })
    }

    /// AWS settings; every key is optional (aws-config fills the gaps from the environment and `~/.aws`).
    pub fn aws(&self) -> AwsSettings {
        let s = |k: &str| self.non_empty(k).map(str::to_string);
        AwsSettings {
            endpoint_url: s(ENDPOINT_KEY),
            endpoints: Service::ALL.iter().filter_map(|svc| Some((*svc, s(&svc.endpoint_key())?))).collect(),
            ignore_endpoints: s(IGNORE_ENDPOINTS_KEY).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            region: s("AWS_REGION").or_else(|| s("AWS_DEFAULT_REGION")),
            profile: s("AWS_PROFILE"),
            access_key_id: s("AWS_ACCESS_KEY_ID"),
            secret_access_key: s("AWS_SECRET_ACCESS_KEY").map(Secret::new),
            session_token: s("AWS_SESSION_TOKEN").map(Secret::new),
        }
    }

    /// The file as `export KEY='value'` lines for a POSIX shell (what `sourcelab env` prints). A secret's line is
    /// a comment naming the key unless `secrets` is true.
    pub fn exports(&self, secrets: bool) -> String {
        let mut out = String::new();
        for (key, value) in &self.vars {
            if is_secret_key(key) && !secrets {
                out.push_str(&format!("# {key}: secret, left out (`sourcelab env --secrets` includes it)\n"));
            } else {
                out.push_str(&format!("export {key}={}\n", shell_quote(value)));
            }
        }
        out
    }

    /// The keys of the file that nothing here reads, with their line numbers: a typo (`AWS_ENDPOINT_URL_SQSS`),
    /// or a service the labs do not use. The known keys are [`READ_KEYS`] and every service's endpoint key.
    pub fn unread_keys(&self) -> Vec<(String, usize)> {
        let unread: Vec<&String> = self
            .vars
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !READ_KEYS.contains(&k.as_str()) && !Service::ALL.iter().any(|s| s.endpoint_key() == **k))
            .collect();
        if unread.is_empty() {
            return Vec::new(); // the usual case: no second read of the file
        }
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        unread.into_iter().map(|k| (k.clone(), line_of(&text, k))).collect()
    }
}

/// `text` as one word for a POSIX shell: in single quotes, a quote inside written `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The keys an env file may set, beside the services' endpoint keys (`AWS_ENDPOINT_URL_<SERVICE>`).
pub const READ_KEYS: &[&str] = &[
    "DBHOST",
    "DBPORT",
    "DBNAME",
    "DBUSER",
    "DBPASSWORD",
    "PGHOST",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    ENDPOINT_KEY,
    IGNORE_ENDPOINTS_KEY,
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "IAM_AWS_ENDPOINT_URL",
    "IAM_AWS_ACCESS_KEY_ID",
    "IAM_AWS_SECRET_ACCESS_KEY",
];

/// The line (from 1) where `key` is set in an env file's text; 0 when it is not found.
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("export ").map_or(l, str::trim_start);
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

/// Says once per file and key, under the cell or in the script's output, that a key of the env file is read by
/// nothing.
fn report_unread_keys(env: &EnvFile) {
    static REPORTED: std::sync::Mutex<Vec<(PathBuf, String)>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut reported) = REPORTED.lock() else { return };
    for (key, line) in env.unread_keys() {
        let seen = (env.path.clone(), key.clone());
        if reported.contains(&seen) {
            continue;
        }
        crate::runtime::progress(&format!(
            "note: {}:{line}: nothing reads {key} (a typo, or a service the labs do not use?); env.example lists \
             every key",
            env.path.display()
        ));
        reported.push(seen);
    }
}

/// Turns dotenvy's error into ours, with the file and (for a parse error) the line number.
fn env_error(path: &Path, err: dotenvy::Error) -> Error {
    let what = format!("read env file {}", path.display());
    match err {
        dotenvy::Error::Io(io) => {
            let missing = io.kind() == std::io::ErrorKind::NotFound;
            let e = Error::io("read env file", path, io);
            if missing {
                e.hint("run `sourcelab up` (it writes .env), or copy env.example to that path and fill it in")
            } else {
                e
            }
        }
        dotenvy::Error::LineParse(line, index) => {
            let number = line_number(path, &line);
            let at = number.map(|n| format!("line {n}")).unwrap_or_else(|| "a line".into());
            // A broken line of a password or key shows its name only: the value is a secret even when malformed.
            let name = line.trim().trim_start_matches("export ").split(['=', ' ', '\t']).next().unwrap_or("");
            let shown =
                if is_secret_key(name) { format!("{name}=*** (the value is hidden)") } else { line.trim().to_string() };
            Error::new(
                ErrorKind::Config,
                what,
                format!("{at} is not KEY=value (problem at character {}): {shown}", index + 1),
            )
            .hint("each line is KEY=value; quote values with spaces or # in them, e.g. DBPASSWORD='a b#c'")
        }
        other => Error::new(ErrorKind::Config, what, other.to_string()).with_source(other),
    }
}

/// The 1-based number of the first line of `path` that starts the logical line dotenvy reported.
fn line_number(path: &Path, reported: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let first = reported.lines().next()?.trim();
    text.lines()
        .position(|l| l.trim() == first || (!first.is_empty() && l.trim_start().starts_with(first)))
        .map(|i| i + 1)
}

/// Where a SQL database is and how to log in. `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Display for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.url(), f)
    }
}

/// Characters kept as they are in a URL's user, password and database: RFC 3986's unreserved set.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

impl DbConfig {
    /// The connection URL, with user, password and database percent-encoded.
    pub fn url(&self) -> DbUrl {
        let enc = |s: &str| utf8_percent_encode(s, USERINFO).to_string();
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        DbUrl {
            prefix: format!("{}://{}", self.engine.scheme(), enc(&self.user)),
            password: (!self.password.is_empty()).then(|| enc(self.password.expose())),
            suffix: format!("@{host}:{}/{}", self.port, enc(&self.database)),
        }
    }

    /// Reads a connection URL: `postgres://user:password@host:5432/db` or `mysql://user:password@host:3306/db`
    /// (percent-encoded parts decoded; the port defaults to the engine's).
    pub fn from_url(url: &str) -> Result<DbConfig> {
        let bad = |why: &str| {
            Error::new(ErrorKind::Input, "read a database URL", why.to_string())
                .hint("write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE (or mysql://…)")
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme:// at the start"))?;
        let engine = match scheme {
            "postgres" | "postgresql" => Engine::Postgres,
            "mysql" | "mariadb" => Engine::MySql,
            other => return Err(bad(&format!("unknown scheme {other:?}; use postgres:// or mysql://"))),
        };
        let (userinfo, hostpart) = rest.rsplit_once('@').ok_or_else(|| bad("no USER@ before the host"))?;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let (hostport, database) = hostpart.split_once('/').unwrap_or((hostpart, ""));
        let database = database.split('?').next().unwrap_or_default();
        let default_port = if engine == Engine::Postgres { 5432 } else { 3306 };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, p) = v6.split_once(']').ok_or_else(|| bad("an IPv6 host needs its closing ]"))?;
            (h.to_string(), p.strip_prefix(':').map(str::to_string))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.to_string())),
                None => (hostport.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| bad(&format!("the port {p:?} is not a number from 1 to 65535")))?,
            None => default_port,
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let dec = |s: &str| percent_decode_str(s).decode_utf8_lossy().to_string();
        Ok(DbConfig {
            engine,
            host,
            port,
            database: dec(database),
            user: dec(user),
            password: Secret::new(dec(password)),
        })
    }

    /// `host:port`, for messages.
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// A connection URL. `Display` and `Debug` print the password as `***`; [`DbUrl::expose`] gives the real URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    prefix: String,
    password: Option<String>,
    suffix: String,
}

impl crate::frame::Show for DbUrl {}

impl DbUrl {
    /// The full URL with the (percent-encoded) password, for a driver. Never print it.
    pub fn expose(&self) -> String {
        match &self.password {
            Some(p) => format!("{}:{p}{}", self.prefix, self.suffix),
            None => format!("{}{}", self.prefix, self.suffix),
        }
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.password {
            Some(_) => write!(f, "{}:***{}", self.prefix, self.suffix),
            None => write!(f, "{}{}", self.prefix, self.suffix),
        }
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({self})")
    }
}

/// An AWS service the labs call, by the name of its endpoint key (`AWS_ENDPOINT_URL_<NAME>`, as the AWS SDKs and
/// CLI spell it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    S3,
    DynamoDb,
    Sqs,
    Kinesis,
    Iam,
    Sts,
    Ec2,
    Rds,
}

/// The endpoint of every service, unless one has its own.
const ENDPOINT_KEY: &str = "AWS_ENDPOINT_URL";
/// `true`: every configured endpoint is ignored (the SDKs' switch).
const IGNORE_ENDPOINTS_KEY: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

impl Service {
    /// Every service the labs call.
    pub const ALL: [Service; 8] = [
        Service::S3,
        Service::DynamoDb,
        Service::Sqs,
        Service::Kinesis,
        Service::Iam,
        Service::Sts,
        Service::Ec2,
        Service::Rds,
    ];

    /// Its key for an endpoint of its own: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`, …
    pub fn endpoint_key(self) -> String {
        let name = match self {
            Service::S3 => "S3",
            Service::DynamoDb => "DYNAMODB",
            Service::Sqs => "SQS",
            Service::Kinesis => "KINESIS",
            Service::Iam => "IAM",
            Service::Sts => "STS",
            Service::Ec2 => "EC2",
            Service::Rds => "RDS",
        };
        format!("{ENDPOINT_KEY}_{name}")
    }
}

/// AWS settings from the env file. Unset fields fall back to aws-config's default chain.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// `AWS_ENDPOINT_URL`: one endpoint for every service (the local moto server); unset means real AWS.
    pub endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`: a service's own endpoint, which takes the place of `endpoint_url` for it.
    pub endpoints: Vec<(Service, String)>,
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`: every endpoint setting is ignored (file and environment).
    pub ignore_endpoints: bool,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    /// `AWS_PROFILE`: a profile from `~/.aws/config`.
    pub profile: Option<String>,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: Option<Secret>,
}

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSettings")
            .field("endpoint_url", &self.endpoint_url)
            .field("endpoints", &self.endpoints)
            .field("ignore_endpoints", &self.ignore_endpoints)
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("access_key_id", &self.access_key_id.as_ref().map(|_| "***"))
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .finish()
    }
}

impl fmt::Display for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = self.endpoint_url.as_deref().unwrap_or("real AWS (no endpoint override)");
        let region = self.region.as_deref().unwrap_or("from ~/.aws/config");
        let creds = match (&self.access_key_id, &self.profile) {
            (Some(_), _) => "keys from the env file (***)".to_string(),
            (None, Some(p)) => format!("profile {p}"),
            (None, None) => "aws-config default chain".to_string(),
        };
        write!(f, "endpoint {endpoint}")?;
        for (service, url) in &self.endpoints {
            write!(f, " ({service:?}: {url})")?;
        }
        write!(f, ", region {region}, credentials: {creds}")
    }
}

impl crate::frame::Show for AwsSettings {}

impl AwsSettings {
    /// The endpoint `service` is called at, resolved as the AWS SDKs and CLI resolve it: the service's own key,
    /// then `AWS_ENDPOINT_URL`, each from the env file or else the environment; `None` (real AWS, or a profile's
    /// `services` section) when neither is set or `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
    pub fn endpoint(&self, service: Service) -> Option<String> {
        self.endpoint_with(service, |key| std::env::var(key).ok())
    }

    /// [`AwsSettings::endpoint`] with `environment` for the process's variables.
    fn endpoint_with(&self, service: Service, environment: impl Fn(&str) -> Option<String>) -> Option<String> {
        let from_env = |key: &str| environment(key).filter(|v| !v.trim().is_empty());
        let ignore =
            self.ignore_endpoints || from_env(IGNORE_ENDPOINTS_KEY).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if ignore {
            return None;
        }
        let own = self.endpoints.iter().find(|(s, _)| *s == service).map(|(_, url)| url.clone());
        own.or_else(|| from_env(&service.endpoint_key()))
            .or_else(|| self.endpoint_url.clone())
            .or_else(|| from_env(ENDPOINT_KEY))
    }

    /// Loads the AWS SDK configuration for `service`: these settings first (its endpoint as
    /// [`AwsSettings::endpoint`] resolves it), then aws-config's default chain.
    pub async fn sdk_config(&self, service: Service) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(ep) = self.endpoint(service) {
            loader = loader.endpoint_url(ep);
        }
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let (Some(id), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            let token = self.session_token.as_ref().map(|t| t.expose().to_string());
            let creds = aws_sdk_s3::config::Credentials::new(id, secret.expose(), token, None, "sourcelab-env-file");
            loader = loader.credentials_provider(creds);
        }
        loader.load().await
    }
}

/// The path of the env file notebooks use: `$SOURCELAB_ENV_FILE`, else `.env` at the top of the repository.
pub fn default_env_path() -> PathBuf {
    match std::env::var_os("SOURCELAB_ENV_FILE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => crate::home().join(".env"),
    }
}

/// Loads the env file notebooks use (see [`default_env_path`]).
pub fn load() -> Result<EnvFile> {
    EnvFile::load(default_env_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(user: &str, password: &str) -> DbConfig {
        DbConfig {
            engine: Engine::Postgres,
            host: "db.example.com".into(),
            port: 5432,
            database: "lab db".into(),
            user: user.into(),
            password: Secret::new(password),
        }
    }

    #[test]
    fn it_percent_encodes_reserved_characters_in_user_and_password() {
        let url = db("a@b:c", "@:/#%? x").url();
        assert_eq!(url.expose(), "postgres://a%40b%3Ac:%40%3A%2F%23%25%3F%20x@db.example.com:5432/lab%20db");
        assert_eq!(url.to_string(), "postgres://a%40b%3Ac:***@db.example.com:5432/lab%20db");
    }

    #[test]
    fn it_percent_encodes_non_ascii_as_utf8() {
        let url = db("jürgen", "pässwörd€").url();
        assert_eq!(url.expose(), "postgres://j%C3%BCrgen:p%C3%A4ssw%C3%B6rd%E2%82%AC@db.example.com:5432/lab%20db");
    }

    #[test]
    fn it_omits_an_empty_password() {
        let url = db("root", "").url();
        assert_eq!(url.expose(), "postgres://root@db.example.com:5432/lab%20db");
        assert_eq!(url.to_string(), url.expose());
    }

    #[test]
    fn it_round_trips_through_the_drivers_url_parsers() {
        use std::str::FromStr;
        for password in ["@:/#%?", "with space", "ünï€ødé", "", "plain"] {
            let mut c = db("us@er", password);
            let pg = sqlx::postgres::PgConnectOptions::from_str(&c.url().expose()).expect("valid pg url");
            assert_eq!(pg.get_username(), "us@er");
            assert_eq!(pg.get_database(), Some("lab db"));
            c.engine = Engine::MySql;
            let my = sqlx::mysql::MySqlConnectOptions::from_str(&c.url().expose()).expect("valid mysql url");
            assert_eq!(my.get_username(), "us@er");
        }
    }

    #[test]
    fn it_brackets_ipv6_hosts() {
        let mut c = db("u", "p");
        c.host = "::1".into();
        assert_eq!(c.url().to_string(), "postgres://u:***@[::1]:5432/lab%20db");
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let secret = "s3cr3t-Pa55";
        let c = db("u", secret);
        let env = EnvFile::from_pairs(
            ".env",
            &[
                ("DBPASSWORD", secret),
                ("AWS_SECRET_ACCESS_KEY", secret),
                ("AWS_ACCESS_KEY_ID", "AKIA"),
                ("DBUSER", "u"),
            ],
        );
        let aws = AwsSettings {
            access_key_id: Some("AKIAEXAMPLE".into()),
            secret_access_key: Some(Secret::new(secret)),
            session_token: Some(Secret::new(secret)),
            ..Default::default()
        };
        for shown in [
            format!("{c}"),
            format!("{c:?}"),
            format!("{}", c.url()),
            format!("{:?}", c.url()),
            format!("{env:?}"),
            format!("{aws}"),
            format!("{aws:?}"),
            format!("{:?}", Secret::new(secret)),
        ] {
            assert!(!shown.contains(secret), "secret leaked in {shown}");
            assert!(!shown.contains("AKIAEXAMPLE"), "access key leaked in {shown}");
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = EnvFile::load("/nonexistent/dir/.env").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("/nonexistent/dir/.env"), "{e}");
        assert!(e.to_string().contains("sourcelab up"), "{e}");
    }

    #[test]
    fn missing_key_names_key_and_file() {
        let env = EnvFile::from_pairs("my.env", &[("DBHOST", "h"), ("DBPORT", "3306"), ("DBNAME", "x")]);
        let e = env.mysql().unwrap_err();
        assert_eq!(e.to_string().lines().next(), Some("read DBUSER from my.env: the file has no DBUSER= line"));
    }

    #[test]
    fn bad_port_names_key_and_value() {
        let env = EnvFile::from_pairs(
            "my.env",
            &[("PGHOST", "h"), ("PGPORT", "54x"), ("PGDATABASE", "d"), ("PGUSER", "u"), ("PGPASSWORD", "")],
        );
        let e = env.postgres().unwrap_err();
        assert!(e.to_string().contains("PGPORT") && e.to_string().contains("`54x`"), "{e}");
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.env");
        std::fs::write(&path, "# comment\nDBHOST=localhost\n\nDBPORT 3306\nDBNAME=x\n").unwrap();
        let e = EnvFile::load(&path).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        assert!(shown.contains("line 4"), "{shown}");
    }

    #[test]
    fn loads_quoted_values_and_later_lines_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok.env");
        std::fs::write(&path, "DBPASSWORD='a b#c'\nDBHOST=one\nDBHOST=two\nEMPTY=\n").unwrap();
        let env = EnvFile::load(&path).unwrap();
        assert_eq!(env.get("DBPASSWORD"), Some("a b#c"));
        assert_eq!(env.get("DBHOST"), Some("two"));
        assert_eq!(env.get("EMPTY"), Some(""));
        assert_eq!(env.get("MISSING"), None);
    }

    #[test]
    fn aws_settings_pick_service_endpoints() {
        let env = EnvFile::from_pairs(
            ".env",
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"),
                ("AWS_REGION", ""),
            ],
        );
        let aws = env.aws();
        let none = |_: &str| None;
        assert_eq!(aws.endpoint_with(Service::S3, none).as_deref(), Some("http://127.0.0.1:9000"));
        for other in Service::ALL.into_iter().filter(|s| *s != Service::S3) {
            assert_eq!(aws.endpoint_with(other, none).as_deref(), Some("http://127.0.0.1:5000"), "{other:?}");
        }
        assert_eq!(aws.region, None, "an empty value means unset");
        // The environment's service key comes before the file's general one; the file's own key before both.
        let shell = |k: &str| match k {
            "AWS_ENDPOINT_URL_SQS" => Some("http://sqs.shell".to_string()),
            "AWS_ENDPOINT_URL_S3" => Some("http://s3.shell".to_string()),
            _ => None,
        };
        assert_eq!(aws.endpoint_with(Service::Sqs, shell).as_deref(), Some("http://sqs.shell"));
        assert_eq!(aws.endpoint_with(Service::S3, shell).as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(aws.endpoint_with(Service::Kinesis, shell).as_deref(), Some("http://127.0.0.1:5000"));
        // Nothing in the file: the environment's, then real AWS.
        let bare = EnvFile::from_pairs(".env", &[]).aws();
        assert_eq!(bare.endpoint_with(Service::Sqs, shell).as_deref(), Some("http://sqs.shell"));
        assert_eq!(bare.endpoint_with(Service::Rds, shell), None);
        let ignored = EnvFile::from_pairs(".env", &[("AWS_ENDPOINT_URL", "http://x"), (IGNORE_ENDPOINTS_KEY, "true")]);
        assert_eq!(ignored.aws().endpoint_with(Service::S3, none), None);
    }

    #[test]
    fn exports_quote_values_and_leave_secrets_out_unless_asked() {
        let env = EnvFile::from_pairs(".env", &[("AWS_REGION", "us-east-1"), ("DBPASSWORD", "it's $x")]);
        assert_eq!(
            env.exports(false),
            "export AWS_REGION='us-east-1'\n# DBPASSWORD: secret, left out (`sourcelab env --secrets` includes it)\n"
        );
        assert_eq!(env.exports(true), "export AWS_REGION='us-east-1'\nexport DBPASSWORD='it'\\''s $x'\n");
    }

    #[test]
    fn keys_nothing_reads_are_named_with_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let text = "# comment\nDBHOST=h\nAWS_ENDPOINT_URL_KINESIS=http://k\nexport AWS_ENDPOINT_URL_SQSS=http://typo\n\
                    AWS_ENDPOINT_URL_LAMBDA=http://l\n";
        std::fs::write(&path, text).unwrap();
        let env = EnvFile::load(&path).unwrap();
        assert_eq!(env.aws().endpoints, [(Service::Kinesis, "http://k".to_string())]);
        assert_eq!(
            env.unread_keys(),
            [("AWS_ENDPOINT_URL_SQSS".to_string(), 4), ("AWS_ENDPOINT_URL_LAMBDA".to_string(), 5)]
        );
    }
}
