//! The library's own tokio runtime, where every database and AWS call runs.
//!
//! Every helper is a plain blocking call: it runs its async work (sqlx, the AWS SDKs) on this one runtime and
//! returns when the answer is there. So a notebook cell never needs `.await`, and a script's `main` needs no runtime
//! of its own. The runtime is made on first use and lives as long as the process: connection pools and SDK clients
//! made by one call keep their background tasks and connections for the next.
//!
//! A caller already inside some other tokio runtime (a script with `#[tokio::main]`) may call the helpers too:
//! the work then runs on a helper thread that waits on our runtime, so it never blocks the caller's executor.
//!
//! **Interrupts.** In the kernel, Kernel → Interrupt cancels the call a cell waits for: [`interrupt`] wakes every
//! [`block_on`] that started in the current cell ([`begin_cell`]), which drops the call's future (the request, the
//! query, the drain) and answers [`ErrorKind::Interrupted`]; calls made later in the same cell are refused at once.
//! Pools, clients and the values earlier cells keep are untouched. Outside the kernel nothing ever interrupts.
//!
//! **Progress lines** ([`progress`]) go to standard output in a script; the kernel sends them to the cell that
//! asked for the work ([`set_progress_sink`]).

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind, Result};

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("sourcelab-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::new(ErrorKind::Setup, "start the tokio runtime", e.clone()))
}

/// How many interrupts there have been (the kernel's Kernel → Interrupt).
fn interrupts() -> &'static tokio::sync::watch::Sender<u64> {
    static INTERRUPTS: OnceLock<tokio::sync::watch::Sender<u64>> = OnceLock::new();
    INTERRUPTS.get_or_init(|| tokio::sync::watch::channel(0).0)
}

/// The interrupt count when the current cell started; `NEVER` outside the kernel.
static ARMED: AtomicU64 = AtomicU64::new(NEVER);
const NEVER: u64 = u64::MAX;

/// The kernel starts a cell: calls from now on can be interrupted, and an earlier interrupt no longer counts.
pub fn begin_cell() {
    ARMED.store(*interrupts().borrow(), Ordering::SeqCst);
}

/// Kernel → Interrupt: every call of the current cell ends now with [`ErrorKind::Interrupted`], and so does every
/// call the cell makes after this, until the next [`begin_cell`].
pub fn interrupt() {
    interrupts().send_modify(|n| *n = n.wrapping_add(1) % NEVER);
}

fn interrupted() -> Error {
    Error::new(ErrorKind::Interrupted, "wait for the answer", "interrupted (Kernel → Interrupt)")
        .hint("the call was cancelled; every variable, pool and client is kept: run the cell again when ready")
}

/// Runs `fut` to completion on the library's runtime and returns what it returned.
pub(crate) fn block_on<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = runtime()?;
    let armed = ARMED.load(Ordering::SeqCst);
    let run = async move {
        if armed == NEVER {
            return Ok(fut.await);
        }
        let mut rx = interrupts().subscribe();
        if *rx.borrow_and_update() != armed {
            return Err(interrupted());
        }
        tokio::select! {
            out = fut => Ok(out),
            _ = rx.wait_for(|n| *n != armed) => Err(interrupted()),
        }
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return rt.block_on(run);
    }
    // Inside a runtime (the caller's, or ours when one helper calls another): tokio refuses to block there, so a
    // scoped thread waits instead.
    std::thread::scope(|s| s.spawn(|| rt.block_on(run)).join())
        .map_err(|_| Error::new(ErrorKind::Setup, "run a database or AWS call", "the call panicked"))?
}

/// [`block_on`] for the usual case, a future that returns a [`Result`].
pub(crate) fn wait<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    block_on(fut)?
}

/// Sleeps `d` on the library's runtime: an interrupt ends the sleep (and the loop around it) at once.
pub(crate) fn pause(d: std::time::Duration) -> Result<()> {
    block_on(async move { tokio::time::sleep(d).await })
}

/// Starts `fut` on the library's runtime without waiting for it (a statement a session sends while another
/// session holds the lock it needs); the handle gives its result later.
pub(crate) fn spawn<F>(fut: F) -> Result<tokio::task::JoinHandle<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(runtime()?.spawn(fut))
}

type Sink = Box<dyn Fn(&str) + Send + Sync>;

fn sink() -> &'static OnceLock<Sink> {
    static SINK: OnceLock<Sink> = OnceLock::new();
    &SINK
}

/// Where progress lines go instead of standard output: the kernel sends them to the cell that asked (set once per
/// process; later calls change nothing).
pub fn set_progress_sink(f: impl Fn(&str) + Send + Sync + 'static) {
    let _ = sink().set(Box::new(f));
}

/// A progress line (`"orders: 400/1000 sent"`): printed by a script, shown under the cell in a notebook.
pub(crate) fn progress(line: &str) {
    match sink().get() {
        Some(f) => f(line),
        None => println!("{line}"),
    }
}
