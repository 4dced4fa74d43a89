//! The client side of the boundary: the library, loaded once into the kernel's process, and calls into it.
//!
//! The kernel's launcher sets `SOURCELAB_LIBRARY` to `libsourcelab.so`, which the same `cargo build` as the
//! `sourcelab` command makes. Every cell links its own copy of this crate, but the operating system loads a shared
//! library once per process, so all cells talk to one library: one tokio runtime, one pool per database, one
//! client per endpoint, and every value a handle names, for as long as the kernel runs.

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};
use crate::wire::PROTOCOL;

type CallFn = unsafe extern "C" fn(*const u8, usize, *const u8, usize, *mut usize) -> *mut u8;
type FreeFn = unsafe extern "C" fn(*mut u8, usize);
type ProtocolFn = unsafe extern "C" fn() -> u64;

struct Library {
    call: CallFn,
    free: FreeFn,
    // Kept open for the process's life (dropping it would close the library under live handles).
    _lib: libloading::Library,
}

fn setup_error(cause: impl Into<String>) -> Error {
    Error::new(ErrorKind::Setup, "load the sourcelab library", cause)
        .hint("run `sourcelab kernel install` (after `cargo build` in the checkout), then run the cell again")
}

fn open() -> Result<Library> {
    let path = std::env::var_os("SOURCELAB_LIBRARY").filter(|p| !p.is_empty()).ok_or_else(|| {
        setup_error("SOURCELAB_LIBRARY is not set: this kernel was not started by `sourcelab kernel launch`")
            .hint("pick the kernel \"Rust (sourcelab)\" (`sourcelab kernel install` registers it)")
    })?;
    let shown = std::path::Path::new(&path).display().to_string();
    // SAFETY: the library is ours; loading it runs no initialisers beyond Rust's own.
    let lib = unsafe { libloading::Library::new(&path) }.map_err(|e| setup_error(format!("{shown}: {e}")))?;
    // SAFETY: the symbols have these signatures in `sourcelab::kernel::boundary`; the protocol check below
    // refuses a library built from other sources.
    unsafe {
        let shown = shown.as_str();
        let symbol = |name: &'static str| {
            move |e: libloading::Error| {
                setup_error(format!("{shown} is not sourcelab's library: no function {name} ({e})"))
            }
        };
        let protocol = *lib.get::<ProtocolFn>(b"sourcelab_protocol").map_err(symbol("sourcelab_protocol"))?;
        let theirs = protocol();
        if theirs != PROTOCOL {
            return Err(setup_error(format!(
                "{shown} was built from other sources than this kernel's notebook crate (protocol {theirs:016x}, \
                 expected {PROTOCOL:016x})"
            )));
        }
        let call = *lib.get::<CallFn>(b"sourcelab_call").map_err(symbol("sourcelab_call"))?;
        let free = *lib.get::<FreeFn>(b"sourcelab_free").map_err(symbol("sourcelab_free"))?;
        Ok(Library { call, free, _lib: lib })
    }
}

/// The library, opened on first use. A failure is not kept: once the cause is fixed (`sourcelab kernel install`),
/// the next call opens it without a kernel restart.
fn library() -> Result<&'static Library> {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    if let Some(lib) = LIBRARY.get() {
        return Ok(lib);
    }
    let lib = open()?;
    Ok(LIBRARY.get_or_init(|| lib))
}

/// Calls `name` in the library with `args`; the library's answer, or its error.
pub fn call(name: &str, args: Value) -> Result<Value> {
    let lib = library()?;
    let args = args.to_string();
    let mut len = 0usize;
    // SAFETY: both buffers live across the call; the library returns a buffer of `len` bytes that we hand back
    // to its own `free`.
    let reply = unsafe {
        let ptr = (lib.call)(name.as_ptr(), name.len(), args.as_ptr(), args.len(), &mut len);
        if ptr.is_null() {
            return Err(setup_error(format!("the call {name} returned nothing")));
        }
        let bytes = std::slice::from_raw_parts(ptr, len).to_vec();
        (lib.free)(ptr, len);
        bytes
    };
    let mut reply: Value =
        serde_json::from_slice(&reply).map_err(|e| setup_error(format!("the answer to {name} is not JSON ({e})")))?;
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
