//! The notebooks in JupyterLab, in a real browser: `sourcelab browser-check`.
//!
//! Headless runs (`sourcelab run`) prove the cells work; this proves what a learner sees. [`check`] copies the
//! notebooks into a work folder (the checkout's files never change), starts the venv's JupyterLab there on a free
//! port with a fresh token, and drives headless Chromium — Debian's `chromium`, through Playwright from PyPI, so no
//! browser is downloaded — like a person (`kernel/browser_check.py`):
//!
//! 1. open each notebook from the file browser; wait until the kernel it names, "Rust (sourcelab)", is idle;
//! 2. Run > Run All Cells, wait for the last cell, File > Save Notebook, take a screenshot;
//! 3. optionally, as a learner would: Run All on a notebook whose second cell fails (the rest must not run), then in
//!    its last cell `db.qu`, Tab, Enter on the match, the arguments typed after it, and the cell run;
//! 4. optionally Kernel > Restart Kernel… on one notebook and run one cell again: the kernel comes back and the
//!    library answers.
//!
//! The [`BrowserReport`] holds what the page showed: each cell's prompt and outputs, the header row of every HTML
//! table, every image's size and visibility, and the errors in the saved file. Screenshots and the executed copies
//! stay in the output folder (`.sourcelab/runs/browser/` by default).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::local::{Stack, process, venv};

/// The Debian package that holds Chromium.
pub const CHROMIUM_PACKAGE: &str = "chromium";

/// What to check in the browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Chromium's binary; `None`: `$SOURCELAB_CHROMIUM`, else `chromium` on `PATH` (installed with apt as root).
    pub chromium: Option<PathBuf>,
    /// Restart this notebook's kernel at the end (its file name) and run its code cell with this index again.
    pub restart: Option<(String, usize)>,
    /// Longest time one notebook's Run All may take, in seconds.
    pub limit_seconds: u64,
    /// Also try [`LEARNER_NOTEBOOK`] as a learner: Run All stopping at its failing cell, then Tab completion.
    pub learner: bool,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions { chromium: None, restart: None, limit_seconds: 900, learner: false }
    }
}

/// The notebook the learner check writes: a cell that connects, one that fails (a closed port), one that must not
/// run after it, and an empty cell to type into.
pub const LEARNER_NOTEBOOK: &str = "learner_check.ipynb";

fn learner_notebook() -> String {
    let code = |src: &str| serde_json::json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": src});
    serde_json::json!({
        "cells": [
            code("let env = load_env()?;\nlet db = Db::connect_mysql(&env)?;"),
            code("let closed = DbConfig { port: 1, ..env.mysql()? };\nDb::connect(&closed)?;"),
            code("println!(\"this cell runs after the failing one\");"),
            code(""),
        ],
        "metadata": {"kernelspec": {"display_name": super::KERNEL_DISPLAY_NAME, "language": "rust", "name": super::KERNEL_NAME}},
        "nbformat": 4,
        "nbformat_minor": 5
    })
    .to_string()
}

/// What a learner's try showed: Run All stopping at the failing cell, then a completed line.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LearnerCheck {
    /// The notebook's cells after Run All.
    pub cells: Vec<PageCell>,
    /// What Tab offered after `db.`.
    pub members: Vec<String>,
    /// What the completer's documentation panel showed beside the selected member.
    pub documentation: String,
    /// What Tab offered after `db.qu` (empty when a single match went in at once).
    pub offered: Vec<String>,
    /// The last cell's text after Tab, Enter and the arguments.
    pub typed: String,
    /// That cell once it ran.
    pub ran: PageCell,
}

/// What the page showed of one output.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PageOutput {
    /// The MIME type JupyterLab rendered (`text/html`, `image/png`, `application/vnd.jupyter.stdout`, …).
    pub mime: String,
    /// Its visible text (the first 400 characters).
    pub text: String,
}

/// An image in an output.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PageImage {
    /// Its width in pixels as decoded.
    pub natural_width: u32,
    /// Its height in pixels as decoded.
    pub natural_height: u32,
    /// Loaded and taking room on the page.
    pub visible: bool,
}

/// One code cell as the page showed it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PageCell {
    /// Its prompt: `[3]:` when it ran, `[ ]:` when not.
    pub prompt: String,
    /// Its outputs, in order.
    pub outputs: Vec<PageOutput>,
    /// The header row of every HTML table it shows.
    pub tables: Vec<Vec<String>>,
    /// Every image it shows.
    pub images: Vec<PageImage>,
}

impl PageCell {
    /// Whether the cell ran (its prompt has a number).
    pub fn ran(&self) -> bool {
        self.prompt.trim_start_matches('[').starts_with(|c: char| c.is_ascii_digit())
    }
}

/// One code cell of the saved file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SavedCell {
    /// Its execution count (`None`: not run).
    pub execution_count: Option<u64>,
    /// The errors among its outputs: the kernel's, and the ones it returned with `?`.
    pub errors: Vec<String>,
}

/// One notebook after Run All.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BrowserNotebook {
    /// The notebook's file name.
    pub notebook: String,
    /// The kernel JupyterLab showed in the notebook's toolbar.
    pub kernel: String,
    /// How long Run All took.
    pub seconds: f64,
    /// Its code cells, as the page showed them.
    pub cells: Vec<PageCell>,
    /// Its code cells, as File > Save Notebook wrote them.
    pub saved: Vec<SavedCell>,
    /// The screenshot taken after Run All.
    pub screenshot: PathBuf,
}

impl BrowserNotebook {
    /// Every error in the saved notebook, as `cell N: error`.
    pub fn errors(&self) -> Vec<String> {
        let cells = self.saved.iter().enumerate();
        cells.flat_map(|(i, c)| c.errors.iter().map(move |e| format!("code cell {i}: {e}"))).collect()
    }

    /// The `✓` lines the page shows.
    pub fn checks_passed(&self) -> Vec<&str> {
        let outputs = self.cells.iter().flat_map(|c| &c.outputs);
        outputs.map(|o| o.text.as_str()).filter(|t| t.starts_with('✓')).collect()
    }

    /// Whether every code cell ran and none has an error.
    pub fn ok(&self) -> bool {
        self.errors().is_empty() && self.cells.iter().all(PageCell::ran)
    }
}

/// A restart and the cell run after it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RestartCheck {
    /// The notebook.
    pub notebook: String,
    /// The code cell's index.
    pub cell: usize,
    /// The kernel shown after the restart.
    pub kernel: String,
    /// The cell's prompt after it ran again (`[1]:`: the first cell of the new kernel).
    pub prompt: String,
    /// What it printed.
    pub outputs: Vec<PageOutput>,
}

/// Everything one browser check saw.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BrowserReport {
    /// The notebooks, in the order they ran.
    pub notebooks: Vec<BrowserNotebook>,
    /// The restart, when asked for.
    pub restart: Option<RestartCheck>,
    /// The learner's try, when asked for.
    #[serde(default)]
    pub learner: Option<LearnerCheck>,
    /// Where the screenshots, executed copies and JupyterLab's log are.
    #[serde(skip_deserializing)]
    pub out: PathBuf,
}

/// Chromium's binary: `explicit`, else `$SOURCELAB_CHROMIUM`, else `chromium` on `PATH` — installed with apt
/// when missing and running as root, like the database packages.
pub fn chromium(explicit: Option<&Path>) -> Result<PathBuf> {
    let given = explicit.map(Path::to_path_buf).or_else(|| std::env::var_os("SOURCELAB_CHROMIUM").map(PathBuf::from));
    match given {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => {
            Err(Error::new(ErrorKind::Setup, "find Chromium", format!("there is no browser at {}", path.display()))
                .hint(format!(
                    "install the Debian package {CHROMIUM_PACKAGE} (sudo apt-get install {CHROMIUM_PACKAGE}) and name \
             /usr/bin/chromium, or leave the path out"
                )))
        }
        None => process::require_program("chromium", CHROMIUM_PACKAGE, &[]),
    }
}

/// Runs `notebooks` in JupyterLab in headless Chromium (see the module doc); screenshots and copies go to `out`.
/// The stack and the kernel must be set up (`sourcelab up`, `sourcelab kernel install`).
pub fn check(stack: &Stack, notebooks: &[PathBuf], out: &Path, opts: &BrowserOptions) -> Result<BrowserReport> {
    let chromium = chromium(opts.chromium.as_deref())?;
    venv::ensure_browser(stack)?;
    let work = out.join("notebooks");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| Error::io("empty", &work, e))?;
    }
    std::fs::create_dir_all(&work).map_err(|e| Error::io("create folder", &work, e))?;
    let mut names = Vec::new();
    for nb in notebooks {
        let name = nb.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        std::fs::copy(nb, work.join(&name)).map_err(|e| Error::io("copy", nb, e))?;
        names.push(name);
    }
    let script = stack.home().join("kernel").join("browser_check.py");
    let mut cmd = Command::new(venv::bin(stack, "python"));
    cmd.arg(&script)
        .arg("--jupyter")
        .arg(venv::bin(stack, "jupyter"))
        .arg("--chromium")
        .arg(&chromium)
        .arg("--root")
        .arg(&work)
        .arg("--out")
        .arg(out)
        .args(["--kernel", super::KERNEL_DISPLAY_NAME, "--limit", &opts.limit_seconds.to_string()]);
    if let Some((name, cell)) = &opts.restart {
        cmd.arg("--restart").arg(format!("{name}:{cell}"));
    }
    if opts.learner {
        let path = work.join(LEARNER_NOTEBOOK);
        std::fs::write(&path, learner_notebook()).map_err(|e| Error::io("write", &path, e))?;
        cmd.arg("--learner").arg(LEARNER_NOTEBOOK);
    }
    let output = cmd
        .args(&names)
        .env("JUPYTER_PATH", venv::dir(stack).join("share").join("jupyter"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| Error::new(ErrorKind::Setup, "run the browser check", e.to_string()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
    let raw: serde_json::Value = serde_json::from_str(line).map_err(|_| {
        Error::new(ErrorKind::Setup, "run the browser check", format!("it printed no report ({})", output.status))
            .hint("read its messages above")
    })?;
    if let Some(e) = raw.get("error").and_then(|e| e.as_str()) {
        return Err(Error::new(ErrorKind::Setup, "check the notebooks in JupyterLab in Chromium", e)
            .hint(format!("JupyterLab's log is {}", out.join("jupyterlab.log").display())));
    }
    let mut report: BrowserReport = serde_json::from_value(raw)
        .map_err(|e| Error::new(ErrorKind::Setup, "read the browser check's report", e.to_string()))?;
    report.out = out.to_path_buf();
    Ok(report)
}
