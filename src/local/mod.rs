//! The local stack: real services on this machine that stand in for AWS.
//!
//! | service | stands in for | how it runs |
//! |---|---|---|
//! | MariaDB | Amazon RDS for MySQL (lab 1) | the server named in `.env` if it answers, else a private `mariadbd` |
//! | PostgreSQL | Amazon RDS for PostgreSQL (lab 4) | a private `postgres` with password (scram-sha-256) logins |
//! | moto | S3, DynamoDB, IAM, STS, EC2, SQS, Kinesis | `moto_server` from the Python venv, on 127.0.0.1 |
//! | moto (IAM) | IAM, STS and S3 with policies enforced (lab 6) | a second `moto_server` that checks every request |
//!
//! Everything lives in one git-ignored folder, `.sourcelab/` at the top of the repository: the Python venv, the
//! databases' data folders, logs, the state file with pids and ports, and `local.env` with the stack's settings.
//! [`Stack::up`] is idempotent: services that already answer are left alone. [`Stack::down`] stops only the
//! processes it started, by the pids it recorded.
//!
//! ```no_run
//! # fn demo() -> sourcelab::Result<()> {
//! let stack = sourcelab::local::Stack::new();
//! for service in stack.up()? {
//!     println!("{service}");
//! }
//! # Ok(()) }
//! ```

pub mod gateway;
pub mod guard;
pub mod mariadb;
pub mod moto;
pub mod postgres;
pub mod process;
pub mod venv;

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{EnvFile, Secret};
use crate::error::{Error, ErrorKind, Result};

/// The first line of an env file that `sourcelab up` may rewrite.
pub const MANAGED_MARKER: &str = "# managed-by: sourcelab up";

/// The local stack of one repository checkout.
#[derive(Debug, Clone)]
pub struct Stack {
    home: PathBuf,
    state: PathBuf,
}

/// What the stack knows about one running service (kept in `.sourcelab/stack.json`).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Service {
    /// Process id, when we started it; `None` for a server we use but did not start.
    pub pid: Option<u32>,
    /// Host the clients connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Log file of the process we started.
    pub log: PathBuf,
    /// Login user (databases).
    #[serde(default)]
    pub user: String,
    /// Login password (databases); never printed.
    #[serde(default)]
    pub password: String,
    /// Database name (databases).
    #[serde(default)]
    pub database: String,
    /// Unix socket (private database instances).
    #[serde(default)]
    pub socket: Option<PathBuf>,
    /// Administrator password of a private instance (PostgreSQL's superuser); never printed.
    #[serde(default)]
    pub admin_password: String,
}

impl Service {
    /// A service we started that has no logins (moto, the lab 4 gateway): its pid, port and log.
    pub(crate) fn process(pid: u32, port: u16, log: PathBuf) -> Service {
        Service {
            pid: Some(pid),
            host: "127.0.0.1".into(),
            port,
            log,
            user: String::new(),
            password: String::new(),
            database: String::new(),
            socket: None,
            admin_password: String::new(),
        }
    }
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("pid", &self.pid)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"***")
            .field("database", &self.database)
            .finish()
    }
}

/// The state file: which services run where.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    moto: Option<Service>,
    /// Lab 6's moto, which enforces IAM policies; `user`/`password` are its administrator's keys.
    #[serde(default)]
    moto_iam: Option<Service>,
    mariadb: Option<Service>,
    postgres: Option<Service>,
    /// Lab 4's gateway in front of PostgreSQL, once `sourcelab lab4 setup` started it.
    #[serde(default)]
    gateway: Option<Service>,
}

/// One row of `sourcelab status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// `moto`, `mariadb` or `postgres`.
    pub name: &'static str,
    /// `host:port`, or `-` when not configured.
    pub endpoint: String,
    /// Our process id, or `None` for a server we did not start.
    pub pid: Option<u32>,
    /// Whether it answers now.
    pub healthy: bool,
    /// A short remark (what it stands in for, or why it is down).
    pub note: String,
}

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pid = self.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
        let health = if self.healthy { "yes" } else { "NO" };
        write!(f, "{:<9} {:<22} {:>8}  {:<7}  {}", self.name, self.endpoint, pid, health, self.note)
    }
}

/// The header line matching [`ServiceStatus`]'s `Display`.
pub const STATUS_HEADER: &str = "service   endpoint                    pid  healthy  note";

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

impl Stack {
    /// The stack of this checkout (see [`crate::home`]).
    pub fn new() -> Self {
        Self::at(crate::home())
    }

    /// The stack of the checkout at `home`; its state goes to `home/.sourcelab`.
    pub fn at(home: impl Into<PathBuf>) -> Self {
        let home = home.into();
        let state = home.join(".sourcelab");
        Stack { home, state }
    }

    /// The top of the checkout.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The git-ignored state folder (`.sourcelab/`).
    pub fn state_dir(&self) -> &Path {
        &self.state
    }

    /// Where logs go.
    pub fn logs_dir(&self) -> PathBuf {
        self.state.join("logs")
    }

    /// The env file with the local stack's settings, rewritten by every `up`.
    pub fn local_env_path(&self) -> PathBuf {
        self.state.join("local.env")
    }

    /// The env file notebooks read (`.env` at the top of the checkout, unless `SOURCELAB_ENV_FILE` says otherwise).
    pub fn user_env_path(&self) -> PathBuf {
        match std::env::var_os("SOURCELAB_ENV_FILE") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => self.home.join(".env"),
        }
    }

    /// Creates a folder below the state folder.
    fn dir(&self, rel: &str) -> Result<PathBuf> {
        let d = self.state.join(rel);
        std::fs::create_dir_all(&d).map_err(|e| Error::io("create folder", &d, e))?;
        Ok(d)
    }

    /// Takes the stack's lock, so two `up`s (two test binaries, two shells) do not start services twice.
    fn lock(&self) -> Result<File> {
        self.dir("")?;
        let path = self.state.join("stack.lock");
        let file = File::create(&path).map_err(|e| Error::io("create lock file", &path, e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::io("lock", &path, e.into()))?;
        Ok(file)
    }

    fn state_path(&self) -> PathBuf {
        self.state.join("stack.json")
    }

    fn load_state(&self) -> Result<State> {
        let path = self.state_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::new(ErrorKind::Config, format!("read {}", path.display()), e.to_string())
                    .hint("the state file is damaged: run `sourcelab down`, delete it and run `sourcelab up`")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    fn save_state(&self, state: &State) -> Result<()> {
        let text = serde_json::to_string_pretty(state)
            .map_err(|e| Error::new(ErrorKind::Io, "encode the stack state", e.to_string()))?;
        write_private(&self.state_path(), &text)
    }

    /// Starts whatever is not running (venv, moto, MariaDB, PostgreSQL), waits until each answers, writes the
    /// env files and returns the status table. Fast when everything already runs.
    pub fn up(&self) -> Result<Vec<ServiceStatus>> {
        let _lock = self.lock()?;
        self.dir("logs")?;
        let mut state = self.load_state()?;
        let user_env = EnvFile::load(self.user_env_path()).ok();
        venv::ensure(self)?;
        state.moto = Some(moto::ensure(self, state.moto.take())?);
        self.save_state(&state)?;
        state.moto_iam = Some(moto::ensure_iam(self, state.moto_iam.take())?);
        self.save_state(&state)?;
        let mariadb = mariadb::ensure(self, state.mariadb.take(), user_env.as_ref())?;
        state.mariadb = Some(mariadb.clone());
        self.save_state(&state)?;
        mariadb::load_rentio(&mariadb)?;
        let pg = postgres::ensure(self, state.postgres.take())?;
        let pg_port = pg.port;
        state.postgres = Some(pg);
        self.save_state(&state)?;
        // Lab 4 was set up here before: its gateway comes back with the rest, reading the env file as it is now
        // (moto's port may have moved).
        self.write_env_files(&state)?;
        if let Some(g) = state.gateway.take() {
            state.gateway = Some(gateway::ensure(self, Some(g), pg_port)?);
            self.save_state(&state)?;
        }
        self.write_env_files(&state)?;
        Ok(self.statuses(&state))
    }

    /// Stops the processes `up` started (by their recorded pids) and returns what it stopped. The state file keeps
    /// each instance's port and passwords, so the next `up` restarts the same databases with the same logins.
    pub fn down(&self) -> Result<Vec<String>> {
        let _lock = self.lock()?;
        let state = self.load_state()?;
        let mut stopped = Vec::new();
        if let Some(s) = &state.gateway {
            stopped.extend(gateway::stop(s)?);
        }
        if let Some(s) = &state.postgres {
            stopped.extend(postgres::stop(s)?);
        }
        if let Some(s) = &state.mariadb {
            stopped.extend(mariadb::stop(s)?);
        }
        for s in [&state.moto_iam, &state.moto].into_iter().flatten() {
            stopped.extend(moto::stop(s)?);
        }
        Ok(stopped)
    }

    /// What runs where, checked now.
    pub fn status(&self) -> Result<Vec<ServiceStatus>> {
        Ok(self.statuses(&self.load_state()?))
    }

    fn statuses(&self, state: &State) -> Vec<ServiceStatus> {
        let mut rows = vec![
            moto::status(state.moto.as_ref()),
            moto::status_iam(state.moto_iam.as_ref()),
            mariadb::status(state.mariadb.as_ref()),
            postgres::status(state.postgres.as_ref()),
        ];
        if let Some(g) = &state.gateway {
            rows.push(gateway::status(g));
        }
        rows
    }

    /// The private PostgreSQL instance, when `up` started one.
    pub(crate) fn postgres(&self) -> Result<Service> {
        self.load_state()?.postgres.ok_or_else(|| {
            Error::new(ErrorKind::Setup, "find the local PostgreSQL", "the local stack has no PostgreSQL yet")
                .hint("run `sourcelab up` first")
        })
    }

    /// Starts lab 4's gateway in front of PostgreSQL (see [`gateway`]) unless ours already runs; returns its port.
    pub(crate) fn ensure_gateway(&self) -> Result<u16> {
        let _lock = self.lock()?;
        let mut state = self.load_state()?;
        let pg = state.postgres.clone().ok_or_else(|| {
            Error::new(ErrorKind::Setup, "start the lab 4 gateway", "the local stack has no PostgreSQL yet")
                .hint("run `sourcelab up` first")
        })?;
        let g = gateway::ensure(self, state.gateway.take(), pg.port)?;
        let port = g.port;
        state.gateway = Some(g);
        self.save_state(&state)?;
        Ok(port)
    }

    /// Kills the private MariaDB the way a power cut would (SIGKILL: no shutdown, no flush), starts it again on
    /// the same data folder and port, and waits until it answers. Lab 5 uses it to show durability: what was
    /// committed before the kill is there afterwards, what was not is gone. Refuses for a server the stack did
    /// not start: we only kill our own processes.
    pub fn crash_mariadb(&self) -> Result<Crash> {
        let _lock = self.lock()?;
        let mut state = self.load_state()?;
        let refuse = |cause: String| {
            Error::new(ErrorKind::Setup, "crash the local MariaDB", cause)
                .hint("the crash works on the private MariaDB that `sourcelab up` starts; run `sourcelab up`")
        };
        let service = state.mariadb.clone().ok_or_else(|| refuse("the local stack has no MariaDB yet".into()))?;
        let Some(pid) = service.pid.filter(|p| process::is_running(*p, "mariadbd")) else {
            return Err(refuse(match service.pid {
                None => format!("the MariaDB at {}:{} was not started by sourcelab", service.host, service.port),
                Some(p) => format!("our MariaDB (pid {p}) is not running"),
            }));
        };
        let log_start = std::fs::metadata(&service.log).map(|m| m.len()).unwrap_or(0);
        let started = std::time::Instant::now();
        process::stop(pid, rustix::process::Signal::KILL, std::time::Duration::from_secs(30))?;
        // The same port, so that every open pool (a notebook's `db`) reconnects to the restarted server: the
        // kernel may take a moment to release it after the kill.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !process::port_is_free(service.port) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let restarted = mariadb::ensure(self, Some(service.clone()), None)?;
        let new_pid = restarted.pid.unwrap_or_default();
        state.mariadb = Some(restarted);
        self.save_state(&state)?;
        self.write_env_files(&state)?;
        let log = std::fs::read(&service.log).unwrap_or_default();
        let since = String::from_utf8_lossy(log.get(log_start as usize..).unwrap_or_default()).into_owned();
        let recovery = since
            .lines()
            .filter(|l| {
                let l = l.to_lowercase();
                ["crash recovery", "rolled back", "rollback of", "ready for connections"].iter().any(|k| l.contains(k))
            })
            // Without the "2026-12-02 17:36:47 0 [Note] " prefix.
            .map(|l| l.split_once("] ").map_or(l, |(_, rest)| rest).trim().to_string())
            .collect();
        Ok(Crash { killed: pid, restarted: new_pid, seconds: started.elapsed().as_secs_f64(), recovery })
    }

    /// The local stack's settings as env-file lines.
    fn env_text(&self, state: &State) -> String {
        let mut out = String::new();
        let databases = [
            (&state.mariadb, "MySQL / MariaDB (lab 1)", ["DBHOST", "DBPORT", "DBNAME", "DBUSER", "DBPASSWORD"]),
            (&state.postgres, "PostgreSQL (lab 4)", ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"]),
        ];
        for (service, title, keys) in databases {
            if let Some(d) = service {
                out.push_str(&format!("\n# {title}\n"));
                let values =
                    [d.host.clone(), d.port.to_string(), d.database.clone(), d.user.clone(), d.password.clone()];
                for (key, value) in keys.iter().zip(values) {
                    push_kv(&mut out, key, &value);
                }
            }
        }
        if let Some(m) = &state.moto {
            out.push_str(
                "\n# AWS (labs 2-7): the local moto server. Delete these lines to use real AWS. AWS_DEFAULT_REGION is the\n\
                 # AWS CLI's name for the region.\n",
            );
            push_kv(&mut out, "AWS_ENDPOINT_URL", &format!("http://{}:{}", m.host, m.port));
            push_kv(&mut out, "AWS_REGION", "us-east-1");
            push_kv(&mut out, "AWS_DEFAULT_REGION", "us-east-1");
            // A private moto (a class's) opens to the learner's own key; any other takes any key.
            let checked = !m.password.is_empty();
            push_kv(&mut out, "AWS_ACCESS_KEY_ID", if checked { &m.user } else { moto::ACCESS_KEY_ID });
            push_kv(&mut out, "AWS_SECRET_ACCESS_KEY", if checked { &m.password } else { moto::SECRET_ACCESS_KEY });
        }
        if let Some(m) = &state.moto_iam {
            out.push_str(&format!(
                "\n# IAM (lab 6): a second moto that checks every request against IAM policies, and the keys of its\n\
                 # administrator, {} (the lab's root user). For real AWS delete these lines: lab 6 then uses the\n\
                 # AWS settings above.\n",
                moto::IAM_ADMIN
            ));
            push_kv(&mut out, "IAM_AWS_ENDPOINT_URL", &format!("http://{}:{}", m.host, m.port));
            push_kv(&mut out, "IAM_AWS_ACCESS_KEY_ID", &m.user);
            push_kv(&mut out, "IAM_AWS_SECRET_ACCESS_KEY", &m.password);
        }
        out
    }

    /// Writes `.sourcelab/local.env` always, and the user's `.env` when it is missing or still managed by `up`.
    fn write_env_files(&self, state: &State) -> Result<()> {
        let body = self.env_text(state);
        write_private(
            &self.local_env_path(),
            &format!("# The local stack's settings, rewritten by every `sourcelab up`.\n{body}"),
        )?;
        let user = self.user_env_path();
        let managed = match std::fs::read_to_string(&user) {
            Ok(text) => text.lines().next() == Some(MANAGED_MARKER),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(Error::io("read", &user, e)),
        };
        if managed {
            let header = format!(
                "{MANAGED_MARKER}\n# `sourcelab up` rewrites this file while the line above is there. Delete that line to\n\
                 # keep your own settings (for example real AWS or RDS); see env.example for every key.\n"
            );
            write_private(&user, &format!("{header}{body}"))?;
        }
        Ok(())
    }

    /// The local stack's settings (`.sourcelab/local.env`), for tests and tools that must use the local stack.
    pub fn local_env(&self) -> Result<EnvFile> {
        EnvFile::load(self.local_env_path())
    }

    /// The secrets of the local stack (passwords), so tests can check none of them leaks.
    pub fn secrets(&self) -> Result<Vec<Secret>> {
        let state = self.load_state()?;
        let mut out = Vec::new();
        for s in [&state.mariadb, &state.postgres, &state.moto_iam].into_iter().flatten() {
            for p in [&s.password, &s.admin_password] {
                if !p.is_empty() {
                    out.push(Secret::new(p.clone()));
                }
            }
        }
        // Lab 4's master password, when the scenario was set up.
        if let Ok(text) = std::fs::read_to_string(self.state.join("lab4.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(p) = v["password"].as_str()
        {
            out.push(Secret::new(p));
        }
        Ok(out)
    }
}

/// What [`Stack::crash_mariadb`] did: the pid it killed, the pid of the restarted server, how long the restart
/// took and what the server's log says about its recovery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crash {
    /// The process killed with SIGKILL.
    pub killed: u32,
    /// The MariaDB started again on the same data.
    pub restarted: u32,
    /// Seconds from the kill until the new server answered.
    pub seconds: f64,
    /// The new server's log lines about crash recovery (InnoDB replays its redo log, rolls back what was open).
    pub recovery: Vec<String>,
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "killed MariaDB (pid {}) with SIGKILL: no shutdown, nothing flushed on the way out", self.killed)?;
        writeln!(
            f,
            "started it again on the same data folder (pid {}); it answered after the restart",
            self.restarted
        )?;
        if self.recovery.is_empty() {
            return write!(f, "its log says nothing about recovery");
        }
        write!(f, "what its log says about recovery:")?;
        for line in &self.recovery {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for Crash {}

/// Stops a service if we started it (it has a pid) and that process still runs `program`.
fn stop_ours(
    s: &Service,
    program: &str,
    label: &str,
    signal: rustix::process::Signal,
    grace: std::time::Duration,
) -> Result<Vec<String>> {
    match s.pid {
        Some(pid) if process::is_running(pid, program) => {
            process::stop(pid, signal, grace)?;
            Ok(vec![format!("{label} (pid {pid})")])
        }
        _ => Ok(vec![]),
    }
}

/// A status row; `check` gives (endpoint, healthy, note) for a known service.
fn status_row(
    name: &'static str,
    s: Option<&Service>,
    check: impl FnOnce(&Service) -> (String, bool, String),
) -> ServiceStatus {
    match s {
        Some(s) => {
            let (endpoint, healthy, note) = check(s);
            ServiceStatus { name, endpoint, pid: s.pid, healthy, note }
        }
        None => ServiceStatus { name, endpoint: "-".into(), pid: None, healthy: false, note: "not started".into() },
    }
}

/// Appends `KEY=value`, quoted so that dotenvy reads back exactly `value`.
fn push_kv(out: &mut String, key: &str, value: &str) {
    let plain = !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || "#'\"\\$`".contains(c));
    if plain {
        out.push_str(&format!("{key}={value}\n"));
    } else if !value.contains('\'') {
        out.push_str(&format!("{key}='{value}'\n"));
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$");
        out.push_str(&format!("{key}=\"{escaped}\"\n"));
    }
}

/// Writes a file readable by its owner only (it may hold passwords), replacing it atomically.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| Error::io("write", &tmp, e))?;
    if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_all()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_read_back_exactly() {
        let values = ["plain", "", "has space#", "it's \"quoted\" $HOME \\ end", "ünï"];
        let mut text = String::new();
        for (i, v) in values.iter().enumerate() {
            push_kv(&mut text, &format!("K{i}"), v);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.env");
        std::fs::write(&path, &text).unwrap();
        let env = EnvFile::load(&path).unwrap();
        for (i, v) in values.iter().enumerate() {
            assert_eq!(env.get(&format!("K{i}")), Some(*v), "line {i} of {text}");
        }
    }
}
