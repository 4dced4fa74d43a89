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
//! | [`s3`] | S3, object storage |
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

pub mod config;
pub mod dynamo;
pub mod error;
pub mod frame;
pub mod kernel;
pub mod local;
pub mod s3;
pub mod sql;

pub use error::{Error, ErrorKind, Result};

/// What notebooks import: `use sourcelab::prelude::*;` (the kernel does it for you).
pub mod prelude {
    pub use crate::config::{DbConfig, EnvFile, Secret, load as load_env};
    pub use crate::error::{Error, ErrorKind, Result};
    pub use crate::frame::{DataFrame, HtmlTable};
    pub use crate::sql::Db;
    pub use crate::{dynamo, s3};
}

/// The top of the sourcelab checkout: `$SOURCELAB_HOME`, else the folder this crate was built from.
pub fn home() -> std::path::PathBuf {
    match std::env::var_os("SOURCELAB_HOME") {
        Some(h) if !h.is_empty() => h.into(),
        _ => env!("CARGO_MANIFEST_DIR").into(),
    }
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

/// Runs a future to completion on a fresh runtime in its own thread, so sync code (the CLI, `up`) can call async
/// drivers even when it is itself called from inside a runtime.
pub(crate) fn block_on<F>(fut: F) -> Result<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().map(|rt| rt.block_on(fut))
    })
    .join()
    .map_err(|_| Error::new(ErrorKind::Setup, "run a background task", "the task panicked"))?
    .map_err(|e| Error::new(ErrorKind::Setup, "start a tokio runtime", e.to_string()))
}
