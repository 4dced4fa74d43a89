//! Lab 8's scenario: logs from systems that really ran — the stack's own MariaDB and PostgreSQL, and a small web
//! shop of ours that serves real HTTP on a local port while a traffic generator uses it.
//!
//! | log | written by | format ([`crate::logs`]) |
//! |---|---|---|
//! | [`LogFiles::mariadb`] | the stack's MariaDB (general query log, on since `sourcelab up`) | `read_mariadb_general` |
//! | [`LogFiles::postgres`] | the stack's PostgreSQL (every connection; failed passwords from lab 4 and [`failed_logins`]) | `read_postgres` |
//! | [`LogFiles::access`] | the web shop: one line per request, Combined Log Format | `read_access` |
//! | [`LogFiles::app`] | the web shop: what it did, with levels | `read_app` |
//! | [`LogFiles::auth`] | the web shop: every login, in sshd's words | `read_auth` |
//!
//! [`traffic`] sends requests from eight shoppers, each from an address of its own (`127.0.0.2`–`127.0.0.9`: the
//! whole `127.0.0.0/8` block reaches this machine), and, for a few seconds in the middle, a burst of password
//! guesses from [`ATTACKER`].

use crate::frame::TableExt;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Progress;
use crate::config::{DbConfig, EnvFile, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::frame::Show;
use crate::sql::Db;

pub use sourcelab_notebook::lab8::{ACCESS_LOG, APP_LOG, ATTACKER, AUTH_LOG, LogFiles, SHOPPERS};

/// The shop's customers and their passwords (made up; the shop never logs a password).
const CUSTOMERS: [(&str, &str); 3] = [("alice", "tulip-42"), ("bob", "harbour-7"), ("carol", "quartz-19")];

/// The running web shop of this process.
struct Shop {
    url: String,
    access: Mutex<std::fs::File>,
    app: Mutex<std::fs::File>,
    auth: Mutex<std::fs::File>,
    orders: std::sync::atomic::AtomicU64,
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn stamp() -> String {
    now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn append(file: &Mutex<std::fs::File>, line: &str) {
    if let Ok(mut f) = file.lock() {
        let _ = writeln!(f, "{line}");
    }
}

impl Shop {
    fn app(&self, level: &str, component: &str, message: &str) {
        append(&self.app, &format!("{} {level:<5} {component}: {message}", stamp()));
    }

    /// Answers one request: status, body; writes what happened to the app and auth logs.
    fn route(&self, method: &str, target: &str, body: &str, peer: SocketAddr) -> (u16, String) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        match (method, path) {
            ("GET", "/") => {
                self.app("DEBUG", "cache", "served / from the page cache");
                (200, "<h1>sourcelab shop</h1>".into())
            }
            ("GET", p) if p.starts_with("/products/") => match p["/products/".len()..].parse::<u32>() {
                Ok(id @ 1..=40) => {
                    self.app("DEBUG", "cache", &format!("served product {id} from the page cache"));
                    (200, format!("<h1>product {id}</h1>"))
                }
                _ => {
                    self.app("WARN", "catalog", &format!("no product {}", &p["/products/".len()..]));
                    (404, "no such product".into())
                }
            },
            ("GET", "/search") => {
                let q = query.strip_prefix("q=").unwrap_or(query);
                self.app("INFO", "search", &format!("search for {q:?}: {} results", q.len() * 3 % 17));
                (200, format!("<p>results for {q}</p>"))
            }
            ("GET", "/cart") => (200, "<p>your cart</p>".into()),
            ("POST", "/checkout") => {
                let n = self.orders.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n.is_multiple_of(12) {
                    self.app("ERROR", "payments", &format!("order {n}: the payment backend timed out after 3000 ms"));
                    (500, "payment failed, try again".into())
                } else {
                    self.app("INFO", "payments", &format!("order {n} paid"));
                    (200, format!("order {n} paid"))
                }
            }
            ("POST", "/login") => {
                let field =
                    |k: &str| body.split('&').find_map(|kv| kv.strip_prefix(k)?.strip_prefix('=')).unwrap_or("");
                let (user, password) = (field("user"), field("password"));
                let ok = CUSTOMERS.iter().any(|(u, p)| *u == user && *p == password);
                let (verb, status) = if ok { ("Accepted", 200) } else { ("Failed", 401) };
                let pid = std::process::id();
                let line = format!(
                    "{} shop sshd-style[{pid}]: {verb} password for {user} from {} port {}",
                    stamp(),
                    peer.ip(),
                    peer.port()
                );
                append(&self.auth, &line);
                if ok {
                    self.app("INFO", "auth", &format!("{user} logged in"));
                } else {
                    self.app("WARN", "auth", &format!("failed login for {user} from {}", peer.ip()));
                }
                (status, if ok { "welcome".into() } else { "wrong user or password".into() })
            }
            _ => {
                self.app("WARN", "router", &format!("no route for {method} {path}"));
                (404, "not found".into())
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        400 => "Bad Request",
        _ => "Internal Server Error",
    }
}

/// Reads one request (head and body), answers it and logs it in the Combined Log Format.
async fn serve(shop: Arc<Shop>, mut stream: tokio::net::TcpStream, peer: SocketAddr) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 && buf.len() < 16 * 1024 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let header = |name: &str| {
        head.split("\r\n").find_map(|l| {
            l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string())
        })
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0).min(64 * 1024);
    while buf.len() < head_end + length {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end.min(buf.len())..]).to_string();
    let mut parts = request_line.split(' ');
    let (method, target, protocol) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, page) = if method.is_empty() || target.is_empty() {
        (400, "bad request".to_string())
    } else {
        shop.route(method, target, &body, peer)
    };
    let dash = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "-".into());
    let line = format!(
        "{} - - [{}] \"{method} {target} {protocol}\" {status} {} \"{}\" \"{}\"",
        peer.ip(),
        now().format("%d/%b/%Y:%H:%M:%S %z"),
        page.len(),
        dash(header("referer")),
        dash(header("user-agent")),
    );
    // Logged before the answer goes out, so a client that has its answer finds the line in the log.
    append(&shop.access, &line);
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        reason(status),
        page.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn open_log(path: &Path) -> Result<Mutex<std::fs::File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create folder", dir, e))?;
    }
    let f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::io("open", path, e))?;
    Ok(Mutex::new(f))
}

/// The web shop of this process, started on a free local port on first use; its URL (`http://127.0.0.1:…`).
/// It runs as long as the process (the notebook's kernel) does, and appends to the three shop logs in `logs`.
pub fn web_shop(logs: &Path) -> Result<String> {
    static SHOP: OnceLock<Arc<Shop>> = OnceLock::new();
    if let Some(shop) = SHOP.get() {
        return Ok(shop.url.clone());
    }
    let listener = crate::block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?
        .map_err(|e| Error::new(ErrorKind::Setup, "start the web shop", e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| Error::new(ErrorKind::Setup, "start the web shop", e.to_string()))?;
    let shop = Arc::new(Shop {
        url: format!("http://{addr}"),
        access: open_log(&logs.join(ACCESS_LOG))?,
        app: open_log(&logs.join(APP_LOG))?,
        auth: open_log(&logs.join(AUTH_LOG))?,
        orders: Default::default(),
    });
    let shop = SHOP.get_or_init(|| shop).clone();
    shop.app("INFO", "server", &format!("listening on {}", shop.url));
    let serving = shop.clone();
    crate::runtime::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            tokio::spawn(serve(serving.clone(), stream, peer));
        }
    })?;
    Ok(shop.url.clone())
}

/// The log files of lab 8, with the shop running and MariaDB's general log on.
///
/// MariaDB writes its general log since `sourcelab up` started it; a server started before lab 8 existed gets it
/// switched on here (`SET GLOBAL general_log`), and runs one query on lab 1's `film` table, so the log always has
/// a statement about films.
pub fn setup(env: &EnvFile) -> Result<LogFiles> {
    let logs = crate::local::Stack::new().logs_dir();
    let db = Db::connect_mysql(env)?;
    let on = db.query("SELECT @@general_log AS on_, @@general_log_file AS file, @@datadir AS datadir")?;
    let value = |c: &str| on.value(0, c).ok().map(|v| v.as_str().map_or(v.to_string(), str::to_string));
    if value("on_").as_deref() != Some("1") {
        let file = logs.join(crate::local::mariadb::GENERAL_LOG_FILE);
        let sql = format!("SET GLOBAL general_log_file = '{}'", file.display().to_string().replace('\'', "''"));
        db.execute(&sql).and_then(|_| db.execute("SET GLOBAL general_log = ON")).map_err(|e| {
            e.hint("lab 8 needs MariaDB's general log: on the stack's MariaDB run `sourcelab down` then `sourcelab up`; on RDS set general_log in the parameter group")
        })?;
    }
    let on = db.query("SELECT @@general_log_file AS file, @@datadir AS datadir")?;
    let text = |c: &str| on.value(0, c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let file = PathBuf::from(text("file"));
    let mariadb = if file.is_absolute() { file } else { PathBuf::from(text("datadir")).join(file) };
    db.query("SELECT COUNT(*) AS films FROM film /* lab 8 */")?;
    let shop = web_shop(&logs)?;
    Ok(LogFiles {
        mariadb,
        postgres: logs.join(crate::local::postgres::LOG_FILE),
        access: logs.join(ACCESS_LOG),
        app: logs.join(APP_LOG),
        auth: logs.join(AUTH_LOG),
        shop,
    })
}

/// A copy of the log file `path` as a crash or a full disk leaves one — a line of binary noise in the middle, the
/// last line cut in half — next to it, named `….damaged.log`; its path.
pub fn damaged_copy(path: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.len() < 2 {
        return Err(Error::new(
            ErrorKind::Input,
            format!("damage a copy of {}", path.display()),
            "it has fewer than 2 lines",
        )
        .hint("make some log lines first (lab8::traffic)"));
    }
    let middle = lines.len() / 2;
    lines.insert(middle, "\u{1}\u{0}\u{fffd}\u{fffd}PK\u{3}\u{4}".to_string());
    let last = lines.len() - 1;
    let cut = lines[last].char_indices().nth(lines[last].chars().count() / 2).map_or(0, |(i, _)| i);
    lines[last].truncate(cut);
    let copy = path.with_extension("damaged.log");
    std::fs::write(&copy, lines.join("\n")).map_err(|e| Error::io("write", &copy, e))?;
    Ok(copy)
}

/// What [`traffic`] sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    /// Requests answered.
    pub requests: u64,
    /// How many got each status code.
    pub by_status: BTreeMap<u16, u64>,
    /// Password guesses from [`ATTACKER`].
    pub guesses: u64,
    /// Requests that got no answer (the shop was not reachable).
    pub unanswered: u64,
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let statuses: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{s} × {n}")).collect();
        write!(
            f,
            "{} requests answered ({}), {} of them password guesses from {ATTACKER}",
            self.requests,
            statuses.join(", "),
            self.guesses
        )?;
        if self.unanswered > 0 {
            write!(f, "; {} unanswered", self.unanswered)?;
        }
        Ok(())
    }
}

impl Show for Traffic {}

/// One HTTP request from `from`; the status code.
async fn request(shop: SocketAddr, from: Ipv4Addr, method: &str, path: &str, body: &str) -> Option<u16> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(from.into(), 0)).ok()?;
    let mut stream = tokio::time::timeout(Duration::from_secs(5), socket.connect(shop)).await.ok()?.ok()?;
    let agent = if from == ATTACKER.parse::<Ipv4Addr>().ok()? {
        "python-requests/2.31"
    } else {
        "Mozilla/5.0 (sourcelab shopper)"
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: shop\r\nUser-Agent: {agent}\r\nReferer: http://shop/\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await.ok()?.ok()?;
    String::from_utf8_lossy(&answer).split(' ').nth(1)?.parse().ok()
}

/// Sends `seconds` of traffic to the shop at `url`: eight shoppers browsing, searching, buying and logging in
/// (now and then with a typo), a few probes for pages that do not exist, and — in the middle fifth of the time —
/// a burst of password guesses for `admin` and `root` from [`ATTACKER`]. Seeded: the same requests every run.
pub fn traffic(url: &str, seconds: u32, progress: Progress) -> Result<Traffic> {
    let what = "send traffic to the web shop";
    let addr: SocketAddr = url.trim_start_matches("http://").trim_end_matches('/').parse().map_err(|_| {
        Error::new(ErrorKind::Input, what, format!("{url:?} is not http://IP:PORT"))
            .hint("pass the `shop` URL of lab8::setup")
    })?;
    let mut rng = crate::rentio::Rng(0x9e37_79b9_7f4a_7c15);
    let mut next = move |n: u64| rng.next_u64() % n;
    let ticks = seconds.max(1) * 10;
    let attacker: Ipv4Addr = ATTACKER.parse().unwrap_or(Ipv4Addr::LOCALHOST);
    let mut out = Traffic::default();
    for tick in 0..ticks {
        let mut batch: Vec<(Ipv4Addr, &str, String, String)> = Vec::new();
        for shopper in 0..SHOPPERS {
            if next(2) == 0 {
                continue;
            }
            let from = Ipv4Addr::new(127, 0, 0, 2 + shopper as u8);
            let (method, path, body) = match next(100) {
                0..20 => ("GET", "/".to_string(), String::new()),
                20..55 => ("GET", format!("/products/{}", next(42) + 1), String::new()),
                55..70 => {
                    ("GET", format!("/search?q={}", ["lamp", "desk", "chair", "mug"][next(4) as usize]), String::new())
                }
                70..80 => ("GET", "/cart".to_string(), String::new()),
                80..88 => ("POST", "/checkout".to_string(), String::new()),
                88..95 => {
                    let (user, password) = CUSTOMERS[next(3) as usize];
                    let typo = if next(5) == 0 { "x" } else { "" };
                    ("POST", "/login".to_string(), format!("user={user}&password={password}{typo}"))
                }
                _ => ("GET", ["/wp-login.php", "/.env", "/admin"][next(3) as usize].to_string(), String::new()),
            };
            batch.push((from, method, path, body));
        }
        let burst = tick >= ticks * 2 / 5 && tick < ticks * 3 / 5;
        if burst {
            for _ in 0..8 {
                let user = ["admin", "root"][next(2) as usize];
                batch.push((attacker, "POST", "/login".into(), format!("user={user}&password=guess{}", next(100_000))));
            }
        }
        let guesses = batch.iter().filter(|b| b.0 == attacker).count() as u64;
        let answers = crate::block_on(futures_util::future::join_all(
            batch.iter().map(|(from, m, p, b)| request(addr, *from, m, p, b)),
        ))?;
        out.guesses += guesses;
        for a in answers {
            match a {
                Some(status) => {
                    out.requests += 1;
                    *out.by_status.entry(status).or_default() += 1;
                }
                None => out.unanswered += 1,
            }
        }
        if progress == Progress::Print && (tick + 1) % 10 == 0 {
            crate::runtime::progress(&format!("traffic: {}/{seconds} s, {} requests", (tick + 1) / 10, out.requests));
        }
        crate::runtime::pause(Duration::from_millis(100))?;
    }
    if out.requests == 0 {
        return Err(Error::new(ErrorKind::Connect, what, format!("no request to {url} was answered"))
            .hint("run lab8::setup(&env) in this kernel: it starts the shop"));
    }
    Ok(out)
}

/// Tries to log in `n` times to each of the env file's databases (MariaDB, PostgreSQL) as the lab user with a
/// wrong password — each a real attempt that the server refuses and logs; how many were refused.
pub fn failed_logins(env: &EnvFile, n: u32) -> Result<u64> {
    let mut refused = 0;
    for cfg in [env.mysql()?, env.postgres()?] {
        for i in 0..n {
            let wrong = DbConfig { password: Secret::new(format!("not-the-password-{i}")), ..cfg.clone() };
            match Db::connect(&wrong) {
                Err(e) if e.kind() == ErrorKind::Auth => refused += 1,
                Err(e) => return Err(e),
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::Auth,
                        format!("log in to {} with a wrong password", cfg.endpoint()),
                        "the server let it in",
                    )
                    .hint("the server accepts any password (trust authentication): its log will show no failure"));
                }
            }
        }
    }
    Ok(refused)
}
