//! moto in server mode: one HTTP endpoint that answers for S3, DynamoDB, IAM, STS, EC2, SQS and Kinesis.
//!
//! It keeps everything in memory: a restart empties every bucket and table. Its port is 5000 unless that is taken
//! (by another checkout's or another learner's stack: then a free one, kept while free so the env file stays
//! valid); `SOURCELAB_MOTO_PORT` names one.
//!
//! Lab 6 gets a second moto ([`ensure_iam`], port 5100 likewise, `SOURCELAB_MOTO_IAM_PORT`) that authenticates every
//! request and authorises it against IAM policies, as AWS does. Such a server refuses keys that belong to no IAM
//! user, so it starts with checks on, is then told to let exactly three requests through unchecked, and those
//! three create its administrator ([`IAM_ADMIN`]: a user, an allow-everything policy, an access key), whose keys
//! go into the env file. The labs' moto stays as it was: anything goes.

use std::process::Command;
use std::time::Duration;

use super::{Service, ServiceStatus, Stack, process, venv};
use crate::error::{Error, ErrorKind, Result};

/// moto accepts any key; these are the conventional test values (they are not secrets).
pub const ACCESS_KEY_ID: &str = "testing";
/// See [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "testing";
/// The default port.
pub const DEFAULT_PORT: u16 = 5000;

/// The IAM lab's moto's default port.
pub const IAM_DEFAULT_PORT: u16 = 5100;
/// The administrator the IAM lab's moto gets (the lab's stand-in for the account's root user).
pub const IAM_ADMIN: &str = "lab-admin";

fn wanted_port(var: &str) -> Result<Option<u16>> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().map(Some).map_err(|_| {
                Error::new(ErrorKind::Config, format!("read {var}"), format!("`{v}` is not a port number"))
            })
        }
        _ => Ok(None),
    }
}

/// The port for a moto: the one `var` names (used as named, even when taken); else the one this stack used
/// before, or `default`, while free; else any free port — another checkout's or another learner's stack on this
/// machine may hold the default, and the env file names whichever port is chosen.
fn choose_port(var: &str, default: u16, prev: Option<&Service>) -> Result<u16> {
    if let Some(port) = wanted_port(var)? {
        return Ok(port);
    }
    let earlier = prev.map(|s| s.port).filter(|p| process::port_is_free(*p));
    // A class's learners start their stacks at the same moment: each would see the default free and all but one
    // would then fail to bind it. Their stacks take free ports from the start.
    let shared_machine = std::env::var_os(PRIVATE_VAR).is_some_and(|v| !v.is_empty());
    let default = Some(default).filter(|p| !shared_machine && process::port_is_free(*p));
    match earlier.or(default) {
        Some(port) => Ok(port),
        None => process::free_port(None),
    }
}

/// Whether an HTTP server answers on 127.0.0.1:`port` (moto answers `GET /moto-api/` with its dashboard).
pub fn answers_http(port: u16) -> bool {
    process::http_local(port, "GET", "/moto-api/", &[], "", Duration::from_secs(2)).is_ok()
}

/// The one we started before, when it still runs (on `port`, when one is asked for) and answers.
fn still_running(prev: Option<Service>, port: Option<u16>) -> Option<Service> {
    prev.filter(|s| {
        port.is_none_or(|p| s.port == p)
            && s.pid.is_some_and(|p| process::is_running(p, "moto"))
            && answers_http(s.port)
    })
}

/// The most bytes moto's request log grows to before it is rotated: `moto.log` becomes `moto.log.1` (replacing
/// the one before) and a new `moto.log` starts, so a long session keeps at most twice this on disk.
pub const LOG_CAP_BYTES: u64 = 5 * 1024 * 1024;

/// Runs moto's server with its log records (one per request, and its errors) going to a rotating file: Python's
/// own `RotatingFileHandler`, set on the root logger before moto starts, which werkzeug's request log then uses.
/// Arguments: the log file, its cap in bytes, then moto_server's own arguments.
const LAUNCHER: &str = "\
import logging, logging.handlers, sys
log, cap = sys.argv[1], int(sys.argv[2])
handler = logging.handlers.RotatingFileHandler(log, maxBytes=cap, backupCount=1)
handler.setFormatter(logging.Formatter('%(message)s'))
logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
sys.argv = ['moto_server'] + sys.argv[3:]
from moto.server import main
main()
";

/// Starts a moto server on `port` (`var` moves it) with `env` set, logging to `log`, and waits until it answers.
fn start(stack: &Stack, port: u16, var: &str, log: &str, env: &[(&str, &str)]) -> Result<Service> {
    check_free(port, var)?;
    spawn(stack, port, &stack.logs_dir().join(log), LOG_CAP_BYTES, env)
}

/// A clear error when `port` (which `var` moves) is taken.
fn check_free(port: u16, var: &str) -> Result<()> {
    if process::port_is_free(port) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Setup,
        format!("start moto on 127.0.0.1:{port}"),
        format!("port {port} is already taken by another program"),
    )
    .hint(format!("stop that program, or choose another port: {var}={} sourcelab up", port + 1)))
}

/// Starts moto on 127.0.0.1:`port`, its request log in `log` rotated at `cap` bytes (see [`LOG_CAP_BYTES`]), and
/// waits until it answers. Anything moto prints outside its log (a crash at start) lands in `log` too.
pub fn spawn(stack: &Stack, port: u16, log: &std::path::Path, cap: u64, env: &[(&str, &str)]) -> Result<Service> {
    eprintln!("sourcelab: starting moto on 127.0.0.1:{port}");
    let mut cmd = Command::new(venv::bin(stack, "python"));
    cmd.args(["-c", LAUNCHER])
        .arg(log)
        .arg(cap.to_string())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(env.iter().copied());
    let pid = process::spawn_daemon("start moto", &mut cmd, log)?;
    process::wait_until("moto", Some(pid), log, Duration::from_secs(60), || answers_http(port))?;
    Ok(Service::process(pid, port, log.to_path_buf()))
}

/// Set (to anything) by a class for every learner's stack: the labs' moto then runs behind [`super::guard`], so
/// that another user of the machine who finds the port cannot read or change what is in it; the env file gets a
/// key of the learner's own instead of the conventional test values.
pub const PRIVATE_VAR: &str = "SOURCELAB_MOTO_PRIVATE";

/// Starts moto unless the one we started before still answers.
pub fn ensure(stack: &Stack, prev: Option<Service>) -> Result<Service> {
    let private = std::env::var_os(PRIVATE_VAR).is_some_and(|v| !v.is_empty());
    let same_kind = |s: &Service| s.password.is_empty() != private;
    if let Some(s) = still_running(prev.clone(), wanted_port("SOURCELAB_MOTO_PORT")?).filter(same_kind) {
        return Ok(s);
    }
    if let Some(s) = prev.as_ref().filter(|s| !same_kind(s) && s.pid.is_some_and(|p| process::is_running(p, "moto"))) {
        stop(s)?;
    }
    let port = choose_port("SOURCELAB_MOTO_PORT", DEFAULT_PORT, prev.as_ref())?;
    if private {
        // The learner's key stays the same from one start to the next: their env file and scripts stay valid.
        let keys = prev.filter(|s| !s.password.is_empty()).map(|s| (s.user, s.password));
        start_private(stack, port, keys)
    } else {
        start(stack, port, "SOURCELAB_MOTO_PORT", "moto.log", &[])
    }
}

/// Starts the IAM lab's moto, which checks every request against IAM policies, unless ours still answers, and
/// gives it its administrator: the service's `user` and `password` are that administrator's access key id and
/// secret key.
pub fn ensure_iam(stack: &Stack, prev: Option<Service>) -> Result<Service> {
    if let Some(s) =
        still_running(prev.clone(), wanted_port("SOURCELAB_MOTO_IAM_PORT")?).filter(|s| !s.password.is_empty())
    {
        return Ok(s);
    }
    let port = choose_port("SOURCELAB_MOTO_IAM_PORT", IAM_DEFAULT_PORT, prev.as_ref())?;
    start_checked(stack, port, "SOURCELAB_MOTO_IAM_PORT", "moto-iam.log")
}

/// Starts the guard of a private moto on `port` (it starts moto itself, on a socket in the state folder) with the
/// learner's key (`keys`, or a new one): the service's `user` and `password`.
fn start_private(stack: &Stack, port: u16, keys: Option<(String, String)>) -> Result<Service> {
    check_free(port, "SOURCELAB_MOTO_PORT")?;
    let log = stack.logs_dir().join("moto.log");
    let (key_id, secret) = match keys {
        Some(keys) => keys,
        None => {
            let id = process::random_password()?.to_ascii_uppercase().replace(['O', 'I'], "X");
            (format!("AKIA{}", &id[..16]), process::random_password()?)
        }
    };
    let mut cmd = Command::new(process::sourcelab_bin()?);
    cmd.args(["moto-guard", "--listen", &port.to_string()])
        .env("SOURCELAB_HOME", stack.home())
        .env(super::guard::KEY_VAR, &key_id);
    let pid = process::spawn_daemon("start moto's guard", &mut cmd, &stack.logs_dir().join("moto-guard.log"))?;
    process::wait_until("moto", Some(pid), &log, Duration::from_secs(60), || answers_http(port))?;
    let mut service = Service::process(pid, port, log);
    service.user = key_id;
    service.password = secret;
    Ok(service)
}

/// `sourcelab moto-guard`: moto on a socket in the stack's state folder (its log rotated like the open moto's),
/// then the guard on 127.0.0.1:`listen` in front of it, until stopped; moto stops with it.
pub fn serve_private(stack: &Stack, listen: u16) -> Result<()> {
    let key_id = std::env::var(super::guard::KEY_VAR).map_err(|_| {
        Error::new(ErrorKind::Setup, "start moto's guard", format!("{} is not set", super::guard::KEY_VAR))
            .hint("`sourcelab up` starts the guard; you do not need to")
    })?;
    let socket = stack.state_dir().join("moto.sock");
    let _ = std::fs::remove_file(&socket);
    let log = stack.logs_dir().join("moto.log");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Setup, "start moto's guard", e.to_string()))?;
    rt.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let out =
            std::fs::OpenOptions::new().create(true).append(true).open(&log).map_err(|e| Error::io("open", &log, e))?;
        let err = out.try_clone().map_err(|e| Error::io("open", &log, e))?;
        let _moto = tokio::process::Command::new(venv::bin(stack, "python"))
            .args(["-c", LAUNCHER])
            .arg(&log)
            .arg(LOG_CAP_BYTES.to_string())
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .args(["-p", "0"])
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::new(ErrorKind::Setup, "start moto", e.to_string()))?;
        let ready = std::time::Instant::now();
        while tokio::net::UnixStream::connect(&socket).await.is_err() {
            if ready.elapsed() > Duration::from_secs(60) {
                return Err(Error::new(ErrorKind::Timeout, "start moto", "its socket did not answer within 60 s")
                    .hint(format!("read the log: {}", log.display())));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| Error::new(ErrorKind::Setup, "start moto's guard", e.to_string()))?;
        tokio::select! {
            served = super::guard::serve(listen, socket.clone(), key_id) => served,
            _ = term.recv() => Ok(()),
        }
    })
}

/// Starts a moto that checks every request, and makes its administrator (the service's `user` and `password`).
fn start_checked(stack: &Stack, port: u16, var: &str, log: &str) -> Result<Service> {
    let mut service = start(stack, port, var, log, &[("INITIAL_NO_AUTH_ACTION_COUNT", "0")])?;
    let admin =
        allow_unchecked(port, 3).and_then(|()| crate::iam::bootstrap(&format!("http://127.0.0.1:{port}"), IAM_ADMIN));
    match admin {
        Ok((id, secret)) => {
            service.user = id;
            service.password = secret.expose().to_string();
            Ok(service)
        }
        Err(e) => {
            // Leave nothing half-made behind: a server without an administrator is of no use.
            if let Some(pid) = service.pid {
                process::stop(pid, rustix::process::Signal::TERM, Duration::from_secs(10))?;
            }
            Err(e.hint(format!("read the log: {}", service.log.display())))
        }
    }
}

/// Tells a moto server to serve the next `n` requests without checking credentials (`POST /moto-api/reset-auth`).
fn allow_unchecked(port: u16, n: u32) -> Result<()> {
    let fail = |cause: String| Error::new(ErrorKind::Setup, "prepare the IAM lab's moto", cause);
    let (status, _) =
        process::http_local(port, "POST", "/moto-api/reset-auth", &[], &n.to_string(), Duration::from_secs(10))
            .map_err(|e| fail(e.to_string()))?;
    if status != 200 {
        return Err(fail(format!("moto answered {status}")));
    }
    Ok(())
}

/// Stops a moto we started.
pub fn stop(s: &Service) -> Result<Vec<String>> {
    super::stop_ours(
        s,
        "moto",
        &format!("moto on port {}", s.port),
        rustix::process::Signal::TERM,
        Duration::from_secs(10),
    )
}

/// moto's row in the status table.
pub fn status(s: Option<&Service>) -> ServiceStatus {
    super::status_row("moto", s, |s| {
        (
            format!("http://{}:{}", s.host, s.port),
            answers_http(s.port),
            "S3, DynamoDB, IAM, STS, EC2, SQS, Kinesis".into(),
        )
    })
}

/// The IAM lab's moto's row in the status table.
pub fn status_iam(s: Option<&Service>) -> ServiceStatus {
    super::status_row("moto-iam", s, |s| {
        (
            format!("http://{}:{}", s.host, s.port),
            answers_http(s.port),
            "IAM, STS, S3, policies enforced (lab 6)".into(),
        )
    })
}
