//! MariaDB for lab 1: the server named in `.env` when it answers, otherwise a private instance.
//!
//! The private instance is a real `mariadbd` with its own data folder (`.sourcelab/mariadb/data`), socket and free
//! port, created with `mariadb-install-db`. Its `root` account is reachable only through the socket; the labs log
//! in as `lab` with a generated password, over TCP, like a client of RDS would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::mysql::MySqlConnectOptions;

use super::{Service, ServiceStatus, Stack, process};
use crate::config::{DbConfig, EnvFile};
use crate::error::{Error, ErrorKind, Result};

/// The lab user the private instance creates.
pub const LAB_USER: &str = "lab";
/// The database the labs use.
pub const LAB_DATABASE: &str = "rentio";
/// The private instance's general query log (every connection and statement, for lab 8), in the logs folder.
pub const GENERAL_LOG_FILE: &str = "mariadb-general.log";

/// Uses the private instance we started, or the server `.env` names, or starts a private instance.
pub fn ensure(stack: &Stack, prev: Option<Service>, user_env: Option<&EnvFile>) -> Result<Service> {
    if let Some(s) = prev.as_ref()
        && s.pid.is_some_and(|p| process::is_running(p, "mariadbd"))
        && can_log_in(&as_config(s))
    {
        return Ok(s.clone());
    }
    if let Some(cfg) = user_env.and_then(|e| e.mysql().ok()) {
        let ours = prev.as_ref().is_some_and(|s| s.pid.is_some() && s.port == cfg.port && s.host == cfg.host);
        if !ours && can_log_in(&cfg) {
            eprintln!("sourcelab: using the MySQL/MariaDB server named in .env ({})", cfg.endpoint());
            return Ok(Service {
                pid: None,
                host: cfg.host,
                port: cfg.port,
                log: PathBuf::new(),
                user: cfg.user,
                password: cfg.password.expose().to_string(),
                database: cfg.database,
                socket: None,
                admin_password: String::new(),
            });
        }
    }
    start_private(stack, prev)
}

fn as_config(s: &Service) -> DbConfig {
    DbConfig {
        engine: crate::config::Engine::MySql,
        host: s.host.clone(),
        port: s.port,
        database: s.database.clone(),
        user: s.user.clone(),
        password: crate::config::Secret::new(s.password.clone()),
    }
}

/// Whether `cfg` can log in within 3 seconds.
fn can_log_in(cfg: &DbConfig) -> bool {
    let opts = crate::sql::mysql_options(cfg);
    crate::block_on(async move {
        let connect = opts.connect();
        matches!(tokio::time::timeout(Duration::from_secs(3), connect).await, Ok(Ok(_)))
    })
    .unwrap_or(false)
}

/// The socket path, kept under the 107-byte limit of Unix socket paths.
fn socket_path(base: &Path) -> PathBuf {
    let p = base.join("mariadb.sock");
    if p.as_os_str().len() < 100 {
        p
    } else {
        std::env::temp_dir().join(format!("sourcelab-{:x}-mariadb.sock", crate::short_hash(&base.to_string_lossy())))
    }
}

fn start_private(stack: &Stack, prev: Option<Service>) -> Result<Service> {
    let extra = [PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")];
    let mariadbd = process::require_program("mariadbd", "mariadb-server", &extra)?;
    let install_db = process::require_program("mariadb-install-db", "mariadb-server", &extra)?;
    let base = stack.state_dir().join("mariadb");
    let data = base.join("data");
    let socket = socket_path(&base);
    let log = stack.logs_dir().join("mariadb.log");
    let as_root: &[&str] = if process::is_root() { &["--user=root"] } else { &[] };
    if !data.join("mysql").is_dir() {
        std::fs::create_dir_all(&data).map_err(|e| Error::io("create folder", &data, e))?;
        eprintln!("sourcelab: creating a private MariaDB in {}", data.display());
        process::run(
            "create the MariaDB data folder (mariadb-install-db)",
            Command::new(&install_db)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .args(["--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"])
                .args(as_root),
        )
        .map_err(|e| e.hint(format!("delete {} and run `sourcelab up` again", data.display())))?;
    }
    let port = process::free_port(prev.as_ref().map(|s| s.port).filter(|p| *p != 0))?;
    eprintln!("sourcelab: starting MariaDB on 127.0.0.1:{port}");
    let pid = process::spawn_daemon(
        "start MariaDB",
        Command::new(&mariadbd)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--port={port}"))
            .arg(format!("--pid-file={}", base.join("mariadbd.pid").display()))
            .args(["--bind-address=127.0.0.1", "--skip-name-resolve", "--innodb-buffer-pool-size=64M"])
            .args(["--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"])
            // As MySQL 8 (and the course) behave: a TIMESTAMP column gets no hidden ON UPDATE default.
            .arg("--explicit-defaults-for-timestamp=1")
            // Lab 8 reads every connection and statement the earlier labs sent.
            .arg("--general-log=1")
            .arg(format!("--general-log-file={}", stack.logs_dir().join(GENERAL_LOG_FILE).display()))
            .args(as_root),
        &log,
    )?;
    process::wait_until("MariaDB", Some(pid), &log, Duration::from_secs(60), || {
        process::port_answers(port) && socket.exists()
    })?;
    let password = match prev.as_ref().map(|s| s.password.clone()).filter(|p| !p.is_empty()) {
        Some(p) => p,
        None => process::random_password()?,
    };
    if let Err(e) = create_lab_account(&socket, &password) {
        // Leave nothing half-started behind: the state file would not know this process.
        process::stop(pid, rustix::process::Signal::TERM, Duration::from_secs(30))?;
        return Err(e.hint(format!("read the log: {}", log.display())));
    }
    Ok(Service {
        pid: Some(pid),
        host: "127.0.0.1".into(),
        port,
        log,
        user: LAB_USER.into(),
        password,
        database: LAB_DATABASE.into(),
        socket: Some(socket),
        admin_password: String::new(),
    })
}

/// As root over the socket: the lab database and the lab user (any host) with `password` and every privilege.
fn create_lab_account(socket: &Path, password: &str) -> Result<()> {
    let opts = MySqlConnectOptions::new().socket(socket).username("root");
    let pw = password.replace('\\', "\\\\").replace('\'', "\\'");
    let statements = vec![
        // Not into the general query log (lab 8 shows it): these statements carry the lab user's password.
        "SET SESSION sql_log_off = 1".to_string(),
        format!("CREATE DATABASE IF NOT EXISTS `{LAB_DATABASE}` CHARACTER SET utf8mb4"),
        format!("CREATE USER IF NOT EXISTS '{LAB_USER}'@'%' IDENTIFIED BY '{pw}'"),
        format!("ALTER USER '{LAB_USER}'@'%' IDENTIFIED BY '{pw}'"),
        format!("GRANT ALL PRIVILEGES ON *.* TO '{LAB_USER}'@'%' WITH GRANT OPTION"),
    ];
    crate::block_on(async move {
        use sqlx::Executor;
        let mut conn = opts.connect().await.map_err(|e| {
            Error::new(ErrorKind::Setup, "log in to the private MariaDB as root", e.to_string()).with_source(e)
        })?;
        for s in &statements {
            conn.execute(sqlx::AssertSqlSafe(s.as_str())).await.map_err(|e| {
                // The statement holds the password: name the step, not the text.
                Error::new(ErrorKind::Setup, "create the lab database and user in MariaDB", e.to_string())
            })?;
        }
        Ok(())
    })?
}

/// Loads the Rentio tables (lab 1) into the lab database when it has none.
pub fn load_rentio(s: &Service) -> Result<()> {
    let cfg = as_config(s);
    let loaded = crate::block_on(async move {
        let db = crate::sql::Db::connect(&cfg)?;
        crate::rentio::load_if_empty(&db)
    })??;
    if loaded {
        eprintln!("sourcelab: loaded the Rentio tables into {}", s.database);
    }
    Ok(())
}

/// Stops the private instance we started; a server we did not start is left alone.
pub fn stop(s: &Service) -> Result<Vec<String>> {
    super::stop_ours(s, "mariadbd", "MariaDB", rustix::process::Signal::TERM, Duration::from_secs(30))
}

/// MariaDB's row in the status table.
pub fn status(s: Option<&Service>) -> ServiceStatus {
    super::status_row("mariadb", s, |s| {
        let healthy = process::tcp_answers(&s.host, s.port) && s.pid.is_none_or(|p| process::is_running(p, "mariadbd"));
        let note = if s.pid.is_some() { "private instance (lab 1)" } else { "server from .env (lab 1)" };
        (format!("{}:{}", s.host, s.port), healthy, note.into())
    })
}
