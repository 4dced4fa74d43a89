//! Logs as a data source: the text files running systems append to, parsed into tables with typed columns.
//!
//! A log line records one thing that happened, with its time and usually a **level** — how much it matters:
//!
//! | level | meaning |
//! |---|---|
//! | `debug` | detail for whoever debugs the program; usually switched off |
//! | `info` | normal operation: a request served, a connection opened |
//! | `warn` | something unexpected that the program survived: a failed login, a page not found |
//! | `error` | an operation failed: a request answered with 500 |
//! | `fatal` | the program (or a session of it) cannot go on: PostgreSQL ends a connection whose password is wrong |
//!
//! Every reader here returns [`Parsed`]: a table whose first columns are the same for every kind of log — `line`
//! (its number in the file), `time` (a UTC datetime), `level` (one of the five above), `source`, `message` — then
//! the fields of that kind. A line that does not fit its format is never dropped and never a panic: it goes to
//! [`Parsed::unparsed`] with its line number, so a damaged or truncated log still reads. [`combine`] puts the
//! common columns of several logs into one table, to count by level and over time.
//!
//! | reader | format |
//! |---|---|
//! | [`read_access`] | web servers' access logs, the Combined Log Format (`client - user [time] "GET /x HTTP/1.1" 200 512 "referer" "agent"`) |
//! | [`read_app`] | an application's own log: `time LEVEL source: message` |
//! | [`read_auth`] | security logs in the style of sshd's: `time host process[pid]: Failed password for USER from IP port P` |
//! | [`read_mariadb_general`] | MariaDB's general query log: every connection and statement |
//! | [`read_postgres`] | PostgreSQL's server log, with the stack's line prefix (client, user and database on each line) |

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use polars::prelude::{Column, DataFrame, DataType, TimeUnit, TimeZone};
use regex::Regex;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::frame::Show;

/// The levels, from the least to the most severe.
pub const LEVELS: [&str; 5] = ["debug", "info", "warn", "error", "fatal"];

/// A log file read into a table.
#[derive(Debug, Clone, Serialize)]
pub struct Parsed {
    /// What kind of log (`access`, `app`, `auth`, `mariadb`, `postgres`).
    pub source: String,
    /// The file.
    pub path: PathBuf,
    /// One row per log entry: `line`, `time`, `level`, `source`, `message`, then the format's own fields.
    #[serde(skip)]
    pub rows: DataFrame,
    /// Lines that did not fit the format: `line` (number), `text`.
    #[serde(skip)]
    pub unparsed: DataFrame,
}

impl fmt::Display for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} log {}: {} entries, {} unparsed line(s)",
            self.source,
            self.path.display(),
            self.rows.height(),
            self.unparsed.height()
        )
    }
}

impl Show for Parsed {
    fn mime(&self) -> Vec<(String, String)> {
        let mut html = format!("<p>{}</p>", crate::frame::escape_html(&self.to_string()));
        html.push_str(&crate::frame::to_html(&self.rows));
        if self.unparsed.height() > 0 {
            html.push_str("<p>Lines that did not fit the format:</p>");
            html.push_str(&crate::frame::to_html(&self.unparsed));
        }
        vec![("text/html".into(), html), ("text/plain".into(), format!("{self}\n{}", self.rows))]
    }
}

/// One column of a table being built, by type.
enum Field {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
}

/// Rows being collected: the common columns, then the format's fields.
struct Builder {
    source: &'static str,
    line: Vec<u32>,
    time: Vec<Option<i64>>,
    level: Vec<String>,
    message: Vec<String>,
    fields: Vec<(&'static str, Field)>,
    unparsed: (Vec<u32>, Vec<String>),
}

impl Builder {
    fn new(source: &'static str, fields: &[(&'static str, bool)]) -> Builder {
        let fields = fields
            .iter()
            .map(|(name, int)| (*name, if *int { Field::Int(vec![]) } else { Field::Text(vec![]) }))
            .collect();
        Builder {
            source,
            line: vec![],
            time: vec![],
            level: vec![],
            message: vec![],
            fields,
            unparsed: (vec![], vec![]),
        }
    }

    /// Adds an entry; `values` are the format's fields in order (`None` for a missing one). Passwords in it are
    /// replaced by `***` ([`redact`]).
    fn push(&mut self, line: usize, time: Option<i64>, level: &str, message: String, values: &[Option<&str>]) {
        self.line.push(line as u32);
        self.time.push(time);
        self.level.push(level.to_string());
        self.message.push(redact(&message));
        for ((_, field), v) in self.fields.iter_mut().zip(values) {
            match field {
                Field::Text(col) => col.push(v.map(redact)),
                Field::Int(col) => col.push(v.and_then(|v| v.parse().ok())),
            }
        }
    }

    /// Appends a continuation line to the last entry's message (and to its last text field).
    fn extend_last(&mut self, text: &str) -> bool {
        let Some(m) = self.message.last_mut() else { return false };
        m.push('\n');
        m.push_str(&redact(text));
        true
    }

    fn reject(&mut self, line: usize, text: &str) {
        self.unparsed.0.push(line as u32);
        self.unparsed.1.push(redact(text));
    }

    fn finish(self, path: &Path) -> Result<Parsed> {
        let what = format!("tabulate the {} log {}", self.source, path.display());
        let failed = |e: polars::error::PolarsError| Error::new(ErrorKind::Input, what.clone(), e.to_string());
        let time = Column::new("time".into(), self.time)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
            .map_err(failed)?;
        let n = self.line.len();
        let mut columns = vec![
            Column::new("line".into(), self.line),
            time,
            Column::new("level".into(), self.level),
            Column::new("source".into(), vec![self.source; n]),
            Column::new("message".into(), self.message),
        ];
        for (name, field) in self.fields {
            columns.push(match field {
                Field::Text(v) => Column::new(name.into(), v),
                Field::Int(v) => Column::new(name.into(), v),
            });
        }
        let rows = DataFrame::new_infer_height(columns).map_err(failed)?;
        let unparsed = DataFrame::new_infer_height(vec![
            Column::new("line".into(), self.unparsed.0),
            Column::new("text".into(), self.unparsed.1),
        ])
        .map_err(failed)?;
        Ok(Parsed { source: self.source.to_string(), path: path.to_path_buf(), rows, unparsed })
    }
}

/// The lines of a log file, numbered from 1. Bytes that are not UTF-8 are replaced, not refused.
fn lines(path: &Path) -> Result<Vec<(usize, String)>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::io("read the log", path, e).hint("is the service running? `sourcelab status` lists the stack's logs")
    })?;
    Ok(String::from_utf8_lossy(&bytes).lines().enumerate().map(|(i, l)| (i + 1, l.to_string())).collect())
}

/// `text` with the passwords of account statements replaced by `***` (`IDENTIFIED BY '…'`, `PASSWORD('…')`,
/// PostgreSQL's `PASSWORD '…'`): a log may hold them, a table of it must not show them.
pub fn redact(text: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)(IDENTIFIED\s+(?:BY|WITH\s+\S+\s+(?:BY|AS))\s+|PASSWORD\s*\(\s*|PASSWORD\s+)'(?:[^'\\]|\\.|'')*'",
    );
    re.replace_all(text, "$1'***'").into_owned()
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| panic!("a log pattern of sourcelab is wrong: {e}")))
}

/// Milliseconds since 1970 of a time written as `format` (in UTC when the text has no offset).
fn millis(text: &str, format: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(text, format)
        .map(|t| t.timestamp_millis())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, format).map(|t| t.and_utc().timestamp_millis()))
        .ok()
}

/// A web server's access log in the Combined Log Format; `level` from the status (5xx error, 4xx warn, else
/// info). Fields: `client`, `user`, `method`, `path`, `protocol`, `status`, `bytes`, `referer`, `agent`.
pub fn read_access(path: impl AsRef<Path>) -> Result<Parsed> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re =
        regex(&RE, r#"^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+) ([^"]*)" (\d{3}) (\d+|-)(?: "([^"]*)" "([^"]*)")?$"#);
    let path = path.as_ref();
    let mut b = Builder::new(
        "access",
        &[
            ("client", false),
            ("user", false),
            ("method", false),
            ("path", false),
            ("protocol", false),
            ("status", true),
            ("bytes", true),
            ("referer", false),
            ("agent", false),
        ],
    );
    for (n, text) in lines(path)? {
        let Some(c) = re.captures(&text) else {
            b.reject(n, &text);
            continue;
        };
        let Some(time) = millis(&c[3], "%d/%b/%Y:%H:%M:%S %z") else {
            b.reject(n, &text);
            continue;
        };
        let status: u16 = c[7].parse().unwrap_or(0);
        let level = match status {
            500.. => "error",
            400.. => "warn",
            _ => "info",
        };
        let get = |i: usize| c.get(i).map(|m| m.as_str()).filter(|s| *s != "-");
        let message = format!("{} {} → {status}", &c[4], &c[5]);
        b.push(
            n,
            Some(time),
            level,
            message,
            &[get(1), get(2), get(4), get(5), get(6), get(7), get(8), get(9), get(10)],
        );
    }
    b.finish(path)
}

/// The level words programs write, as one of [`LEVELS`].
fn level_word(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "debug" | "trace" => "debug",
        "info" | "notice" => "info",
        "warn" | "warning" => "warn",
        "error" | "err" => "error",
        "fatal" | "critical" | "crit" | "panic" => "fatal",
        _ => return None,
    })
}

/// An application's log, `2024-05-06T09:00:00.123Z LEVEL source: message`. Fields: `component`.
pub fn read_app(path: impl AsRef<Path>) -> Result<Parsed> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(&RE, r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\s+([A-Za-z]+)\s+([\w.-]+): (.*)$");
    let path = path.as_ref();
    let mut b = Builder::new("app", &[("component", false)]);
    for (n, text) in lines(path)? {
        let parsed = re.captures(&text).and_then(|c| {
            let time = millis(&c[1], "%Y-%m-%dT%H:%M:%S%.fZ")?;
            Some((time, level_word(&c[2])?, c[3].to_string(), c[4].to_string()))
        });
        match parsed {
            Some((time, level, component, message)) => b.push(n, Some(time), level, message, &[Some(&component)]),
            None => b.reject(n, &text),
        }
    }
    b.finish(path)
}

/// A security log in sshd's words: `2024-05-06T09:00:00.123Z host process[pid]: Failed password for USER from
/// IP port P` (or `Accepted password …`); failures are `warn`. Fields: `host`, `process`, `pid`, `outcome`
/// (`failed`, `accepted`), `user`, `client`, `port`.
pub fn read_auth(path: impl AsRef<Path>) -> Result<Parsed> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\S+) ([\w.-]+)\[(\d+)\]: ((Failed|Accepted) password for (?:invalid user )?(\S+) from (\S+) port (\d+).*)$",
    );
    let path = path.as_ref();
    let mut b = Builder::new(
        "auth",
        &[
            ("host", false),
            ("process", false),
            ("pid", true),
            ("outcome", false),
            ("user", false),
            ("client", false),
            ("port", true),
        ],
    );
    for (n, text) in lines(path)? {
        let Some(c) = re.captures(&text) else {
            b.reject(n, &text);
            continue;
        };
        let Some(time) = millis(&c[1], "%Y-%m-%dT%H:%M:%S%.fZ") else {
            b.reject(n, &text);
            continue;
        };
        let outcome = c[6].to_ascii_lowercase();
        let level = if outcome == "failed" { "warn" } else { "info" };
        let get = |i: usize| c.get(i).map(|m| m.as_str());
        b.push(
            n,
            Some(time),
            level,
            c[5].to_string(),
            &[get(2), get(3), get(4), Some(&outcome), get(7), get(8), get(9)],
        );
    }
    b.finish(path)
}

/// MariaDB's general query log: one entry per connection, statement and quit; a statement over several lines
/// stays one entry. MariaDB writes a time only when the second changes: an entry without one has the time of the
/// entry before. A refused login (`Access denied`) is `warn`, the rest `info`. Fields: `thread`, `command`
/// (`Connect`, `Query`, `Quit`, …), `argument` (the statement, or who connected).
pub fn read_mariadb_general(path: impl AsRef<Path>) -> Result<Parsed> {
    static ENTRY: OnceLock<Regex> = OnceLock::new();
    static HEADER: OnceLock<Regex> = OnceLock::new();
    let entry = regex(&ENTRY, r"^(\d{6}\s+\d{1,2}:\d\d:\d\d)?\t\s*(\d+) (\w[\w ]*?)\t(.*)$");
    let header = regex(&HEADER, r"^(\S*mariadbd?, Version: .*|Tcp port: .*|Time\s+Id Command\s+Argument)$");
    let path = path.as_ref();
    let mut b = Builder::new("mariadb", &[("thread", true), ("command", false), ("argument", false)]);
    let mut last_time = None;
    for (n, text) in lines(path)? {
        if header.is_match(&text) {
            continue;
        }
        if let Some(c) = entry.captures(&text) {
            if let Some(t) = c.get(1) {
                let squeezed = t.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
                last_time = millis(&squeezed, "%y%m%d %H:%M:%S");
            }
            if last_time.is_some() {
                let argument = &c[4];
                let level = if argument.contains("Access denied") { "warn" } else { "info" };
                let message = format!("{} {argument}", &c[3]);
                b.push(n, last_time, level, message, &[Some(&c[2]), Some(&c[3]), Some(argument)]);
                continue;
            }
        } else if !b.line.is_empty() {
            // A statement's next line.
            b.extend_last(&text);
            if let Some((_, Field::Text(args))) = b.fields.last_mut()
                && let Some(Some(arg)) = args.last_mut()
            {
                arg.push('\n');
                arg.push_str(&redact(&text));
            }
            continue;
        }
        b.reject(n, &text);
    }
    b.finish(path)
}

/// PostgreSQL's server log with the stack's prefix (`%m [%p] %q%r %u@%d `, see `local::postgres`); lines with the
/// default prefix (`%m [%p] `) read too, without client, user and database. `DETAIL:`, `HINT:`, `STATEMENT:` and
/// `CONTEXT:` lines join the entry they explain. Fields: `pid`, `client`, `client_port`, `user`, `database`,
/// `severity` (PostgreSQL's own word: `LOG`, `FATAL`, …).
pub fn read_postgres(path: impl AsRef<Path>) -> Result<Parsed> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (\w+) \[(\d+)\] (?:([\w.:\[\]-]+?)(?:\((\d+)\))? (\S*?)@(\S*?) )?([A-Z][A-Z0-9]*):  (.*)$",
    );
    let path = path.as_ref();
    let mut b = Builder::new(
        "postgres",
        &[
            ("pid", true),
            ("client", false),
            ("client_port", true),
            ("user", false),
            ("database", false),
            ("severity", false),
        ],
    );
    for (n, text) in lines(path)? {
        if let Some(c) = re.captures(&text) {
            let severity = &c[8];
            if matches!(severity, "DETAIL" | "HINT" | "STATEMENT" | "CONTEXT" | "QUERY")
                && b.extend_last(&format!("{severity}: {}", &c[9]))
            {
                continue;
            }
            let level = match severity {
                s if s.starts_with("DEBUG") => Some("debug"),
                "LOG" | "INFO" | "NOTICE" => Some("info"),
                "WARNING" => Some("warn"),
                "ERROR" => Some("error"),
                "FATAL" | "PANIC" => Some("fatal"),
                _ => None,
            };
            let time = millis(&c[1], "%Y-%m-%d %H:%M:%S%.f");
            if let (Some(level), Some(time)) = (level, time.filter(|_| matches!(&c[2], "UTC" | "GMT"))) {
                let known = |i: usize| c.get(i).map(|m| m.as_str()).filter(|s| !s.is_empty() && *s != "[unknown]");
                let values = [Some(&c[3]), known(4), known(5), known(6), known(7), Some(severity)];
                b.push(n, Some(time), level, c[9].to_string(), &values);
                continue;
            }
        } else if text.starts_with('\t') && b.extend_last(text.trim_start()) {
            continue;
        }
        b.reject(n, &text);
    }
    b.finish(path)
}

/// The common columns (`time`, `level`, `source`, `message`) of several parsed logs in one table, in time order.
pub fn combine(logs: &[&DataFrame]) -> Result<DataFrame> {
    use polars::prelude::{IntoLazy, SortMultipleOptions, UnionArgs};
    let what = "combine logs";
    let mut frames = Vec::new();
    for (i, df) in logs.iter().enumerate() {
        let sel = df.select(["time", "level", "source", "message"]).map_err(|e| {
            Error::new(ErrorKind::Input, what, format!("table {i} is not a parsed log: {e}"))
                .hint("pass the `rows` of what logs::read_… returned")
        })?;
        frames.push(sel.lazy());
    }
    if frames.is_empty() {
        return Err(Error::new(ErrorKind::Input, what, "no logs given"));
    }
    polars::prelude::concat(frames, UnionArgs::default())
        .and_then(|lf| lf.sort(["time"], SortMultipleOptions::default().with_maintain_order(true)).collect())
        .map_err(|e| Error::new(ErrorKind::Input, what, e.to_string()))
}
