//! # sourcelab — source systems from Rust notebooks
//!
//! A teaching kit for data engineers: the labs of the DeepLearning.AI Data Engineering course (Course 2, Week 1),
//! in Rust, against real local services instead of an AWS account. One module per source system:
//!
//! | module | what it teaches |
//! |---|---|
//! | [`config`] | env files, connection URLs, secrets that never print |
//! | [`sql`] | relational databases (MariaDB / MySQL, PostgreSQL): query results as DataFrames |
//! | [`dynamo`] | DynamoDB, a key-value / document store |
//! | [`marshal`] | DynamoDB JSON ↔ plain JSON, exact numbers |
//! | [`doctor`] | why a database or an S3 object cannot be reached, one layer at a time |
//! | [`net`] | IPv4 CIDR blocks: VPCs, subnets, routes (lab 4's primer) |
//! | [`s3`] | S3, object storage |
//! | [`ratings`] | lab 3's generated data: the ratings CSV, a JSON record, two images |
//! | [`frame`] | DataFrames as HTML tables in notebooks |
//! | [`local`] | the local stack: MariaDB, PostgreSQL and moto (S3, DynamoDB, …) started on this machine |
//! | [`kernel`] | the Rust kernel for JupyterLab and headless notebook runs |
//!
//! Every helper a notebook calls is `async` and returns an owned, concrete value, so a notebook cell is one line
//! that ends in `.await?`. Errors are one type, [`Error`], whose message says what failed and what to do.
//!
//! ```no_run
//! use sourcelab::prelude::*;
//! # async fn demo() -> sourcelab::Result<()> {
//! let env = load_env()?;                       // .env, written by `sourcelab up`
//! let db = Db::connect_mysql(&env).await?;     // MariaDB from the local stack
//! let versions = db.query("SELECT VERSION() AS version").await?;
//! println!("{versions}");
//! # Ok(()) }
//! ```

pub mod check;
pub mod config;
pub mod doctor;
pub mod dynamo;
pub mod error;
pub mod exercises;
pub mod frame;
pub mod kernel;
pub mod lab4;
pub mod local;
pub mod marshal;
pub mod net;
pub mod ratings;
pub mod rentio;
pub mod s3;
pub mod sakila;
pub mod sql;
pub mod vpc;

pub use error::{Error, ErrorKind, Result};

/// What notebooks import: `use sourcelab::prelude::*;` (the kernel does it for you).
pub mod prelude {
    pub use crate::Progress;
    pub use crate::check;
    pub use crate::config::{DbConfig, EnvFile, Secret, load as load_env};
    pub use crate::dynamo::{Dynamo, TableSpec};
    pub use crate::error::{Error, ErrorKind, Result};
    pub use crate::frame::{DataFrame, HtmlTable, Png};
    pub use crate::lab4::Lab4;
    pub use crate::net::Cidr;
    pub use crate::s3::S3;
    pub use crate::sql::{Db, SqlValue};
    pub use crate::{doctor, dynamo, lab4, marshal, ratings, s3};
    pub use serde_json::{Value as Json, json};
    pub use std::time::Duration;
}

/// How long-running helpers (batch writes, large transfers) report progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Say nothing.
    Quiet,
    /// Print a line at every tenth of the work (and at the end).
    Print,
}

/// The top of the sourcelab checkout: `$SOURCELAB_HOME`; else the checkout that holds the current folder (one
/// binary in a shared build folder can serve several clones); else the folder this crate was built from.
pub fn home() -> std::path::PathBuf {
    if let Some(h) = std::env::var_os("SOURCELAB_HOME").filter(|h| !h.is_empty()) {
        return h.into();
    }
    let is_checkout =
        |d: &std::path::Path| d.join("kernel").join("init.evcxr").is_file() && d.join("Cargo.toml").is_file();
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.ancestors().find(|d| is_checkout(d)).map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// The cache outside the checkout (the kernel, its compile cache, build output), shared by every clone:
/// `$SOURCELAB_CACHE`, else `$XDG_CACHE_HOME/sourcelab`, else `~/.cache/sourcelab`.
pub fn cache_dir() -> std::path::PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    var("SOURCELAB_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("sourcelab")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("sourcelab")))
        .unwrap_or_else(|| std::env::temp_dir().join("sourcelab-cache"))
}

/// A stable 32-bit FNV-1a hash, for short unique names derived from paths.
pub(crate) fn short_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// The library's own tokio runtime, where every database and AWS call runs.
///
/// Helpers are `async` so cells can `.await` them on whatever executor the notebook kernel provides, but the work
/// itself (connection pools, their background tasks, SDK clients) always runs here. A pool made in one cell then
/// keeps working in the next, and no helper depends on which tokio instance the caller's runtime belongs to.
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

/// Runs `fut` on the library's runtime and waits for it from the caller's executor.
pub(crate) async fn on_runtime<T, F>(fut: F) -> Result<T>
where
    F: std::future::Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    runtime()?
        .spawn(fut)
        .await
        .map_err(|e| Error::new(ErrorKind::Setup, "run a database or AWS call", format!("the task failed: {e}")))?
}

/// The AWS SDK client for `key`, made by `make` once per copy of this library and reused after.
///
/// Why per copy: the notebook kernel links a fresh copy of the library (and of tokio and the SDK) into every cell,
/// each with its own statics and its own tokio runtime. An SDK client keeps parts of the copy that made it (its
/// timer and HTTP connector call *that* copy of tokio), so a client made in one cell panics with "no reactor
/// running" when a later cell's runtime drives it. Helpers therefore never keep a client in a value that crosses
/// cells: they ask here, inside [`on_runtime`], and get the client of their own copy. Programs and tests have one
/// copy, so they make one client per settings and keep its connections.
pub(crate) async fn cached_client<C, F>(key: String, make: F) -> C
where
    C: Clone + Send + Sync + 'static,
    F: std::future::Future<Output = C>,
{
    use std::any::{Any, TypeId};
    use std::collections::HashMap;
    type Clients = std::sync::Mutex<HashMap<(TypeId, String), Box<dyn Any + Send + Sync>>>;
    static CLIENTS: std::sync::OnceLock<Clients> = std::sync::OnceLock::new();
    let clients = CLIENTS.get_or_init(Default::default);
    let id = (TypeId::of::<C>(), key);
    if let Some(c) = clients.lock().ok().and_then(|m| m.get(&id).and_then(|c| c.downcast_ref::<C>()).cloned()) {
        return c;
    }
    let client = make.await;
    if let Ok(mut m) = clients.lock() {
        m.insert(id, Box::new(client.clone()));
    }
    client
}

/// Runs a future to completion from sync code (the CLI, `up`), on the library's runtime.
pub(crate) fn block_on<F>(fut: F) -> Result<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime()?;
    // A separate thread, so this also works when the caller is itself inside a runtime.
    std::thread::spawn(move || rt.block_on(fut))
        .join()
        .map_err(|_| Error::new(ErrorKind::Setup, "run a background task", "the task panicked"))
}
