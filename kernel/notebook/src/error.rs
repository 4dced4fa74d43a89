//! The one public error type, shared by the library and the notebook crate.
//!
//! A learner sees an error through its `Display` only, so every error says three things on
//! its own: **what failed** (the operation and the thing it touched: a file and line, a table, a bucket, an env
//! var), **why** in one line, and **what to do next**. The underlying error (an SDK or driver error) stays
//! reachable through [`std::error::Error::source`] for code that wants the whole chain.
//!
//! The type lives here, in the thin crate, so that an error made in the library crosses the notebook boundary as
//! exactly the same value: kind, what, cause and hint travel as JSON ([`Error::to_json`], [`Error::from_json`]),
//! and Display is the same text on both sides. (The underlying driver or SDK error stays in the library.)
//!
//! ```
//! use sourcelab_notebook::{Error, ErrorKind};
//! let err = Error::new(ErrorKind::Config, "read env file .env", "no such file")
//!     .hint("run `sourcelab up`, which writes it");
//! assert_eq!(err.kind(), ErrorKind::Config);
//! assert_eq!(
//!     err.to_string(),
//!     "read env file .env: no such file\n  hint: run `sourcelab up`, which writes it"
//! );
//! ```

use std::fmt;

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is, for code that wants to react to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An env file or setting is missing or malformed.
    Config,
    /// Bad input given to a helper (an identifier, a file's content, an argument).
    Input,
    /// A file or folder could not be read or written.
    Io,
    /// The thing asked for does not exist (table, bucket, key, file).
    NotFound,
    /// A server could not be reached: refused, timed out, name not resolved.
    Connect,
    /// The server reached rejected the credentials.
    Auth,
    /// The server answered with an error (SQL error, AWS error).
    Service,
    /// Something did not finish within its time limit.
    Timeout,
    /// A local-stack program is missing or did not start.
    Setup,
    /// Stopped on request (Kernel → Interrupt) before it finished.
    Interrupted,
}

/// The error of every fallible sourcelab function.
///
/// Its `Display` is `"<what failed>: <cause>"`, followed by `"\n  hint: <what to do>"` when there is a hint.
pub struct Error {
    kind: ErrorKind,
    what: String,
    cause: String,
    hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error: `what` names the failed operation and its object, `cause` says why in one line.
    pub fn new(kind: ErrorKind, what: impl Into<String>, cause: impl Into<String>) -> Self {
        Error { kind, what: what.into(), cause: one_line(&cause.into()), hint: None, source: None }
    }

    /// Adds (or replaces) the hint: the next thing to do or check.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Keeps the underlying error as [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The error's category.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The failed operation and its object, e.g. `"connect to MariaDB at 127.0.0.1:3307"`.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Why it failed, in one line.
    pub fn cause(&self) -> &str {
        &self.cause
    }

    /// What to do next, when known.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Wraps an I/O error on `path`; `action` is a verb phrase like `"read"` or `"create folder"`.
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        let kind = if err.kind() == std::io::ErrorKind::NotFound { ErrorKind::NotFound } else { ErrorKind::Io };
        let hint = match err.kind() {
            std::io::ErrorKind::PermissionDenied => Some("check the file's owner and permissions"),
            std::io::ErrorKind::NotFound => Some("check the path (relative paths start at the current folder)"),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                Some("the disk is full: free space on it (`df -h` shows which disk), then try again")
            }
            _ => None,
        };
        let e = Error::new(kind, format!("{action} {}", path.display()), err.to_string());
        let e = match hint {
            Some(h) => e.hint(h),
            None => e,
        };
        e.with_source(err)
    }
}

impl ErrorKind {
    /// Every kind, for reading one back by name.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Config,
        ErrorKind::Input,
        ErrorKind::Io,
        ErrorKind::NotFound,
        ErrorKind::Connect,
        ErrorKind::Auth,
        ErrorKind::Service,
        ErrorKind::Timeout,
        ErrorKind::Setup,
        ErrorKind::Interrupted,
    ];

    /// The kind's name, as `Debug` prints it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}

impl Error {
    /// The error as JSON (`kind`, `what`, `cause`, `hint`), to cross the notebook boundary.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"kind": self.kind.name(), "what": self.what, "cause": self.cause, "hint": self.hint})
    }

    /// The error [`Error::to_json`] wrote; an unknown kind reads as `Service`.
    pub fn from_json(v: &serde_json::Value) -> Error {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let kind = ErrorKind::ALL.into_iter().find(|k| v["kind"] == k.name().as_str()).unwrap_or(ErrorKind::Service);
        Error {
            kind,
            what: text("what"),
            cause: text("cause"),
            hint: v["hint"].as_str().map(str::to_string),
            source: None,
        }
    }
}

/// Keeps a cause on one line: learners read it in a notebook output.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(line);
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.cause)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Debug shows the same text as Display plus the kind, so `unwrap()` and `{:?}` in a notebook stay readable.
///
/// The alternate form, `{:#?}`, is how evcxr prints an error that a cell returned with `?`. In a sourcelab kernel
/// it hands the error to the kernel instead ([`Error::to_json`]), which shows it as the cell's error — kind, first
/// line, the whole text with the hint — and stops Run All there; it prints nothing itself, so the text is not
/// shown twice. Elsewhere it writes the same text as Display.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            if crate::client::in_engine() && crate::client::call("cell.error", self.to_json()).is_ok() {
                return Ok(());
            }
            return write!(f, "{self}");
        }
        write!(f, "{self} [{:?}]", self.kind)
    }
}

/// `?` on a file operation in a cell or a script: the I/O error, kept as the source. (A helper that knows the path
/// says it, with [`Error::io`].)
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = if e.kind() == std::io::ErrorKind::NotFound { ErrorKind::NotFound } else { ErrorKind::Io };
        Error::new(kind, "read or write a file", e.to_string())
            .hint("check the path (relative paths start in the notebook's folder) and its permissions")
            .with_source(e)
    }
}

/// `?` on `"10.0.2.10".parse::<Ipv4Addr>()` in a cell or a script.
impl From<std::net::AddrParseError> for Error {
    fn from(e: std::net::AddrParseError) -> Self {
        Error::new(ErrorKind::Input, "read an IP address", e.to_string())
            .hint("write four numbers 0–255 separated by dots, e.g. `10.0.2.10` (a block adds `/24`)")
            .with_source(e)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_the_cause_on_one_line() {
        let e = Error::new(ErrorKind::Service, "query MariaDB", "line one\n\n  line two  ");
        assert_eq!(e.to_string(), "query MariaDB: line one; line two");
    }

    #[test]
    fn io_not_found_is_not_found_with_a_hint() {
        let err = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let e = Error::io("read", std::path::Path::new("data/x.csv"), err);
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().starts_with("read data/x.csv: No such file or directory\n  hint: check the path"));
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn json_round_trip_keeps_kind_what_cause_and_hint() {
        for kind in ErrorKind::ALL {
            let e = Error::new(kind, "connect to MariaDB at 127.0.0.1:1", "refused").hint("is `sourcelab up` running?");
            let back = Error::from_json(&e.to_json());
            assert_eq!((back.kind(), back.to_string()), (kind, e.to_string()));
        }
        let no_hint = Error::from_json(&Error::new(ErrorKind::Io, "read x", "gone").to_json());
        assert_eq!(no_hint.hint_text(), None);
    }
}
