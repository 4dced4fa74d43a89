//! A private PostgreSQL for lab 4, with real password checks (scram-sha-256), as on RDS.
//!
//! The machine's own PostgreSQL (if any) often trusts every local login, which cannot show lab 4's
//! `password authentication failed`. So we always run our own: `initdb --auth=scram-sha-256` into a data folder
//! of ours, then `postgres` on a free port, listening on 127.0.0.1 only. PostgreSQL refuses to run as root; when
//! `up` runs as root (as CI does), the server runs as the `postgres` system user and its data folder lives in
//! `/var/tmp/sourcelab-<hash>/postgres`, a place that user can reach.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;

use super::{Service, ServiceStatus, Stack, process};
use crate::error::{Error, ErrorKind, Result};

/// The lab user.
pub const LAB_USER: &str = "lab";
/// The lab database.
pub const LAB_DATABASE: &str = "lab";
/// What starts every line of the private instance's log: time, process id, then (for a client's session) its
/// address and port, user and database — `2024-05-06 09:00:00.123 UTC [4242] 127.0.0.1(51234) lab@lab LOG:  …`.
pub const LOG_LINE_PREFIX: &str = "%m [%p] %q%r %u@%d ";
/// The private instance's log file, in the stack's logs folder.
pub const LOG_FILE: &str = "postgres.log";
/// The superuser of the private instance.
const ADMIN_USER: &str = "postgres";

/// The binaries' folders Debian uses, newest version first.
fn debian_bin_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    dirs.sort_by_key(|d| {
        let version =
            d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok());
        std::cmp::Reverse(version.unwrap_or(0))
    });
    dirs
}

/// The user the server runs as: ourselves, or `postgres` (uid, gid) when we are root.
fn run_as() -> Result<Option<(u32, u32)>> {
    if !process::is_root() {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| Error::io("read", Path::new("/etc/passwd"), e))?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&"postgres") && f.len() > 3)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .map(Some)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Setup,
                "run PostgreSQL as root",
                "PostgreSQL refuses root and there is no `postgres` user",
            )
            .hint("install the Debian package postgresql (it creates the user), or run `sourcelab up` as a normal user")
        })
}

/// The folder holding the data folder and socket (see the module docs for why it moves when running as root).
pub fn base_dir(stack: &Stack) -> PathBuf {
    if process::is_root() {
        PathBuf::from(format!("/var/tmp/sourcelab-{:x}", crate::short_hash(&stack.state_dir().to_string_lossy())))
            .join("postgres")
    } else {
        stack.state_dir().join("postgres")
    }
}

fn options(s: &Service, user: &str, password: &str, database: &str) -> PgConnectOptions {
    PgConnectOptions::new().host(&s.host).port(s.port).username(user).password(password).database(database)
}

/// The superuser's connection options (lab 4 creates its own role and database with them).
pub(crate) fn admin_options(s: &Service) -> PgConnectOptions {
    options(s, ADMIN_USER, &s.admin_password, "postgres")
}

/// Whether the lab user can log in within 3 seconds.
fn lab_can_log_in(s: &Service) -> bool {
    let opts = options(s, &s.user, &s.password, &s.database);
    crate::block_on(
        async move { matches!(tokio::time::timeout(Duration::from_secs(3), opts.connect()).await, Ok(Ok(_))) },
    )
    .unwrap_or(false)
}

/// Uses the instance we started when it still answers; otherwise starts it (creating it the first time).
pub fn ensure(stack: &Stack, prev: Option<Service>) -> Result<Service> {
    if let Some(s) = prev.as_ref()
        && s.pid.is_some_and(|p| process::is_running(p, "postgres"))
        && lab_can_log_in(s)
    {
        return Ok(s.clone());
    }
    let extra = debian_bin_dirs();
    let initdb = process::require_program("initdb", "postgresql", &extra)?;
    let postgres = process::require_program("postgres", "postgresql", &extra)?;
    let owner = run_as()?;
    let base = base_dir(stack);
    let data = base.join("data");
    let log = stack.logs_dir().join(LOG_FILE);
    std::fs::create_dir_all(&base).map_err(|e| Error::io("create folder", &base, e))?;
    if let Some((uid, gid)) = owner {
        chown(&base, uid, gid)?;
    }
    let known = prev.as_ref().map(|s| s.admin_password.clone()).filter(|p| !p.is_empty());
    let admin_password = match known {
        Some(p) if data.join("PG_VERSION").is_file() => p,
        _ => {
            // A data folder whose superuser password we no longer know (the state file was deleted) is useless:
            // it is ours alone, so start it afresh rather than fail on every `up`.
            if data.exists() {
                eprintln!("sourcelab: recreating {} (its password was lost with the state file)", data.display());
                std::fs::remove_dir_all(&data).map_err(|e| Error::io("remove", &data, e))?;
            }
            process::random_password()?
        }
    };
    if !data.join("PG_VERSION").is_file() {
        eprintln!("sourcelab: creating a private PostgreSQL in {}", data.display());
        let pwfile = base.join("pwfile");
        super::write_private(&pwfile, &admin_password)?;
        if let Some((uid, gid)) = owner {
            chown(&pwfile, uid, gid)?;
        }
        let mut cmd = Command::new(&initdb);
        cmd.arg("-D").arg(&data).args(["--auth=scram-sha-256", "--username", ADMIN_USER, "--encoding=UTF8"]);
        cmd.args(["--locale=C", "--no-instructions"]).arg(format!("--pwfile={}", pwfile.display()));
        as_user(&mut cmd, owner);
        let result = process::run("create the PostgreSQL data folder (initdb)", &mut cmd);
        let _ = std::fs::remove_file(&pwfile);
        result.map_err(|e| e.hint(format!("delete {} and run `sourcelab up` again", data.display())))?;
    }
    // A server killed without a shutdown leaves its lock file, and PostgreSQL refuses to start while the pid in it
    // exists — which a server started by this very process (a kernel, a test) does, as a zombie, until reaped.
    // When that pid is our server's and it is gone, its locks (the data folder's and the socket's) are stale.
    let lock = data.join("postmaster.pid");
    let locked_by = std::fs::read_to_string(&lock).ok().and_then(|t| t.lines().next()?.trim().parse::<u32>().ok());
    if let Some(old) = prev.as_ref().filter(|s| s.pid == locked_by && locked_by.is_some_and(process::is_gone)) {
        for stale in [lock, base.join(format!(".s.PGSQL.{}.lock", old.port))] {
            match std::fs::remove_file(&stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove the stale lock file", &stale, e));
                }
                _ => {}
            }
        }
    }
    let port = process::free_port(prev.as_ref().map(|s| s.port).filter(|p| *p != 0))?;
    eprintln!("sourcelab: starting PostgreSQL on 127.0.0.1:{port}");
    let mut cmd = Command::new(&postgres);
    cmd.arg("-D").arg(&data).args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"]);
    // Lab 8 reads this server's log: every connection, and on every line the client, user and database.
    cmd.args(["-c", "log_connections=on", "-c", &format!("log_line_prefix={LOG_LINE_PREFIX}")]);
    cmd.arg("-k").arg(&base);
    as_user(&mut cmd, owner);
    let pid = process::spawn_daemon("start PostgreSQL", &mut cmd, &log)?;
    // The port opens before the server accepts logins ("the database system is starting up"): wait for a login.
    let admin = PgConnectOptions::new().host("127.0.0.1").port(port).username(ADMIN_USER).password(&admin_password);
    let accepts_logins = || {
        let opts = admin.clone().database("postgres");
        crate::block_on(async move {
            matches!(tokio::time::timeout(Duration::from_secs(3), opts.connect()).await, Ok(Ok(_)))
        })
        .unwrap_or(false)
    };
    process::wait_until("PostgreSQL", Some(pid), &log, Duration::from_secs(60), || {
        process::port_answers(port) && accepts_logins()
    })?;
    let password = match prev.map(|s| s.password).filter(|p| !p.is_empty()) {
        Some(p) => p,
        None => process::random_password()?,
    };
    let service = Service {
        pid: Some(pid),
        host: "127.0.0.1".into(),
        port,
        log,
        user: LAB_USER.into(),
        password,
        database: LAB_DATABASE.into(),
        socket: Some(base),
        admin_password,
    };
    if let Err(e) = create_lab_account(&service) {
        // Leave nothing half-started behind: the state file would not know this process.
        process::stop(pid, rustix::process::Signal::INT, Duration::from_secs(30))?;
        return Err(e.hint(format!(
            "read the log: {}; if the data folder {} came from elsewhere, delete it and run `sourcelab up` again",
            service.log.display(),
            data.display()
        )));
    }
    Ok(service)
}

fn as_user(cmd: &mut Command, owner: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
}

fn chown(path: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| Error::io("change the owner of", path, e))
}

/// Creates the login role `user` with `password` (already quoted for SQL) and `options`, or sets them if it exists.
pub(crate) async fn login_role(
    conn: &mut sqlx::PgConnection,
    user: &str,
    password: &str,
    options: &str,
) -> std::result::Result<(), sqlx::Error> {
    use sqlx::Executor;
    let exists: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM pg_roles WHERE rolname = $1").bind(user).fetch_optional(&mut *conn).await?;
    let verb = if exists.is_some() { "ALTER" } else { "CREATE" };
    conn.execute(sqlx::AssertSqlSafe(format!("{verb} ROLE \"{user}\" LOGIN {options} PASSWORD '{password}'"))).await?;
    Ok(())
}

/// As the superuser: the lab role (login, password) and the lab database it owns.
fn create_lab_account(s: &Service) -> Result<()> {
    let admin = admin_options(s);
    let pw = s.password.replace('\'', "''");
    let (user, db) = (s.user.clone(), s.database.clone());
    crate::block_on(async move {
        use sqlx::Executor;
        let step = "create the lab user and database in PostgreSQL";
        let fail = |e: sqlx::Error| Error::new(ErrorKind::Setup, step, e.to_string());
        let mut conn = admin.connect().await.map_err(fail)?;
        login_role(&mut conn, &user, &pw, "CREATEDB").await.map_err(fail)?;
        let db_exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&db)
            .fetch_optional(&mut conn)
            .await
            .map_err(fail)?;
        if db_exists.is_none() {
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\" OWNER \"{user}\"")))
                .await
                .map_err(fail)?;
        }
        Ok(())
    })?
}

/// Stops the instance we started (fast shutdown: SIGINT).
pub fn stop(s: &Service) -> Result<Vec<String>> {
    super::stop_ours(s, "postgres", "PostgreSQL", rustix::process::Signal::INT, Duration::from_secs(30))
}

/// PostgreSQL's row in the status table.
pub fn status(s: Option<&Service>) -> ServiceStatus {
    super::status_row("postgres", s, |s| {
        let healthy = process::port_answers(s.port) && s.pid.is_some_and(|p| process::is_running(p, "postgres"));
        (format!("{}:{}", s.host, s.port), healthy, "private instance, scram-sha-256 (lab 4)".into())
    })
}
