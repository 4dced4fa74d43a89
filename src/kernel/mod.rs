//! The Rust kernel: evcxr_jupyter, cells compiled against the thin notebook crate, the library loaded once.
//!
//! evcxr compiles every notebook cell into a small shared library and links it against the whole dependency
//! graph of every crate the cell can see. Against this library (polars, sqlx, the AWS SDKs: ~380 crates) that cost
//! 4.4 s a cell, and the kernel first built the whole graph once more at opt-level 0 (6.6 minutes). So cells see
//! only `sourcelab-notebook` (`kernel/notebook/`, a dozen small crates), which calls this library through the
//! C functions of [`boundary`]: the library is the `libsourcelab.so` that `cargo build` makes next to the
//! `sourcelab` command, loaded once into the kernel process (`SOURCELAB_LIBRARY`, set by [`launch`]).
//!
//! - **`kernel/init.evcxr`**: `:opt 0` (the notebook crate's code is glue; the work runs in the library, built
//!   normally), `:offline 1` (cells never touch the network), and the `:dep` on the notebook crate.
//! - **`kernel/prelude.rs`**: `use sourcelab_notebook::prelude::*;` and one `let` that loads the library while
//!   the kernel starts, so rust-analyzer's first inference and the library's start are not the first cell's.
//! - **A persistent work folder per running kernel** (`EVCXR_TMPDIR`): by default evcxr builds in a temporary
//!   folder deleted when the kernel exits. [`launch`] gives each kernel a numbered folder under the cache
//!   (`evcxr-work/0`, `1`, …) that no other running kernel uses, and keeps it, so a kernel starts in seconds.
//!
//! [`install`] installs evcxr_jupyter (once), writes the config and the kernelspec, and builds the notebook crate
//! in the first work folder with visible progress. Everything lives outside the checkout ([`crate::cache_dir`]).

pub mod boundary;
pub mod browser;
mod calls;
pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::local::{Stack, process, venv};

/// The evcxr_jupyter version we install and test with.
pub const EVCXR_VERSION: &str = "0.22.0";
/// The kernel's name in Jupyter.
pub const KERNEL_NAME: &str = "sourcelab";
/// The name JupyterLab shows for it (`kernel/kernel.json`'s `display_name`).
pub const KERNEL_DISPLAY_NAME: &str = "Rust (sourcelab)";

/// Where evcxr_jupyter is installed (outside the checkout).
pub fn evcxr_bin() -> PathBuf {
    crate::cache_dir().join(format!("evcxr-{EVCXR_VERSION}")).join("bin").join("evcxr_jupyter")
}

/// Installs evcxr_jupyter with `cargo install --locked` unless it is there (about 7 minutes on 2 cores).
pub fn ensure_evcxr() -> Result<PathBuf> {
    let bin = evcxr_bin();
    if bin.is_file() {
        return Ok(bin);
    }
    let root = crate::cache_dir().join(format!("evcxr-{EVCXR_VERSION}"));
    eprintln!("sourcelab: installing evcxr_jupyter {EVCXR_VERSION} into {} (about 7 minutes, once)", root.display());
    let status = Command::new(cargo())
        .args(["install", "evcxr_jupyter", "--locked", "--version", EVCXR_VERSION, "--root"])
        .arg(&root)
        // Its own build folder: the checkout's builds (clippy, tests) can run at the same time without waiting for
        // each other's lock.
        .env("CARGO_TARGET_DIR", crate::cache_dir().join("evcxr-build"))
        .status()
        .map_err(|e| Error::new(ErrorKind::Setup, "run cargo install evcxr_jupyter", e.to_string()))?;
    if !status.success() || !bin.is_file() {
        return Err(Error::new(
            ErrorKind::Setup,
            format!("install evcxr_jupyter {EVCXR_VERSION}"),
            format!("cargo install exited with {status}"),
        )
        .hint("read cargo's output above; evcxr needs Rust 1.95 or newer (`rustup update`)"));
    }
    Ok(bin)
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

/// Installs evcxr (once), writes the evcxr config and the "Rust (sourcelab)" kernelspec, installs mold when
/// possible, and pre-builds the kernel (with progress) so the first notebook starts in seconds.
pub fn install(stack: &Stack) -> Result<()> {
    ensure_evcxr()?;
    if process::find_program("mold", &[]).is_none() && process::is_root() {
        // Optional: a faster first link. Without it evcxr uses the system linker.
        if let Err(e) = process::apt_install(&["mold"]) {
            eprintln!("sourcelab: mold not installed ({e}); using the system linker");
        }
    }
    library_path_checked()?;
    let home = stack.home().to_string_lossy().to_string();
    let kernel_src = stack.home().join("kernel");
    let cfg = config_dir(stack);
    std::fs::create_dir_all(&cfg).map_err(|e| Error::io("create folder", &cfg, e))?;
    let init = render(&kernel_src.join("init.evcxr"), &[("{{SOURCELAB_HOME}}", &home)])?;
    write(&cfg.join("init.evcxr"), &init)?;
    let prelude = render(&kernel_src.join("prelude.rs"), &[])?;
    write(&cfg.join("prelude.rs"), &prelude)?;
    let exe = current_exe()?;
    let spec = render(
        &kernel_src.join("kernel.json"),
        &[("{{SOURCELAB_BIN}}", &exe.to_string_lossy()), ("{{SOURCELAB_HOME}}", &home)],
    )?;
    let spec_dir = kernelspec_dir(stack);
    std::fs::create_dir_all(&spec_dir).map_err(|e| Error::io("create folder", &spec_dir, e))?;
    write(&spec_dir.join("kernel.json"), &spec)?;
    // Warm once per notebook crate: later changes to it rebuild in seconds when a kernel starts.
    let manifest = std::fs::read_to_string(kernel_src.join("notebook").join("Cargo.toml")).unwrap_or_default();
    let key = crate::short_hash(&format!("{EVCXR_VERSION}\n{init}\n{prelude}\n{manifest}"));
    let marker = work_root().join(format!("warm-{key:08x}"));
    if marker.is_file() && work_root().join("0").join("target").is_dir() {
        return Ok(());
    }
    warm(stack)?;
    write(&marker, "")
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

/// The library the kernel loads: `libsourcelab.so`, which `cargo build` writes next to the `sourcelab` binary.
pub fn library_path() -> Result<PathBuf> {
    let exe = current_exe()?;
    // Test binaries live one folder down, in `deps/`.
    let dir = exe.parent().map(|d| if d.ends_with("deps") { d.parent().unwrap_or(d) } else { d });
    Ok(dir.unwrap_or(Path::new(".")).join("libsourcelab.so"))
}

fn library_path_checked() -> Result<PathBuf> {
    let lib = library_path()?;
    if !lib.is_file() {
        return Err(Error::new(ErrorKind::Setup, "find the library the kernel loads", format!("no {}", lib.display()))
            .hint("build it with `cargo build` in the checkout (scripts/labs.sh does), then run this again"));
    }
    Ok(lib)
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
                // Taken while its owner runs: as evcxr, or still as `sourcelab kernel launch` on its way to exec;
                // a file without a pid yet was created a moment ago by a launcher that is writing it.
                let owner = std::fs::read_to_string(&pid_file).ok().and_then(|t| t.trim().parse::<u32>().ok());
                let alive = match owner {
                    Some(p) => p != me && (process::is_running(p, "evcxr") || process::is_running(p, "sourcelab")),
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

/// What a kernelspec runs: picks a free work folder, points evcxr at it and at our config, and becomes
/// evcxr_jupyter (same pid, so Jupyter's signals reach it).
pub fn launch(connection_file: &Path) -> Result<std::convert::Infallible> {
    use std::os::unix::process::CommandExt;
    let stack = Stack::new();
    let work = claim_work_dir()?;
    std::fs::create_dir_all(&work).map_err(|e| Error::io("create folder", &work, e))?;
    let mut cmd = Command::new(evcxr_bin());
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
    let err = cmd
        .arg("--control_file")
        .arg(connection_file)
        .env("LD_LIBRARY_PATH", loader_path())
        .env("SOURCELAB_LIBRARY", library_path()?)
        .env("EVCXR_TMPDIR", &work)
        .env("EVCXR_CONFIG_DIR", config_dir(&stack))
        .env("XDG_CACHE_HOME", crate::cache_dir())
        .exec();
    Err(Error::new(ErrorKind::Setup, "start evcxr_jupyter", err.to_string())
        .hint("run `sourcelab kernel install` to install it"))
}

/// `LD_LIBRARY_PATH` for the kernel: the toolchain's own libraries first.
///
/// evcxr links each cell against Rust's `libstd-*.so` through a relative RUNPATH that cargo computes for the
/// `deps/` folder, but evcxr loads the copy one folder up. When the work folder and the toolchain share a parent
/// (both under `~`, as `~/.cache` and `~/.rustup` do), that relative path points one level too high and loading
/// the cell fails with "dlopen failed". Naming the toolchain's library folder explicitly fixes it anywhere.
fn loader_path() -> std::ffi::OsString {
    let sysroot = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(root) = sysroot {
        let lib = Path::new(&root).join("lib");
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
    /// The error it returned (`kind`, `what`, `cause`, `hint`), as the notebook crate recorded it.
    pub returned: Option<serde_json::Value>,
    /// The error the kernel reported (a compile error, a panic).
    pub error: Option<String>,
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
    let script = stack.home().join("kernel").join("run_notebooks.py");
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
