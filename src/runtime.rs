//! The library's own tokio runtime, where every database and AWS call runs.
//!
//! Every helper is a plain blocking call: it runs its async work (sqlx, the AWS SDKs) on this one runtime and
//! returns when the answer is there. So a notebook cell never needs `.await`, and a script's `main` needs no runtime
//! of its own. The runtime is made on first use and lives as long as the process: connection pools and SDK clients
//! made by one call keep their background tasks and connections for the next.
//!
//! A caller already inside some other tokio runtime (a script with `#[tokio::main]`) may call the helpers too:
//! the work then runs on a helper thread that waits on our runtime, so it never blocks the caller's executor.

use std::future::Future;

use crate::error::{Error, ErrorKind, Result};

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        std::sync::OnceLock::new();
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

/// Runs `fut` to completion on the library's runtime and returns what it returned.
pub(crate) fn block_on<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(rt.block_on(fut));
    }
    // Inside a runtime (the caller's, or ours when one helper calls another): tokio refuses to block there, so a
    // scoped thread waits instead.
    std::thread::scope(|s| s.spawn(|| rt.block_on(fut)).join())
        .map_err(|_| Error::new(ErrorKind::Setup, "run a database or AWS call", "the call panicked"))
}

/// [`block_on`] for the usual case, a future that returns a [`Result`].
pub(crate) fn wait<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    block_on(fut)?
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
