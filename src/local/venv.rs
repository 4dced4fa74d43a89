//! The Python side of the stack: a venv in `.sourcelab/venv` with JupyterLab, nbclient, moto's server and the AWS
//! CLI (which `sourcelab env` puts first on PATH).
//!
//! Versions are pinned so every machine runs the same moto (its quirks are documented per version). pip keeps
//! its download cache outside the checkout, so a second checkout installs from the cache.

use std::path::PathBuf;
use std::process::Command;

use super::{Stack, process};
use crate::error::{Error, ErrorKind, Result};

/// What the venv holds, pinned, one package a line: `kernel/requirements.txt`, which `scripts/labs.sh` also installs
/// while the first build runs. A change there makes the next `up` install again.
pub const REQUIREMENTS: &str = include_str!("../../kernel/requirements.txt");

/// The venv folder: `$SOURCELAB_VENV` when set (a venv someone else keeps, such as a class's, shared read-only by
/// its learners), else `.sourcelab/venv`.
pub fn dir(stack: &Stack) -> PathBuf {
    shared().unwrap_or_else(|| stack.state_dir().join("venv"))
}

fn shared() -> Option<PathBuf> {
    std::env::var_os("SOURCELAB_VENV").filter(|d| !d.is_empty()).map(PathBuf::from)
}

/// A program inside the venv's `bin/` (python, jupyter, moto_server).
pub fn bin(stack: &Stack, program: &str) -> PathBuf {
    dir(stack).join("bin").join(program)
}

/// What `sourcelab browser-check` adds to the venv, pinned: Playwright drives Debian's Chromium (it downloads no
/// browser of its own).
pub const BROWSER_REQUIREMENTS: &[&str] = &["playwright==1.65.2"];

/// Creates the venv and installs [`REQUIREMENTS`] when they are not installed yet.
pub fn ensure(stack: &Stack) -> Result<()> {
    let packages: Vec<&str> = REQUIREMENTS.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    install_pinned(stack, "requirements", &packages, "JupyterLab, nbclient, moto, the AWS CLI")
}

/// Installs [`BROWSER_REQUIREMENTS`] into the venv (created first when missing) when they are not there yet.
pub fn ensure_browser(stack: &Stack) -> Result<()> {
    ensure(stack)?;
    install_pinned(stack, "browser", BROWSER_REQUIREMENTS, "Playwright")
}

/// Installs `packages` unless the marker file `sourcelab-{set}.txt` in the venv lists exactly them (one a line).
fn install_pinned(stack: &Stack, set: &str, packages: &[&str], what: &str) -> Result<()> {
    if let Some(venv) = shared() {
        // Kept by someone else: used as it is, never changed.
        return match bin(stack, "python").is_file() {
            true => Ok(()),
            false => Err(Error::new(
                ErrorKind::Setup,
                format!("use the Python venv {} (SOURCELAB_VENV)", venv.display()),
                "it has no bin/python",
            )
            .hint(format!("unset SOURCELAB_VENV, or install {what} there"))),
        };
    }
    let marker = dir(stack).join(format!("sourcelab-{set}.txt"));
    let wanted = packages.join("\n");
    let listed = |t: String| t.lines().map(str::trim).filter(|l| !l.is_empty()).eq(packages.iter().copied());
    if bin(stack, "python").is_file() && std::fs::read_to_string(&marker).is_ok_and(listed) {
        return Ok(());
    }
    let python = process::require_program("python3", "python3-venv", &[])?;
    if !bin(stack, "python").is_file() {
        eprintln!("sourcelab: creating the Python venv in {}", dir(stack).display());
        process::run("create the Python venv", Command::new(&python).args(["-m", "venv"]).arg(dir(stack)))
            .map_err(|e| e.hint("install the Debian package python3-venv"))?;
    }
    eprintln!("sourcelab: installing {} (a minute or two the first time)", packages.join(" "));
    let status = Command::new(bin(stack, "python"))
        .args(["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", "-q"])
        .args(packages)
        .status()
        .map_err(|e| Error::new(ErrorKind::Setup, "run pip", e.to_string()))?;
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Setup,
            format!("install the Python packages ({what})"),
            format!("pip exited with {status}"),
        )
        .hint("check that PyPI is reachable, then run the same command again"));
    }
    std::fs::write(&marker, wanted).map_err(|e| Error::io("write", &marker, e))
}
