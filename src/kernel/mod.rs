//! The Rust kernel "Rust (sourcelab)": our own Jupyter kernel on evcxr's engine, the library linked in.
//!
//! `sourcelab kernel launch` is what the kernelspec runs. It becomes `sourcelab kernel serve` ([`jupyter::serve`]):
//! the Jupyter protocol, the library (one tokio runtime, one pool per database, one AWS client per endpoint), and
//! evcxr's engine ([`engine`]), which compiles each Rust cell against the thin crate `sourcelab-notebook`
//! (`kernel/notebook/`) and runs it in a child process, the engine process ([`child`]). Cells call the library over
//! a Unix socket ([`serve`], [`boundary`], [`calls`]): the library's dependency graph (polars, sqlx, the AWS SDKs,
//! ~380 crates) never reaches a cell, so a cell compiles and links in a fraction of a second.
//!
//! ```text
//! JupyterLab / nbclient / jupyter console
//!         │  Jupyter messaging 5.3 (jupyter-protocol, jupyter-zmq-client)
//!         ▼
//! sourcelab kernel serve   errors, completion, %%sql, interrupt    ← the library lives here
//!    ├─ evcxr's engine (CommandContext): rust-analyzer, cargo
//!    │     └─ engine process: the cells' .so files and variables  ── calls over a Unix socket ──┐
//!    └─ %%sql cells that only show a result: run here, nothing compiled                   ◄─────┘
//! ```
//!
//! - **`kernel/init.evcxr`**: `:opt 0` (the notebook crate's code is glue; the work runs in the library, built
//!   normally), `:offline 1` (cells never touch the network), `:efmt {:#?}`, and the `:dep` on the notebook crate.
//! - **`kernel/prelude.rs`**: `use sourcelab_notebook::prelude::*;` and one `let` that connects to the library
//!   while the kernel starts, so rust-analyzer's first inference is not the first cell's.
//! - **A persistent work folder per running kernel** (`EVCXR_TMPDIR`): [`launch`] gives each kernel a numbered
//!   folder under the cache (`evcxr-work/0`, `1`, …) that no other running kernel uses, and keeps it, so a kernel
//!   finds the notebook crate built and starts in seconds.
//!
//! [`install`] writes the kernelspec and builds the notebook crate in the first work folder with visible progress.
//! Everything slow to rebuild lives outside the checkout ([`crate::cache_dir`]).

pub mod boundary;
pub mod browser;
mod calls;
pub mod child;
mod complete;
#[cfg(test)]
mod declare;
mod declared;
mod engine;
mod jupyter;
pub(crate) mod magic;
mod memory;
pub use calls::names as call_names;

/// The names of the calls generated from the library's items (`src/kernel/declare.rs`): `tests/boundary.rs` makes each one.
pub fn declared_call_names() -> impl Iterator<Item = &'static str> {
    declared::DECLARED.iter().map(|(name, _)| *name)
}
pub mod report;
mod serve;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::local::{Stack, process, venv};

/// The evcxr version the kernel is built on (pinned in Cargo.toml).
pub const EVCXR_VERSION: &str = "0.22.0";
/// The kernel's name in Jupyter.
pub const KERNEL_NAME: &str = "sourcelab";
/// The name JupyterLab shows for it (`kernel/kernel.json`'s `display_name`).
pub const KERNEL_DISPLAY_NAME: &str = "Rust (sourcelab)";

/// The folder of the kernel's own files (`init.evcxr`, `prelude.rs`, `kernel.json`, the notebook crate):
/// `$SOURCELAB_KERNEL_DIR` (a class shares one read-only copy among its learners), else `kernel/` in the checkout.
pub fn kernel_dir() -> PathBuf {
    match std::env::var_os("SOURCELAB_KERNEL_DIR") {
        Some(d) if !d.is_empty() => d.into(),
        _ => crate::home().join("kernel"),
    }
}

/// `init.evcxr` as the engine runs it: the notebook crate named by its path in `kernel`.
pub(crate) fn render_init(kernel: &Path) -> Result<String> {
    render(&kernel.join("init.evcxr"), &[("{{SOURCELAB_KERNEL}}", &kernel.to_string_lossy())])
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| "cargo".into())
}

/// The evcxr config folder `install` writes (init.evcxr and prelude.rs with this checkout's path).
pub fn config_dir(stack: &Stack) -> PathBuf {
    stack.state_dir().join("kernel").join("evcxr")
}

/// The kernelspec folder inside the venv, where the venv's Jupyter finds it.
pub fn kernelspec_dir(stack: &Stack) -> PathBuf {
    venv::dir(stack).join("share").join("jupyter").join("kernels").join(KERNEL_NAME)
}

fn render(template: &Path, pairs: &[(&str, &str)]) -> Result<String> {
    let mut text = std::fs::read_to_string(template).map_err(|e| Error::io("read", template, e))?;
    for (k, v) in pairs {
        text = text.replace(k, v);
    }
    Ok(text)
}

/// Writes the "Rust (sourcelab)" kernelspec, installs mold when possible, and pre-builds the notebook crate
/// (with progress) so the first notebook starts in seconds.
pub fn install(stack: &Stack) -> Result<()> {
    if process::find_program("mold", &[]).is_none() && process::is_root() {
        // Optional: a faster first link. Without it evcxr uses the system linker.
        if let Err(e) = process::apt_install(&["mold"]) {
            eprintln!("sourcelab: mold not installed ({e}); using the system linker");
        }
    }
    let home = stack.home().to_string_lossy().to_string();
    let kernel_src = kernel_dir();
    let cfg = config_dir(stack);
    std::fs::create_dir_all(&cfg).map_err(|e| Error::io("create folder", &cfg, e))?;
    let exe = current_exe()?;
    let spec = render(
        &kernel_src.join("kernel.json"),
        &[("{{SOURCELAB_BIN}}", &exe.to_string_lossy()), ("{{SOURCELAB_HOME}}", &home)],
    )?;
    let spec_dir = kernelspec_dir(stack);
    std::fs::create_dir_all(&spec_dir).map_err(|e| Error::io("create folder", &spec_dir, e))?;
    write(&spec_dir.join("kernel.json"), &spec)?;
    show_documentation_beside_completions(stack)?;
    // Warm once per notebook crate: later changes to it rebuild in seconds when a kernel starts.
    let read = |name: &str| std::fs::read_to_string(kernel_src.join(name)).unwrap_or_default();
    let key = crate::short_hash(&format!(
        "{EVCXR_VERSION}\n{}\n{}\n{}",
        render_init(&kernel_src)?,
        read("prelude.rs"),
        read("notebook/Cargo.toml")
    ));
    let marker = work_root().join(format!("warm-{key:08x}"));
    if marker.is_file() && work_root().join("0").join("target").is_dir() {
        return Ok(());
    }
    warm(stack)?;
    write(&marker, "")
}

/// JupyterLab's default settings for the venv's JupyterLab (`share/jupyter/lab/settings/overrides.json`, which
/// JupyterLab reads as the defaults a learner can still change): the completer shows its documentation panel, so
/// beside the match Tab selects stand its signature and its doc comment (the kernel's `inspect_reply`).
fn show_documentation_beside_completions(stack: &Stack) -> Result<()> {
    let dir = venv::dir(stack).join("share").join("jupyter").join("lab").join("settings");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
    let path = dir.join("overrides.json");
    let mut overrides: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    overrides["@jupyterlab/completer-extension:manager"]["showDocumentationPanel"] = true.into();
    write(&path, &serde_json::to_string_pretty(&overrides).unwrap_or_default())
}

/// This binary's path (rebuilt while it runs, Linux names the old file "… (deleted)"; the new one sits there).
fn current_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::new(ErrorKind::Setup, "find the sourcelab binary", e.to_string()))?;
    Ok(match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        Some(p) => PathBuf::from(p),
        None => exe,
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("write", path, e))
}

/// The work folders of running and past kernels.
fn work_root() -> PathBuf {
    crate::cache_dir().join("evcxr-work")
}

/// Claims the first work folder no running kernel uses, recording our pid in `<n>.pid`.
fn claim_work_dir() -> Result<PathBuf> {
    let root = work_root();
    std::fs::create_dir_all(&root).map_err(|e| Error::io("create folder", &root, e))?;
    let me = std::process::id();
    for n in 0..64 {
        let pid_file = root.join(format!("{n}.pid"));
        let created = std::fs::OpenOptions::new().write(true).create_new(true).open(&pid_file);
        match created {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(me.to_string().as_bytes()).map_err(|e| Error::io("write", &pid_file, e))?;
                return Ok(root.join(n.to_string()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Taken while its owner runs (`sourcelab kernel launch`, then `serve` in the same process);
                // a file without a pid yet was created a moment ago by a launcher that is writing it.
                let owner = std::fs::read_to_string(&pid_file).ok().and_then(|t| t.trim().parse::<u32>().ok());
                let alive = match owner {
                    Some(p) => p != me && process::is_running(p, "sourcelab"),
                    None => std::fs::metadata(&pid_file)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age < Duration::from_secs(10)),
                };
                if !alive {
                    let _ = std::fs::remove_file(&pid_file);
                    // Retry this slot once; another launcher may win the race, then we move on.
                    if std::fs::OpenOptions::new().write(true).create_new(true).open(&pid_file).is_ok() {
                        std::fs::write(&pid_file, me.to_string()).map_err(|e| Error::io("write", &pid_file, e))?;
                        return Ok(root.join(n.to_string()));
                    }
                }
            }
            Err(e) => return Err(Error::io("create", &pid_file, e)),
        }
    }
    Err(Error::new(ErrorKind::Setup, "start a kernel", "64 kernels are already running").hint("shut some down"))
}

/// Gives a new work folder the build output of a warm one, so that a second kernel running beside the first (two
/// notebooks open, or the runner starting the next notebook's kernel early) starts as fast as the first instead of
/// compiling the notebook crate again. Copied, not linked: cargo rewrites files in place. Copied under a temporary
/// name and renamed, so a kernel never sees half a copy.
///
/// A learner of a class has a cache of their own: their first kernel seeds from the class's warm folder
/// (`$SOURCELAB_SHARED_CACHE`, built once by `sourcelab class up` and readable by every learner).
fn seed_work_dir(work: &Path) -> Result<()> {
    let target = work.join("target");
    if target.exists() {
        return Ok(());
    }
    let shared = std::env::var_os("SOURCELAB_SHARED_CACHE").filter(|d| !d.is_empty()).map(PathBuf::from);
    let roots = [Some(work_root()), shared.map(|d| d.join("evcxr-work"))];
    let warm = roots.iter().flatten().flat_map(|r| (0..64).map(move |n| r.join(n.to_string()).join("target")));
    let Some(warm) = warm.into_iter().find(|t| t.is_dir() && !t.starts_with(work)) else {
        return Ok(());
    };
    let partial = work.join(format!("target.seeding-{}", std::process::id()));
    let copied = copy_tree(&warm, &partial)
        .and_then(|()| std::fs::rename(&partial, &target).map_err(|e| Error::io("rename", &partial, e)));
    if copied.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    copied
}

/// Copies a folder with its files and symbolic links.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io("create folder", to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io("read folder", from, e))? {
        let entry = entry.map_err(|e| Error::io("read folder", from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| Error::io("read", &src, e))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&src).map_err(|e| Error::io("read link", &src, e))?;
            std::os::unix::fs::symlink(link, &dst).map_err(|e| Error::io("create link", &dst, e))?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| Error::io("copy", &src, e))?;
        }
    }
    Ok(())
}

/// What a kernelspec runs: picks a free work folder and a private folder for the call socket, sets up the
/// environment evcxr's engine needs, and becomes `sourcelab kernel serve` (same pid, so Jupyter's signals reach
/// it).
pub fn launch(connection_file: &Path) -> Result<std::convert::Infallible> {
    use std::os::unix::process::CommandExt;
    let stack = Stack::new();
    let work = claim_work_dir()?;
    std::fs::create_dir_all(&work).map_err(|e| Error::io("create folder", &work, e))?;
    if let Err(e) = seed_work_dir(&work) {
        eprintln!("sourcelab: this kernel builds the notebook crate itself ({e})");
    }
    let config = config_dir(&stack);
    std::fs::create_dir_all(&config).map_err(|e| Error::io("create folder", &config, e))?;
    let socket = serve::private_dir()?.join("calls.sock");
    let mut cmd = Command::new(current_exe()?);
    // Build settings of whoever started Jupyter (cargo test, a shell with CARGO_TARGET_DIR, ...) must not reach
    // evcxr's cargo: they change build fingerprints and make the kernel recompile its dependencies.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let cargo_build_var = key.starts_with("CARGO_") && key != "CARGO_HOME";
        if cargo_build_var
            || matches!(&*key, "RUSTFLAGS" | "RUSTDOCFLAGS" | "RUSTC_WRAPPER" | "RUSTC_WORKSPACE_WRAPPER")
        {
            cmd.env_remove(&*key);
        }
    }
    let sysroot = sysroot();
    let err = cmd
        .args(["kernel", "serve"])
        .arg(connection_file)
        .env("LD_LIBRARY_PATH", loader_path(sysroot.as_deref()))
        .env("PATH", tool_path(sysroot.as_deref()))
        .env(sourcelab_notebook::client::SOCKET_VAR, &socket)
        .env("EVCXR_TMPDIR", &work)
        // An empty config folder of ours: a learner's own ~/.config/evcxr must not change the kernel.
        .env("EVCXR_CONFIG_DIR", &config)
        .exec();
    Err(Error::new(ErrorKind::Setup, "start the kernel", err.to_string())
        .hint("run `cargo build` in the checkout, then `sourcelab kernel install`"))
}

/// The call socket cells reach the library through, served by this process until dropped. The kernel makes one;
/// tests and tools that drive the notebook crate without a kernel make their own (`tests/boundary.rs`) and point
/// `SOURCELAB_SOCKET` at [`CallServer::socket`].
#[derive(Debug)]
pub struct CallServer {
    _server: serve::Server,
    socket: PathBuf,
}

impl CallServer {
    /// Starts serving calls on a new socket in a private folder.
    pub fn start() -> Result<CallServer> {
        let socket = serve::private_dir()?.join("calls.sock");
        Ok(CallServer { _server: serve::Server::start(&socket)?, socket })
    }

    /// The socket's path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

/// `sourcelab kernel serve`: the kernel itself, as [`launch`] set it up.
pub fn serve(connection_file: &Path) -> Result<()> {
    let socket = std::env::var_os(sourcelab_notebook::client::SOCKET_VAR).map(PathBuf::from).ok_or_else(|| {
        Error::new(ErrorKind::Setup, "start the kernel", "it was not started by `sourcelab kernel launch`")
            .hint("pick the kernel \"Rust (sourcelab)\" in Jupyter (`sourcelab kernel install` registers it)")
    })?;
    jupyter::serve(connection_file, &socket)
}

/// The Rust toolchain's folder (`rustc --print sysroot`).
fn sysroot() -> Option<PathBuf> {
    Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

/// `LD_LIBRARY_PATH` for the kernel: the toolchain's own libraries first.
///
/// evcxr links each cell against Rust's `libstd-*.so` through a relative RUNPATH that cargo computes for the
/// `deps/` folder, but evcxr loads the copy one folder up. When the work folder and the toolchain share a parent
/// (both under `~`, as `~/.cache` and `~/.rustup` do), that relative path points one level too high and loading
/// the cell fails with "dlopen failed". Naming the toolchain's library folder explicitly fixes it anywhere.
fn loader_path(sysroot: Option<&Path>) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(root) = sysroot {
        let lib = root.join("lib");
        let target_libs = std::fs::read_dir(lib.join("rustlib"))
            .map(|rd| rd.flatten().map(|e| e.path().join("lib")).filter(|p| p.is_dir()).collect::<Vec<_>>())
            .unwrap_or_default();
        dirs.push(lib);
        dirs.extend(target_libs);
    }
    if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH") {
        dirs.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// `PATH` for the kernel: the toolchain's `bin/` first. With rustup, `cargo` and `rustc` on the usual `PATH` are
/// its proxies, which choose the toolchain on every call (about 40 ms each); evcxr and its rust-analyzer call them
/// some 50 times while a kernel starts, and every cell twice.
fn tool_path(sysroot: Option<&Path>) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = sysroot.map(|r| r.join("bin")).into_iter().collect();
    if let Some(existing) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// Builds the kernel once (a notebook of one cell), printing progress while evcxr compiles.
pub fn warm(stack: &Stack) -> Result<()> {
    // The kernel resolves its dependencies offline (`:offline 1` in init.evcxr, so cells never touch the
    // network), which needs every package of the lock file in cargo's cache, for every platform: `cargo fetch`
    // downloads exactly those (a no-op when they are there). Without a network it may fail; the build then uses
    // what the cache has.
    let fetched = Command::new(cargo())
        .arg("fetch")
        .arg("--manifest-path")
        .arg(stack.home().join("Cargo.toml"))
        .env_remove("CARGO_TARGET_DIR")
        .status();
    if !fetched.is_ok_and(|s| s.success()) {
        eprintln!("sourcelab: `cargo fetch` failed; building the kernel from the packages already downloaded");
    }
    let nb = stack.state_dir().join("kernel").join("warmup.ipynb");
    write(&nb, WARMUP_NOTEBOOK)?;
    let started = Instant::now();
    let total = notebook_crates(stack);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut last = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let secs = started.elapsed().as_secs();
                if secs >= last + 5 {
                    last = secs;
                    let built = compiled_units().min(total);
                    eprintln!(
                        "sourcelab: preparing the kernel: {built} of {total} libraries ({}%), {secs} s",
                        built * 100 / total.max(1)
                    );
                }
            }
        })
    };
    let out = stack.state_dir().join("kernel").join("warmup-out");
    let result = crate::kernel::run_notebooks(stack, &[nb], &out, &RunOptions::default());
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.join();
    let reports = result?;
    match reports.first() {
        Some(r) if r.ok() => {
            eprintln!("sourcelab: kernel ready ({:.0} s)", started.elapsed().as_secs_f64());
            Ok(())
        }
        Some(r) => Err(Error::new(
            ErrorKind::Setup,
            "prepare the Rust kernel",
            r.error.clone().unwrap_or_else(|| "the warm-up notebook failed".into()),
        )
        .hint(format!("see {}", out.display()))),
        None => Err(Error::new(ErrorKind::Setup, "prepare the Rust kernel", "the runner reported nothing")),
    }
}

/// How many libraries the kernel builds: the notebook crate and its dependencies (`cargo tree`), counted once.
fn notebook_crates(stack: &Stack) -> usize {
    let out = Command::new(cargo())
        .args(["tree", "--offline", "-p", "sourcelab-notebook", "-e", "normal", "--prefix", "none", "--manifest-path"])
        .arg(stack.home().join("Cargo.toml"))
        .output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
    let mut crates: Vec<&str> = text.lines().map(|l| l.trim_end_matches(" (*)")).filter(|l| !l.is_empty()).collect();
    crates.sort_unstable();
    crates.dedup();
    crates.len().max(1)
}

/// How many libraries the fullest kernel work folder holds (the progress of a cold build): host libraries
/// (build scripts, macros) in `target/debug/deps` and target libraries in `target/<triple>/debug/deps`.
fn compiled_units() -> usize {
    let count = |deps: PathBuf| {
        std::fs::read_dir(deps)
            .map(|rd| rd.flatten().filter(|f| f.file_name().to_string_lossy().ends_with(".rlib")).count())
            .unwrap_or(0)
    };
    let Ok(slots) = std::fs::read_dir(work_root()) else { return 0 };
    slots
        .flatten()
        .map(|slot| {
            let target = slot.path().join("target");
            let triples = std::fs::read_dir(&target)
                .map(|rd| rd.flatten().map(|e| e.path()).collect())
                .unwrap_or_else(|_| vec![]);
            let deps = |t: PathBuf| if t.ends_with("debug") { t.join("deps") } else { t.join("debug").join("deps") };
            triples.into_iter().map(|t| count(deps(t))).sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

const WARMUP_NOTEBOOK: &str = r#"{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "warm", "metadata": {}, "outputs": [],
   "source": ["sourcelab_notebook::ready()"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Rust (sourcelab)", "language": "rust", "name": "sourcelab"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"#;

/// Options of a headless run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Longest time one cell may take.
    pub cell_timeout: Duration,
    /// Longest time the kernel may take to start (it builds the crate on a cold cache).
    pub startup_timeout: Duration,
    /// Grading (`sourcelab grade`): run every cell whatever the earlier ones did, each notebook for at most this
    /// long, and report every check cell. `None`: stop a notebook at its first failed cell.
    pub grade: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { cell_timeout: Duration::from_secs(900), startup_timeout: Duration::from_secs(3600), grade: None }
    }
}

/// What one check cell did in a graded run.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct CheckCell {
    /// Its index in the notebook's cell list.
    pub cell: usize,
    /// Whether it ran.
    pub executed: bool,
    /// The `✓ …` line it printed.
    pub passed: Option<String>,
    /// The error the kernel reported for it: a check that failed, or a compile error, a panic, another error.
    pub error: Option<CellError>,
}

/// A cell's error as the kernel reports it (Jupyter's `error` output).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct CellError {
    /// A sourcelab error's kind (`Input`, `Service`, …), or `CompileError`, `Panic`, `Interrupted`, ….
    pub ename: String,
    /// Its first line: for a sourcelab error, what failed and why (`check lab1_ex2: expected …, got …`).
    pub evalue: String,
    /// The whole text, the hint included.
    #[serde(default)]
    pub traceback: Vec<String>,
}

impl CellError {
    /// Whether it is an exercise check's verdict (the check ran and the answer was wrong).
    pub fn is_check(&self) -> bool {
        self.evalue.starts_with("check ")
    }

    /// The first line, with the hint when there is one: `… (hint: …)`.
    pub fn message(&self) -> String {
        let hint = self.traceback.iter().find_map(|l| l.trim_start().strip_prefix("hint: "));
        match hint {
            Some(h) => format!("{} (hint: {h})", self.evalue),
            None => self.evalue.clone(),
        }
    }
}

/// The outcome of one notebook.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct NotebookReport {
    /// The notebook's path.
    pub notebook: String,
    /// Number of code cells.
    pub cells: usize,
    /// Wall time, kernel start included.
    pub seconds: f64,
    /// Kernel start (library loaded) in seconds.
    pub startup_seconds: Option<f64>,
    /// Seconds per code cell (-1 for cells not run).
    pub cell_seconds: Vec<f64>,
    /// `ok` or `failed`.
    pub status: String,
    /// Index (in the notebook's cell list) of the failed cell.
    pub failed_cell: Option<usize>,
    /// The failed cell's error.
    pub error: Option<String>,
    /// Every check cell (what it printed or returned).
    #[serde(default)]
    pub checks: Vec<CheckCell>,
}

impl NotebookReport {
    /// Whether every cell ran without error.
    pub fn ok(&self) -> bool {
        self.status == "ok"
    }
}

/// Runs notebooks headless with the sourcelab kernel; executed copies (.ipynb and .html) go to `out`.
pub fn run_notebooks(
    stack: &Stack,
    notebooks: &[PathBuf],
    out: &Path,
    opts: &RunOptions,
) -> Result<Vec<NotebookReport>> {
    let script = kernel_dir().join("run_notebooks.py");
    let python = venv::bin(stack, "python");
    let output = Command::new(&python)
        .arg(&script)
        .args(["--kernel", KERNEL_NAME, "--timeout", &opts.cell_timeout.as_secs().to_string()])
        .args(["--startup-timeout", &opts.startup_timeout.as_secs().to_string()])
        .args(
            opts.grade
                .map(|limit| ["--grade".to_string(), "--limit".to_string(), limit.as_secs().to_string()])
                .into_iter()
                .flatten(),
        )
        .arg("--out")
        .arg(out)
        .args(notebooks)
        .env("JUPYTER_PATH", venv::dir(stack).join("share").join("jupyter"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| {
            Error::new(ErrorKind::Setup, "run the notebook runner", format!("{}: {e}", python.display()))
                .hint("run `sourcelab up` to create the Python venv")
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let reports: Vec<NotebookReport> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    if reports.len() != notebooks.len() {
        return Err(Error::new(
            ErrorKind::Setup,
            "run notebooks",
            format!("the runner reported {} of {} notebooks ({})", reports.len(), notebooks.len(), output.status),
        )
        .hint("read the runner's messages above"));
    }
    Ok(reports)
}

/// Every lab notebook (`notebooks/*.ipynb`), in name order.
pub fn lab_notebooks(stack: &Stack) -> Result<Vec<PathBuf>> {
    let dir = stack.home().join("notebooks");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io("list notebooks in", &dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ipynb"))
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_tree_has_every_file_folder_and_link() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        std::fs::create_dir_all(from.join("debug/deps")).unwrap();
        std::fs::write(from.join("debug/deps/libx.rlib"), b"rlib").unwrap();
        std::fs::write(from.join("CACHEDIR.TAG"), b"tag").unwrap();
        std::os::unix::fs::symlink("debug/deps/libx.rlib", from.join("latest")).unwrap();
        let to = dir.path().join("to");
        copy_tree(&from, &to).unwrap();
        assert_eq!(std::fs::read(to.join("debug/deps/libx.rlib")).unwrap(), b"rlib");
        assert_eq!(std::fs::read(to.join("CACHEDIR.TAG")).unwrap(), b"tag");
        assert_eq!(std::fs::read_link(to.join("latest")).unwrap(), Path::new("debug/deps/libx.rlib"));
        let missing = copy_tree(&dir.path().join("nothing"), &dir.path().join("out")).unwrap_err();
        assert!(missing.to_string().contains("nothing"), "{missing}");
    }
}
