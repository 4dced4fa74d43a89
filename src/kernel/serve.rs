//! The kernel's side of the notebook boundary: the Unix socket through which cells call the library.
//!
//! The library lives in the kernel's process. evcxr runs cells in a child process (the engine), which finds the
//! socket in `SOURCELAB_SOCKET`; each copy of the notebook crate there connects once and sends one frame per call
//! (see `sourcelab_notebook::client`). Each connection is served by a thread of its own, which runs the call
//! ([`super::boundary::answer`]) and writes the answer back. The socket sits in a folder only the kernel's user can
//! open, so on a shared server one learner's cells never reach another learner's library.
//!
//! Besides the library's calls, the engine reports here what the kernel needs to judge a cell ([`CellReport`]):
//! that it began running the cell's code, that the cell failed (`?` or a panic, seen by the engine's output
//! watcher, [`super::child`]), and the error or panic itself.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};

/// How a cell failed, as the engine's output watcher saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The cell returned an error with `?`.
    Returned,
    /// The cell panicked.
    Panicked,
}

/// What the engine reported about the cell now running; reset when a cell starts.
#[derive(Debug, Default)]
pub(crate) struct CellReport {
    /// The cell failed.
    pub failed: Option<Failure>,
    /// The sourcelab error the cell returned with `?` (`kind`, `what`, `cause`, `hint`).
    pub error: Option<Value>,
    /// A panic: its message and where.
    pub panic: Option<(String, String)>,
    /// When the engine began running the cell's code (after compiling it).
    pub running_since: Option<Instant>,
    /// Blank lines still to drop from the engine's stderr: evcxr prints each returned error with `{:#?}`, which
    /// for our error writes nothing (the kernel shows it as the cell's error), so a bare newline follows.
    pub swallow_blank: u32,
}

static CELL: Mutex<CellReport> =
    Mutex::new(CellReport { failed: None, error: None, panic: None, running_since: None, swallow_blank: 0 });

/// The report of the cell now running.
pub(crate) fn cell() -> MutexGuard<'static, CellReport> {
    CELL.lock().unwrap_or_else(|p| p.into_inner())
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How many library calls are running now.
pub(crate) fn calls_in_flight() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

/// The socket, listening; dropping it removes its folder.
#[derive(Debug)]
pub(crate) struct Server {
    dir: PathBuf,
}

impl Server {
    /// Binds the socket at `socket` (in a folder [`private_dir`] made) and serves it on background threads.
    pub(crate) fn start(socket: &Path) -> Result<Server> {
        let dir = socket.parent().map(Path::to_path_buf).unwrap_or_default();
        let listener = UnixListener::bind(socket).map_err(|e| Error::io("listen on", socket, e))?;
        std::thread::Builder::new()
            .name("sourcelab-calls".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = std::thread::Builder::new().name("sourcelab-call".into()).spawn(move || serve(stream));
                }
            })
            .map_err(|e| Error::new(ErrorKind::Setup, "start the kernel's call server", e.to_string()))?;
        Ok(Server { dir })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new folder that only this user can enter, in the runtime folder (`$XDG_RUNTIME_DIR`) or the temp folder,
/// for a kernel's socket.
pub(crate) fn private_dir() -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    // Folders of kernels that were killed before they could remove theirs.
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let owner = name.strip_prefix("sourcelab-kernel-").and_then(|r| r.split('-').next()?.parse::<u32>().ok());
        if owner.is_some_and(|p| !crate::local::process::is_running(p, "sourcelab")) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = base.join(format!("sourcelab-kernel-{pid}-{nanos:08x}"));
    std::fs::DirBuilder::new().mode(0o700).create(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
    Ok(dir)
}

/// Serves one connection until the engine closes it.
fn serve(mut stream: UnixStream) {
    while let Ok(Some(request)) = read_frame(&mut stream) {
        let reply = match serde_json::from_slice::<Value>(&request) {
            Ok(request) => {
                let name = request["call"].as_str().unwrap_or_default();
                respond(name, &request["args"])
            }
            Err(e) => {
                let e = Error::new(ErrorKind::Input, "read a call from a cell", format!("not JSON: {e}"));
                json!({"err": e.to_json()})
            }
        };
        if write_frame(&mut stream, reply.to_string().as_bytes()).is_err() {
            break;
        }
    }
}

/// The answer to one call: the engine's reports, or a library call.
fn respond(name: &str, args: &Value) -> Value {
    match name {
        "hello" => match args["protocol"].as_u64() {
            Some(theirs) if theirs != sourcelab_notebook::wire::PROTOCOL => {
                let e = Error::new(
                    ErrorKind::Setup,
                    "connect a cell to the sourcelab library",
                    format!(
                        "the notebook crate was built from other sources than this kernel (protocol {theirs:016x}, \
                         expected {:016x})",
                        sourcelab_notebook::wire::PROTOCOL
                    ),
                )
                .hint("rebuild with `cargo build` in the checkout, then restart the kernel (Kernel → Restart)");
                json!({"err": e.to_json()})
            }
            _ => json!({"ok": {"protocol": sourcelab_notebook::wire::PROTOCOL, "version": env!("CARGO_PKG_VERSION")}}),
        },
        "cell.running" => {
            cell().running_since = Some(Instant::now());
            json!({"ok": null})
        }
        "cell.failed" => {
            let how = if args["how"] == "panic" { Failure::Panicked } else { Failure::Returned };
            cell().failed.get_or_insert(how);
            json!({"ok": null})
        }
        "cell.error" => {
            let mut report = cell();
            report.error = Some(args.clone());
            report.swallow_blank += 1;
            json!({"ok": null})
        }
        "cell.panic" => {
            let text = |k: &str| args[k].as_str().unwrap_or_default().to_string();
            cell().panic.get_or_insert((text("message"), text("at")));
            json!({"ok": null})
        }
        _ => {
            IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
            let reply = super::boundary::answer(name, args);
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            reply
        }
    }
}

/// The frames are a big-endian `u32` length and that many bytes. `None` at a clean end of the stream.
fn read_frame(stream: &mut UnixStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body)?;
    Ok(Some(body))
}

fn write_frame(stream: &mut UnixStream, body: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| std::io::Error::other("an answer larger than 4 GiB"))?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(body)
}
