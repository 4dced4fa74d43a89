//! moto in server mode: one HTTP endpoint that answers for S3, DynamoDB, IAM, STS, EC2, SQS and Kinesis.
//!
//! It keeps everything in memory: a restart empties every bucket and table. Its port is fixed (5000) so the env
//! file stays valid; set `SOURCELAB_MOTO_PORT` to move it.

use std::io::{Read, Write};
use std::net::TcpStream;
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

fn wanted_port() -> Result<u16> {
    match std::env::var("SOURCELAB_MOTO_PORT") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| {
            Error::new(ErrorKind::Config, "read SOURCELAB_MOTO_PORT", format!("`{v}` is not a port number"))
        }),
        _ => Ok(DEFAULT_PORT),
    }
}

/// Whether an HTTP server answers on 127.0.0.1:`port` (moto answers `GET /` with S3's bucket list).
pub fn answers_http(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.")
}

/// Starts moto unless the one we started before still answers.
pub fn ensure(stack: &Stack, prev: Option<Service>) -> Result<Service> {
    let port = wanted_port()?;
    if let Some(s) = prev.filter(|s| s.port == port)
        && s.pid.is_some_and(|p| process::is_running(p, "moto"))
        && answers_http(s.port)
    {
        return Ok(s);
    }
    if !process::port_is_free(port) {
        return Err(Error::new(
            ErrorKind::Setup,
            format!("start moto on 127.0.0.1:{port}"),
            format!("port {port} is already taken by another program"),
        )
        .hint(format!("stop that program, or choose another port: SOURCELAB_MOTO_PORT={} sourcelab up", port + 1)));
    }
    let log = stack.logs_dir().join("moto.log");
    let server = venv::bin(stack, "moto_server");
    eprintln!("sourcelab: starting moto on 127.0.0.1:{port}");
    let pid = process::spawn_daemon(
        "start moto",
        Command::new(&server).args(["-H", "127.0.0.1", "-p", &port.to_string()]),
        &log,
    )?;
    process::wait_until("moto", Some(pid), &log, Duration::from_secs(60), || answers_http(port))?;
    Ok(Service::process(pid, port, log))
}

/// Stops the moto we started.
pub fn stop(s: &Service) -> Result<Vec<String>> {
    super::stop_ours(s, "moto", "moto", rustix::process::Signal::TERM, Duration::from_secs(10))
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
