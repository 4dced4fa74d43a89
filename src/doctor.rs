//! The doctor: why can't I reach my database (or my S3 object)? One layer at a time.
//!
//! A connection fails at exactly one layer, and each layer fails in its own way:
//!
//! | step | fails as | usually means |
//! |---|---|---|
//! | name resolution | "no such host" | a typo in the endpoint, or a private name resolved outside its VPC |
//! | TCP connect | **timeout** (no answer at all) | packets are dropped: a security group without an inbound rule, a network ACL, a missing route or internet gateway, or a client in another VPC |
//! | TCP connect | **refused** (an immediate "no") | the host is reached but nothing listens on that port |
//! | protocol handshake | no PostgreSQL/MySQL greeting | something else listens there (wrong port) |
//! | authentication | "password authentication failed" | wrong user or password |
//! | database | "database … does not exist" | wrong database name |
//! | permission | "permission denied" | the user may log in but not use the database |
//!
//! [`database`] runs the steps in order, each bounded by a timeout (5 s by default), and stops at the first
//! failure with the next thing to check — for a timeout, the six places on AWS that drop packets. [`s3_object`]
//! does the same for an object: bucket, key, then reading it (403 means a policy denies it).
//!
//! ```no_run
//! # fn demo() -> sourcelab::Result<()> {
//! let cfg = sourcelab::config::DbConfig::from_url("postgres://postgres:secret@db.example.com:5432/postgres")?;
//! let report = sourcelab::doctor::database(&cfg, std::time::Duration::from_secs(5));
//! println!("{report}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{DbConfig, EnvFile};
use crate::error::ErrorKind;
use crate::sql::Db;

/// The default time limit of each step.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What to check when TCP connections time out on AWS, in the order the course's checklist gives.
pub const NETWORK_CHECKLIST: [&str; 6] = [
    "internet gateway: is one attached to the VPC (for a client outside it)?",
    "route tables: does the subnet's table send 0.0.0.0/0 (or the client's network) to a gateway?",
    "route-table associations: is the database's subnet associated with that table?",
    "security groups: does the database's group allow inbound TCP on its port from the client's group or address?",
    "network ACLs: do the subnet's ACLs allow the port inbound and the ephemeral ports outbound (they are stateless)?",
    "instance placement: are the client and the database in the same VPC (or a peered one)?",
];

/// One step of a diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The layer checked, e.g. "TCP connect".
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// How long it took.
    pub elapsed: Duration,
    /// What happened, in one line.
    pub detail: String,
    /// What to check next, when it failed.
    pub next: Vec<String>,
    /// The error's kind, when it failed (Timeout, Connect, Auth, NotFound, …).
    pub kind: Option<ErrorKind>,
}

/// The steps of one diagnosis, stopping at the first failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// What was diagnosed (the URL with the password hidden, or s3://bucket/key).
    pub target: String,
    /// The steps run.
    pub steps: Vec<Step>,
}

impl Diagnosis {
    /// Whether every step passed.
    pub fn ok(&self) -> bool {
        self.steps.iter().all(|s| s.ok)
    }

    /// The step that failed, if one did.
    pub fn failed(&self) -> Option<&Step> {
        self.steps.iter().find(|s| !s.ok)
    }
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for Diagnosis {}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "doctor: {}", self.target)?;
        for s in &self.steps {
            let mark = if s.ok { "✓" } else { "✗" };
            writeln!(f, "  {mark} {:<20} {:>7.3} s  {}", s.name, s.elapsed.as_secs_f64(), s.detail)?;
            for n in &s.next {
                writeln!(f, "      → {n}")?;
            }
        }
        if self.ok() {
            write!(f, "  all steps passed")?;
        }
        Ok(())
    }
}

struct Runner {
    steps: Vec<Step>,
}

impl Runner {
    fn pass(&mut self, name: &'static str, started: Instant, detail: String) {
        self.steps.push(Step { name, ok: true, elapsed: started.elapsed(), detail, next: Vec::new(), kind: None });
    }

    fn fail(&mut self, name: &'static str, started: Instant, kind: ErrorKind, detail: String, next: Vec<String>) {
        self.steps.push(Step { name, ok: false, elapsed: started.elapsed(), detail, next, kind: Some(kind) });
    }
}

/// Diagnoses a database connection step by step (each step bounded by `timeout`).
pub fn database(cfg: &DbConfig, timeout: Duration) -> Diagnosis {
    let cfg = cfg.clone();
    let target = cfg.url().to_string();
    let steps = crate::wait(async move { Ok(database_here(&cfg, timeout).await) }).unwrap_or_default();
    Diagnosis { target, steps }
}

async fn database_here(cfg: &DbConfig, timeout: Duration) -> Vec<Step> {
    let mut r = Runner { steps: Vec::new() };
    let endpoint = cfg.endpoint();

    // 1. Name resolution.
    let t = Instant::now();
    let addrs = match tokio::time::timeout(timeout, tokio::net::lookup_host((cfg.host.as_str(), cfg.port))).await {
        Ok(Ok(a)) => a.collect::<Vec<_>>(),
        Ok(Err(e)) => {
            r.fail(
                "name resolution",
                t,
                ErrorKind::Connect,
                format!("{} does not resolve: {e}", cfg.host),
                vec!["check the endpoint's spelling (copy it from the RDS console or the env file)".into()],
            );
            return r.steps;
        }
        Err(_) => {
            r.fail(
                "name resolution",
                t,
                ErrorKind::Timeout,
                format!("no DNS answer within {} s", timeout.as_secs_f64()),
                vec!["check the machine's DNS settings and network".into()],
            );
            return r.steps;
        }
    };
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    r.pass("name resolution", t, format!("{} → {}", cfg.host, shown.join(", ")));

    // 2. TCP connect: a timeout and a refusal mean different things.
    let t = Instant::now();
    let mut stream = None;
    let mut failure = None;
    for addr in &addrs {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                failure = Some((ErrorKind::Connect, e.to_string()))
            }
            Ok(Err(e)) => failure = Some((ErrorKind::Connect, e.to_string())),
            Err(_) => failure = Some((ErrorKind::Timeout, String::new())),
        }
    }
    let Some(mut stream) = stream else {
        match failure {
            Some((ErrorKind::Timeout, _)) => r.fail(
                "TCP connect",
                t,
                ErrorKind::Timeout,
                format!("no answer from {endpoint} within {} s: the handshake never completed (packets dropped)", timeout.as_secs_f64()),
                NETWORK_CHECKLIST.iter().map(|s| s.to_string()).collect(),
            ),
            Some((kind, e)) => r.fail("TCP connect", t, kind, format!("{endpoint}: {e}"), vec![
                format!("the host answered but nothing accepts connections on port {}: check the port and that the database runs", cfg.port),
            ]),
            None => r.fail("TCP connect", t, ErrorKind::Connect, format!("{} resolved to no address", cfg.host), vec![]),
        }
        return r.steps;
    };
    r.pass("TCP connect", t, format!("connected to {endpoint}"));

    // 3. Protocol handshake: is it the database we expect?
    let t = Instant::now();
    let greeting = tokio::time::timeout(timeout, handshake(&mut stream, cfg)).await;
    drop(stream);
    match greeting {
        Ok(Ok(detail)) => r.pass("protocol handshake", t, detail),
        Ok(Err(detail)) => {
            r.fail(
                "protocol handshake",
                t,
                ErrorKind::Connect,
                detail,
                vec![format!(
                    "something else listens on {endpoint}: check the port ({} usually listens on {})",
                    cfg.engine.name(),
                    if cfg.engine == crate::config::Engine::Postgres { 5432 } else { 3306 }
                )],
            );
            return r.steps;
        }
        Err(_) => {
            r.fail(
                "protocol handshake",
                t,
                ErrorKind::Timeout,
                format!("no greeting within {} s", timeout.as_secs_f64()),
                vec!["the port accepts connections but does not speak the protocol: check the port".into()],
            );
            return r.steps;
        }
    }

    // 4–6. Log in (authentication, then the database), then use it (permission).
    let t = Instant::now();
    let connected = tokio::time::timeout(timeout, Db::connect_here(cfg.clone())).await;
    let db = match connected {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => {
            let (name, next) = match e.kind() {
                ErrorKind::Auth => (
                    "authentication",
                    "check the user and password (the password you were given may be wrong: reset it)",
                ),
                ErrorKind::NotFound => ("database", "the login worked but the database does not exist: check its name"),
                _ => ("authentication", "read the server's message above"),
            };
            if name == "database" {
                r.pass("authentication", t, format!("user {} logged in", cfg.user));
            }
            r.fail(name, t, e.kind(), e.cause().to_string(), vec![next.to_string()]);
            return r.steps;
        }
        Err(_) => {
            r.fail(
                "authentication",
                t,
                ErrorKind::Timeout,
                format!("no answer to the login within {} s", timeout.as_secs_f64()),
                vec![],
            );
            return r.steps;
        }
    };
    r.pass("authentication", t, format!("user {} logged in", cfg.user));
    r.pass("database", t, format!("database {} exists", cfg.database));
    let t = Instant::now();
    match tokio::time::timeout(timeout, db.query_here("SELECT 1 AS ok")).await {
        Ok(Ok(_)) => r.pass("permission", t, "ran SELECT 1".into()),
        Ok(Err(e)) => r.fail(
            "permission",
            t,
            e.kind(),
            e.cause().to_string(),
            vec!["grant the user access (GRANT CONNECT / USAGE / SELECT)".into()],
        ),
        Err(_) => r.fail("permission", t, ErrorKind::Timeout, "SELECT 1 did not finish".into(), vec![]),
    }
    r.steps
}

/// Reads the server's first words: PostgreSQL answers an SSLRequest with `S` or `N`; MySQL greets first.
async fn handshake(stream: &mut tokio::net::TcpStream, cfg: &DbConfig) -> std::result::Result<String, String> {
    match cfg.engine {
        crate::config::Engine::Postgres => {
            // SSLRequest: length 8, code 80877103.
            let req = [0u8, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
            stream.write_all(&req).await.map_err(|e| format!("could not send: {e}"))?;
            let mut b = [0u8; 1];
            stream.read_exact(&mut b).await.map_err(|e| format!("no answer to a PostgreSQL greeting: {e}"))?;
            match b[0] {
                b'S' | b'N' => Ok(format!(
                    "a PostgreSQL server answered (TLS {})",
                    if b[0] == b'S' { "offered" } else { "not offered" }
                )),
                other => Err(format!("the answer ({other:#04x}) is not PostgreSQL's")),
            }
        }
        crate::config::Engine::MySql => {
            let mut head = [0u8; 5];
            stream.read_exact(&mut head).await.map_err(|e| format!("no MySQL greeting: {e}"))?;
            // 3 bytes length, 1 byte sequence, then the protocol version (10), or 0xff for an error packet.
            match head[4] {
                10 => {
                    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
                    let mut rest = vec![0u8; len.saturating_sub(1).min(256)];
                    let _ = stream.read_exact(&mut rest).await;
                    let version: String = rest.iter().take_while(|b| **b != 0).map(|b| char::from(*b)).collect();
                    Ok(format!("a MySQL-protocol server answered: {version}"))
                }
                0xff => {
                    Err("the server refused the connection in its greeting (too many connections, or host blocked)"
                        .into())
                }
                other => Err(format!("the greeting (protocol {other}) is not MySQL's")),
            }
        }
    }
}

/// Diagnoses reading an S3 object: the bucket, the key, then a GET of the first byte (403 = a policy denies it).
pub fn s3_object(env: &EnvFile, bucket: &str, key: &str) -> Diagnosis {
    let (env, b, k) = (env.clone(), bucket.to_string(), key.to_string());
    let target = format!("s3://{bucket}/{key}");
    let steps = crate::wait(async move { Ok(s3_here(&env, &b, &k).await) }).unwrap_or_default();
    Diagnosis { target, steps }
}

async fn s3_here(env: &EnvFile, bucket: &str, key: &str) -> Vec<Step> {
    let mut r = Runner { steps: Vec::new() };
    let client = crate::s3::client(env).await;
    let t = Instant::now();
    match client.head_bucket().bucket(bucket).send().await {
        Ok(_) => r.pass("bucket", t, format!("bucket {bucket} exists and answers")),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let (kind, detail, next) = match status {
                Some(404) => {
                    (ErrorKind::NotFound, format!("no bucket {bucket}"), "check the bucket name (names are global)")
                }
                Some(403) => (
                    ErrorKind::Auth,
                    format!("bucket {bucket} exists but denies you"),
                    "check the bucket policy and your credentials",
                ),
                _ => (ErrorKind::Connect, format!("no answer: {e}"), "check AWS_ENDPOINT_URL / the network"),
            };
            r.fail("bucket", t, kind, detail, vec![next.into()]);
            return r.steps;
        }
    }
    let t = Instant::now();
    match client.get_object().bucket(bucket).key(key).range("bytes=0-0").send().await {
        Ok(_) => {
            r.pass("object", t, format!("{key} exists"));
            r.pass("permission", t, "GetObject allowed".into());
        }
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            match status {
                Some(404) => r.fail(
                    "object",
                    t,
                    ErrorKind::NotFound,
                    format!("no object {key}"),
                    vec!["list the bucket to see its keys".into()],
                ),
                Some(403) => {
                    r.pass("object", t, "the bucket answered for the key".into());
                    r.fail(
                        "permission",
                        t,
                        ErrorKind::Auth,
                        "403 Forbidden: GetObject is denied".into(),
                        vec![
                            "read the bucket policy (s3.get_policy): a Deny on s3:GetObject wins over every Allow"
                                .into(),
                        ],
                    );
                }
                _ => r.fail("object", t, ErrorKind::Service, e.to_string(), vec![]),
            }
        }
    }
    r.steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_shows_each_step_and_what_to_check() {
        let d = Diagnosis {
            target: "postgres://u:***@h:5432/db".into(),
            steps: vec![
                Step {
                    name: "name resolution",
                    ok: true,
                    elapsed: Duration::from_millis(2),
                    detail: "h → 10.0.0.5".into(),
                    next: vec![],
                    kind: None,
                },
                Step {
                    name: "TCP connect",
                    ok: false,
                    elapsed: Duration::from_secs(5),
                    detail: "no answer".into(),
                    next: NETWORK_CHECKLIST.iter().map(|s| s.to_string()).collect(),
                    kind: Some(ErrorKind::Timeout),
                },
            ],
        };
        let text = d.to_string();
        assert!(
            text.contains("✓ name resolution") && text.contains("✗ TCP connect") && text.contains("5.000 s"),
            "{text}"
        );
        assert!(text.contains("→ security groups"), "{text}");
        assert_eq!(d.failed().unwrap().kind, Some(ErrorKind::Timeout));
    }
}
