//! The client side of the boundary: calls into the library, which lives in the kernel's own process.
//!
//! The kernel (`sourcelab kernel launch`) links the library: one tokio runtime, one pool per database, one client
//! per endpoint, and every value a handle names. Cells run in evcxr's engine process, a child of the kernel; the
//! kernel passes it `SOURCELAB_SOCKET`, a Unix socket in a folder only its user can open, and every call is one
//! frame each way on it: a big-endian `u32` length, then JSON (`{"call": name, "args": {…}}` out, `{"ok": …}` or
//! `{"err": …}` back, see [`crate::wire`]). A round trip costs tens of microseconds; a cell costs a compile.
//!
//! Because the values stay in the kernel, a crash or a restart of the engine loses the cells' variables but no
//! connection, and Kernel → Interrupt cancels a call the kernel is running instead of killing the process that
//! waits for it.
//!
//! evcxr links this crate into every cell, so each cell has its own copy of the connection below; each copy
//! connects on its first call (and checks that the kernel was built from the same sources, [`PROTOCOL`]).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};
use crate::wire::PROTOCOL;

/// The environment variable naming the kernel's socket.
pub const SOCKET_VAR: &str = "SOURCELAB_SOCKET";

fn setup_error(cause: impl Into<String>) -> Error {
    Error::new(ErrorKind::Setup, "reach the sourcelab library in the kernel", cause)
        .hint("pick the kernel \"Rust (sourcelab)\" (Kernel → Change Kernel); if it is the one, restart it")
}

/// Whether this process is the engine process of a sourcelab kernel, where cells run (evcxr marks it with
/// `EVCXR_IS_RUNTIME`): there a cell's returned error or panic is reported to the kernel, which shows it.
pub fn in_engine() -> bool {
    std::env::var_os("EVCXR_IS_RUNTIME").is_some() && std::env::var_os(SOCKET_VAR).is_some_and(|p| !p.is_empty())
}

fn connect() -> Result<UnixStream> {
    let path = std::env::var_os(SOCKET_VAR)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| setup_error(format!("{SOCKET_VAR} is not set: this code does not run in a sourcelab kernel")))?;
    let shown = std::path::Path::new(&path).display().to_string();
    let mut stream = UnixStream::connect(&path).map_err(|e| setup_error(format!("{shown}: {e}")))?;
    let hello = exchange(&mut stream, "hello", json!({ "protocol": PROTOCOL }))
        .map_err(|e| setup_error(format!("{shown}: {e}")))?;
    if let Some(err) = hello.get("err") {
        return Err(Error::from_json(err));
    }
    Ok(stream)
}

/// One frame out, one frame back.
fn exchange(stream: &mut UnixStream, name: &str, args: Value) -> std::io::Result<Value> {
    let body = json!({ "call": name, "args": args }).to_string().into_bytes();
    let len = u32::try_from(body.len()).map_err(|_| std::io::Error::other("the arguments are larger than 4 GiB"))?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(&body)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut reply)?;
    serde_json::from_slice(&reply).map_err(std::io::Error::other)
}

/// Calls `name` in the library with `args`; the library's answer, or its error.
pub fn call(name: &str, args: Value) -> Result<Value> {
    static CONNECTION: Mutex<Option<UnixStream>> = Mutex::new(None);
    let mut guard = CONNECTION.lock().unwrap_or_else(|p| p.into_inner());
    if guard.is_none() {
        *guard = Some(connect()?);
    }
    let Some(stream) = guard.as_mut() else { return Err(setup_error("no connection")) };
    let mut reply = match exchange(stream, name, args) {
        Ok(reply) => reply,
        Err(e) => {
            // A broken connection is not kept: the next call connects again.
            *guard = None;
            return Err(setup_error(format!("the call {name} got no answer ({e})")));
        }
    };
    match reply.get("err") {
        Some(err) => Err(Error::from_json(err)),
        None => Ok(reply["ok"].take()),
    }
}

/// A value that stays in the library; dropping the last clone frees it there.
#[derive(Debug)]
pub(crate) struct Handle(u64);

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = call("free", json!({ "handle": self.0 }));
    }
}

/// A shared handle, as the library answered it: `{"handle": n, …}`.
pub(crate) type Shared = Arc<Handle>;

pub(crate) fn handle(reply: &Value) -> Result<Shared> {
    reply["handle"]
        .as_u64()
        .map(|n| Arc::new(Handle(n)))
        .ok_or_else(|| setup_error(format!("expected a handle, the library answered {reply}")))
}

/// The handle's number, for passing it back in a call's arguments.
pub(crate) fn id(h: &Shared) -> u64 {
    h.0
}

/// A call's answer read back as the type the library's item returns (the library side is its `Reply`): plain
/// data from JSON, a kept value from its handle. An answer of another shape is an error, never a default.
pub(crate) trait FromReply: Sized {
    fn from_reply(v: Value) -> Result<Self>;
}

/// An answer that is not what the call returns.
pub(crate) fn unexpected(expected: &str, got: &Value) -> Error {
    let mut shown = got.to_string();
    if shown.len() > 200 {
        shown.truncate(shown.floor_char_boundary(200));
        shown.push('…');
    }
    setup_error(format!("expected {expected}, the library answered {shown}"))
        .hint("the library and the notebook crate differ: run `cargo build` and `sourcelab kernel install`, then restart the kernel")
}

macro_rules! from_json_reply {
    ($($ty:ty: $what:literal),*) => {$(
        impl FromReply for $ty {
            fn from_reply(v: Value) -> Result<Self> {
                serde_json::from_value(v.clone()).map_err(|_| unexpected($what, &v))
            }
        }
    )*};
}

from_json_reply!(
    (): "nothing",
    bool: "true or false",
    String: "a text",
    Vec<String>: "a list of texts",
    u32: "a whole number",
    u64: "a whole number",
    usize: "a whole number",
    f64: "a number",
    Vec<u64>: "a list of counts",
    std::collections::HashMap<String, String>: "texts by name",
    std::path::PathBuf: "a path",
    Vec<(String, Value)>: "a list of names and values",
    (String, u16): "a host and a port",
    Vec<(String, usize)>: "a list of keys and line numbers"
);

impl<T: FromReply> FromReply for Option<T> {
    fn from_reply(v: Value) -> Result<Option<T>> {
        if v.is_null() { Ok(None) } else { T::from_reply(v).map(Some) }
    }
}

impl FromReply for Vec<u8> {
    fn from_reply(v: Value) -> Result<Vec<u8>> {
        crate::wire::bytes_from_json(&v)
    }
}

impl FromReply for crate::values::Secret {
    fn from_reply(v: Value) -> Result<Self> {
        match v.as_str() {
            Some(text) => Ok(crate::values::Secret::new(text)),
            None => Err(unexpected("a password", &v)),
        }
    }
}

impl FromReply for crate::config::DbConfig {
    fn from_reply(v: Value) -> Result<Self> {
        crate::config::DbConfig::from_json(&v)
    }
}

impl FromReply for Vec<(String, Vec<u8>)> {
    fn from_reply(v: Value) -> Result<Self> {
        let files = v.as_array().ok_or_else(|| unexpected("a list of files", &v))?;
        files.iter().map(|f| Ok((text(&f[0]), crate::wire::bytes_from_json(&f[1])?))).collect()
    }
}

impl FromReply for Value {
    fn from_reply(v: Value) -> Result<Value> {
        Ok(v)
    }
}

/// The text of a reply (`""` when it is not a string).
pub(crate) fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// A list of strings from a reply.
pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default()
}

/// For helpers whose library counterpart cannot fail: the library's answer, or (when the library cannot be
/// reached at all, which the first call of a notebook already reported) a fallback after printing why.
pub(crate) fn or_report<T>(result: Result<T>, fallback: T) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        fallback
    })
}
