//! A class on one server: every learner a system user of their own, served their labs by a real JupyterHub.
//!
//! An instructor runs, as root, on the server:
//!
//! ```text
//! sourcelab class add alice bob carol     system users with private homes, the labs copied into each
//! sourcelab class up --port 8000          JupyterHub (and its proxy) in the background; learners log in
//! sourcelab class status                  who is logged in, since when, with their server's memory
//! sourcelab class down                    stops the hub and every learner's server; homes stay
//! ```
//!
//! The pieces, and why:
//!
//! - **A system user per learner** (`useradd`, home `0700`): a learner's notebooks, env file and local stack live
//!   in their own home, which no other learner can read. The hub (run as root) starts each learner's JupyterLab
//!   as that user (JupyterHub's `LocalProcessSpawner`), so everything the learner runs — the kernel, cells, their
//!   stack — runs with that user's rights. A name is refused when it is not a valid user name, or when a system
//!   user of that name exists that this class did not create (`root`, `mysql`, ...): the class never takes over
//!   an account.
//! - **The class folder** (`/srv/sourcelab-class`, or `$SOURCELAB_CLASS_DIR`): the roster (`class.json`), the
//!   hub's configuration, database, log and pid, its API token (`0600`), first-login passwords (hashed, by the
//!   authenticator), the proxy (npm `configurable-http-proxy`) and a Python venv every user can run, made from the
//!   system's `python3` (a venv made from a Python under `/root` would not run for a learner).
//! - **Logging in** ([`hub::Login`]): `first-login` (the default): the instructor lists the learners, and each
//!   sets their password the first time they log in (`jupyterhub-firstuseauthenticator`); or `shared`: one
//!   workshop password for everyone on the roster (JupyterHub's own `shared-password` authenticator).
//! - **Idle learners give their memory back**: JupyterHub's idle culler stops a server idle past the limit; the
//!   learner's files stay, and logging in again starts it anew.
//! - **The instructor** logs in with an account of the class that `up` names as the hub's admin
//!   ([`hub::HubOptions::instructors`]): their own demo server, and any learner's server opened to help.
//! - **Past one server** ([`image`]): the same learner server in a single-user image, for Kubernetes with the Zero
//!   to JupyterHub chart.

mod grading;
pub mod hub;
pub mod image;
pub mod learner;
mod shared;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::local::process;

/// Where a class keeps its roster, hub and proxy unless `$SOURCELAB_CLASS_DIR` says otherwise.
pub const DEFAULT_DIR: &str = "/srv/sourcelab-class";

/// The folder in a learner's home that holds their copy of the labs.
pub const LABS_FOLDER: &str = "sourcelab";

/// One class on this server.
#[derive(Debug, Clone)]
pub struct Class {
    dir: PathBuf,
}

/// The roster, kept in `class.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Roster {
    learners: BTreeSet<String>,
}

/// A learner as the class knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// Their user name (on the system and on the hub).
    pub name: String,
    /// Their home folder.
    pub home: PathBuf,
    /// Their system user id.
    pub uid: u32,
}

impl Learner {
    /// The user this process runs as: a learner in their pod (`$USER`, `$HOME`).
    pub fn me() -> Result<Learner> {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
            Error::new(ErrorKind::Setup, "find the learner's home", "HOME is not set")
                .hint("the single-user image sets it; run the server as the image's user")
        })?;
        let name = std::env::var("USER").unwrap_or_else(|_| "jovyan".into());
        Ok(Learner { name, home: home.into(), uid: rustix::process::getuid().as_raw() })
    }
}

impl Class {
    /// The class in `$SOURCELAB_CLASS_DIR`, else in [`DEFAULT_DIR`].
    pub fn new() -> Class {
        let dir = std::env::var_os("SOURCELAB_CLASS_DIR").filter(|d| !d.is_empty());
        Class::at(dir.map(PathBuf::from).unwrap_or_else(|| DEFAULT_DIR.into()))
    }

    /// The class kept in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Class {
        Class { dir: dir.into() }
    }

    /// The class folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn roster_path(&self) -> PathBuf {
        self.dir.join("class.json")
    }

    fn roster(&self) -> Result<Roster> {
        let path = self.roster_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::new(ErrorKind::Config, format!("read the class roster {}", path.display()), e.to_string())
                    .hint("fix the file by hand, or move it away to start the roster again")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Roster::default()),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    fn save_roster(&self, roster: &Roster) -> Result<()> {
        let text = serde_json::to_string_pretty(roster).unwrap_or_default() + "\n";
        crate::local::write_private(&self.roster_path(), &text)
    }

    /// Makes the class folder (only root reads what is in it, except the venv and the proxy).
    pub(crate) fn ensure_dir(&self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        need_root("set up a class")?;
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io("create folder", &self.dir, e))?;
        // Learners run the shared build and the venv from here: every folder above must let them through.
        for above in self.dir.ancestors().skip(1) {
            let mode = std::fs::metadata(above).map_err(|e| Error::io("read", above, e))?.permissions().mode();
            if mode & 0o001 == 0 {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("use {} as the class folder", self.dir.display()),
                    format!("it is inside {}, which other users cannot enter (mode {:o})", above.display(), mode & 0o777),
                )
                .hint(format!("learners could not run the class's build: choose a folder they can reach (the default is {DEFAULT_DIR}), or `chmod o+x {}`", above.display())));
            }
        }
        set_mode(&self.dir, 0o755)
    }

    /// The learners on the roster, in name order.
    pub fn learners(&self) -> Result<Vec<Learner>> {
        self.roster()?.learners.iter().map(|n| system_user(n)?.ok_or_else(|| missing_user(n))).collect()
    }

    /// The learner `name`, when on the roster.
    pub fn learner(&self, name: &str) -> Result<Learner> {
        if !self.roster()?.learners.contains(name) {
            return Err(Error::new(ErrorKind::NotFound, format!("find learner `{name}`"), "not in this class")
                .hint("`sourcelab class list` shows the class; `sourcelab class add NAME` adds a learner"));
        }
        system_user(name)?.ok_or_else(|| missing_user(name))
    }

    /// Adds learners: for each a system user with a private home and the labs copied into `~/sourcelab`. Every
    /// name is checked before anything is made, so a bad name changes nothing; a learner already in the class is
    /// refused (their files are never touched by `add`).
    pub fn add(&self, names: &[String], labs: &Path) -> Result<Vec<Learner>> {
        need_root("add learners")?;
        let mut roster = self.roster()?;
        let mut seen = BTreeSet::new();
        for name in names {
            check_name(name)?;
            if roster.learners.contains(name) {
                return Err(Error::new(ErrorKind::Input, format!("add learner `{name}`"), "already in this class")
                    .hint("their home and work stay as they are; `sourcelab class list` shows the class"));
            }
            if system_user(name)?.is_some() {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!("add learner `{name}`"),
                    "a system user of that name exists, and this class did not create it",
                )
                .hint("choose another name: a class never takes over an existing account"));
            }
            if !seen.insert(name.as_str()) {
                return Err(Error::new(ErrorKind::Input, format!("add learner `{name}`"), "named twice"));
            }
        }
        self.ensure_dir()?;
        let mut added = Vec::new();
        for name in names {
            process::run(
                &format!("create the system user `{name}`"),
                Command::new("useradd").args(["--create-home", "--user-group", "--shell", "/bin/bash"]).arg(name),
            )
            .map_err(|e| e.hint("is the disk full? `df -h /home`; the user can be removed with `userdel -r`"))?;
            roster.learners.insert(name.clone());
            match self.settle(name, &roster, labs) {
                Ok(learner) => added.push(learner),
                Err(e) => {
                    // Nothing half-made stays: the learner is taken off the roster and their user removed, so that
                    // `add` can simply be run again (learners added before them stay, complete).
                    roster.learners.remove(name);
                    let _ = self.save_roster(&roster);
                    let _ = process::run("remove the half-made user", Command::new("userdel").args(["-r", name]));
                    return Err(e);
                }
            }
        }
        Ok(added)
    }

    /// A new learner's user just made: the roster saved with them, their home private, their labs copied.
    fn settle(&self, name: &str, roster: &Roster, labs: &Path) -> Result<Learner> {
        self.save_roster(roster)?;
        let learner = system_user(name)?.ok_or_else(|| missing_user(name))?;
        set_mode(&learner.home, 0o700)?;
        self.copy_labs(labs, &learner)?;
        Ok(learner)
    }

    /// Gives every learner lab `lab` (`1`, `sql`, `01_sql`; `0` is 00_start_here): the learner copy, or with
    /// `solution` the solved notebook as `NN_name.solution.ipynb`. Never overwrites work: a learner's file that
    /// differs from what was released before (they worked in it) stays, and the new version goes beside it.
    pub fn release(&self, lab: &str, solution: bool, checkout: &Path) -> Result<Vec<(String, Delivered)>> {
        need_root("release a lab")?;
        let (from, name) = lab_file(lab, solution, checkout)?;
        let text = std::fs::read(&from).map_err(|e| Error::io("read", &from, e))?;
        let mut out = Vec::new();
        for learner in self.learners()? {
            out.push((learner.name.clone(), self.deliver(&learner, &name, &text)?));
        }
        Ok(out)
    }

    /// Puts `text` at `notebooks/name` in the learner's labs folder unless they changed the copy they have, and
    /// records it as the released version of `name`.
    fn deliver(&self, learner: &Learner, name: &str, text: &[u8]) -> Result<Delivered> {
        let released_dir = self.released_dir(learner);
        std::fs::create_dir_all(&released_dir).map_err(|e| Error::io("create folder", &released_dir, e))?;
        let before = std::fs::read(released_dir.join(name)).ok();
        let dest = learner.home.join(LABS_FOLDER).join("notebooks").join(name);
        let theirs = std::fs::read(&dest).ok();
        let done = match theirs {
            None => Delivered::New,
            Some(t) if t == text => Delivered::Unchanged,
            Some(t) if before.as_deref() == Some(&t[..]) => Delivered::Updated,
            Some(_) => {
                let stem = name.trim_end_matches(".ipynb");
                Delivered::Beside(dest.with_file_name(format!("{stem} (new version).ipynb")))
            }
        };
        let target = match &done {
            Delivered::Unchanged => None,
            Delivered::Beside(p) => Some(p.clone()),
            _ => Some(dest),
        };
        if let Some(target) = target {
            make_dirs_owned(&target, learner)?;
            let partial = target.with_extension("partial");
            std::fs::write(&partial, text).map_err(|e| Error::io("write", &partial, e))?;
            own(&partial, learner)?;
            std::fs::rename(&partial, &target).map_err(|e| Error::io("rename", &partial, e))?;
        }
        std::fs::write(released_dir.join(name), text).map_err(|e| Error::io("write", &released_dir.join(name), e))?;
        Ok(done)
    }

    /// Where the versions last given to `learner` are kept: in the class folder for everyone on a class server; in
    /// the learner's own home in a pod, whose class folder (the image) is read-only.
    fn released_dir(&self, learner: &Learner) -> PathBuf {
        if self.image_labs().is_dir() { learner.home.join(".sourcelab-released") } else { self.dir.join("released") }
    }

    /// The labs a single-user image carries for the learner's first start (see [`image`]); absent on a class server.
    pub(crate) fn image_labs(&self) -> PathBuf {
        self.dir.join("labs")
    }

    /// Puts one learner's lab `lab` (and the labs after it) back at its start, in their own stack, as
    /// `sourcelab reset LAB` would for them. Their notebooks are not touched.
    pub fn reset(&self, name: &str, lab: &str) -> Result<String> {
        need_root("reset a learner's lab")?;
        let learner = self.learner(name)?;
        crate::course::reset::parse_lab(lab)?;
        self.as_learner(&learner, &format!("reset lab {lab} of learner `{name}`"), &["reset", lab])
    }

    /// Runs `sourcelab ARGS…` (the shared binary) as the learner, in their labs folder with their environment, their
    /// stack up for it: started for the command and stopped after when their server was not running. Its output.
    pub(crate) fn as_learner(&self, learner: &Learner, what: &str, args: &[&str]) -> Result<String> {
        let home = learner.home.join(LABS_FOLDER);
        let script = "running=$(\"$0\" status 2>/dev/null | grep -c ' yes ' || true); \"$0\" up >/dev/null && \"$0\" \"$@\"; \
                      rc=$?; [ \"$running\" -gt 0 ] || \"$0\" down >/dev/null; exit $rc";
        // Nothing of root's environment reaches the learner's command (build folders, caches, the toolchain's paths).
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", &learner.name, "--", "env", "-i"]);
        for (k, v) in self.learner_env() {
            cmd.arg(format!("{k}={v}"));
        }
        cmd.args(["LANG=C.UTF-8", &format!("USER={}", learner.name), &format!("LOGNAME={}", learner.name)])
            .arg(format!("HOME={}", learner.home.display()))
            .arg(format!("SOURCELAB_HOME={}", home.display()))
            .args(["sh", "-c", script])
            .arg(self.shared_dir().join("bin").join("sourcelab"))
            .args(args)
            .current_dir(&home);
        process::run(what, &mut cmd)
    }

    /// Copies the labs a learner works in (00_start_here and the learner copies in `notebooks/exercises/`, with the
    /// lab data in `data/`) from `checkout` (or an image's labs folder, laid out the same) into `~/sourcelab`, owned
    /// by the learner. A data file already there is left as it is; notebooks are delivered as a release is.
    pub(crate) fn copy_labs(&self, checkout: &Path, learner: &Learner) -> Result<()> {
        let to = learner.home.join(LABS_FOLDER);
        let notebooks = to.join("notebooks");
        let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
        let start = checkout.join("notebooks").join("00_start_here.ipynb");
        files.push((start, notebooks.join("00_start_here.ipynb")));
        let exercises = checkout.join("notebooks").join("exercises");
        let listed = std::fs::read_dir(&exercises).map_err(|e| Error::io("read folder", &exercises, e))?;
        for entry in listed.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "ipynb") {
                files.push((path.clone(), notebooks.join(entry.file_name())));
            }
        }
        collect_files(&checkout.join("data"), &to.join("data"), &mut files)?;
        for (from, to_file) in files {
            if to_file.extension().is_some_and(|x| x == "ipynb") {
                let name = to_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let text = std::fs::read(&from).map_err(|e| Error::io("read", &from, e))?;
                self.deliver(learner, &name, &text)?;
                continue;
            }
            if to_file.exists() {
                continue;
            }
            make_dirs_owned(&to_file, learner)?;
            std::fs::copy(&from, &to_file).map_err(|e| Error::io("copy", &from, e))?;
            own(&to_file, learner)?;
        }
        Ok(())
    }

    /// Takes a learner off the roster and removes their system user. Their home stays (remove it yourself when
    /// their work is no longer needed).
    pub fn remove(&self, name: &str) -> Result<Learner> {
        need_root("remove a learner")?;
        let learner = self.learner(name)?;
        process::run(&format!("remove the system user `{name}`"), Command::new("userdel").arg(name))?;
        let mut roster = self.roster()?;
        roster.learners.remove(name);
        self.save_roster(&roster)?;
        Ok(learner)
    }
}

/// What a release did for one learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// They had no copy: now they do.
    New,
    /// Their copy was the earlier release, untouched: replaced by the new one.
    Updated,
    /// Their copy is already this version.
    Unchanged,
    /// They worked in their copy: it stays, and the new version is here beside it.
    Beside(PathBuf),
}

impl std::fmt::Display for Delivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivered::New => f.write_str("new"),
            Delivered::Updated => f.write_str("updated (their copy was untouched)"),
            Delivered::Unchanged => f.write_str("already this version"),
            Delivered::Beside(p) => write!(f, "their work kept; the new version is {}", p.display()),
        }
    }
}

/// The checkout's notebook for `lab` and the name it gets in a learner's folder.
fn lab_file(lab: &str, solution: bool, checkout: &Path) -> Result<(PathBuf, String)> {
    let n = lab.trim().trim_start_matches("lab").trim_start_matches('0');
    let notebooks = checkout.join("notebooks");
    if n.is_empty() || lab.trim() == "00_start_here" || lab.trim() == "start" {
        return Ok((notebooks.join("00_start_here.ipynb"), "00_start_here.ipynb".into()));
    }
    if lab.trim() == "all" {
        return Err(Error::new(ErrorKind::Input, "release lab \"all\"", "a release names one lab")
            .hint("e.g. `sourcelab class release 2`"));
    }
    let number = crate::course::reset::parse_lab(lab).map_err(|e| {
        Error::new(ErrorKind::Input, format!("release lab {lab:?}"), "there is no such lab")
            .hint(e.hint_text().unwrap_or_default().to_string())
    })?;
    let stem = crate::course::reset::notebook_of(number);
    Ok(if solution {
        (notebooks.join(format!("{stem}.ipynb")), format!("{stem}.solution.ipynb"))
    } else {
        (notebooks.join("exercises").join(format!("{stem}.ipynb")), format!("{stem}.ipynb"))
    })
}

impl Default for Class {
    fn default() -> Self {
        Class::new()
    }
}

/// Every file under `from`, paired with its place under `to`.
fn collect_files(from: &Path, to: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    for entry in std::fs::read_dir(from).map_err(|e| Error::io("read folder", from, e))?.flatten() {
        let (path, dest) = (entry.path(), to.join(entry.file_name()));
        if path.is_dir() {
            collect_files(&path, &dest, out)?;
        } else if path.is_file() {
            out.push((path, dest));
        }
    }
    Ok(())
}

/// Creates the folders above `file` inside the learner's home, owned by the learner.
fn make_dirs_owned(file: &Path, learner: &Learner) -> Result<()> {
    let Some(parent) = file.parent() else { return Ok(()) };
    let mut missing = Vec::new();
    let mut dir = parent;
    while !dir.exists() && dir.starts_with(&learner.home) {
        missing.push(dir.to_path_buf());
        match dir.parent() {
            Some(p) => dir = p,
            None => break,
        }
    }
    for d in missing.iter().rev() {
        std::fs::create_dir(d).map_err(|e| Error::io("create folder", d, e))?;
        own(d, learner)?;
    }
    Ok(())
}

fn own(path: &Path, learner: &Learner) -> Result<()> {
    let gid = std::fs::metadata(&learner.home).map(|m| std::os::unix::fs::MetadataExt::gid(&m)).ok();
    std::os::unix::fs::chown(path, Some(learner.uid), gid).map_err(|e| Error::io("give the learner", path, e))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| Error::io("set mode", path, e))
}

fn need_root(what: &str) -> Result<()> {
    if process::is_root() {
        return Ok(());
    }
    Err(Error::new(ErrorKind::Setup, what, "a class creates system users and serves them: it needs root")
        .hint("run it with sudo on the class server"))
}

fn missing_user(name: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("find the system user of learner `{name}`"), "it no longer exists")
        .hint(format!("someone removed it; `sourcelab class remove {name}` takes them off the roster"))
}

/// Whether `name` can be a learner: a portable system user name that JupyterHub keeps as typed.
pub fn check_name(name: &str) -> Result<()> {
    let fits = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if fits {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Input,
        format!("add learner `{name}`"),
        "not a valid user name: 1 to 32 characters, lowercase letters, digits, `_` and `-`, starting with a letter",
    )
    .hint("e.g. `alice`, `bob-2`, `c_smith`"))
}

/// The system user `name` (from `/etc/passwd`), if there is one.
fn system_user(name: &str) -> Result<Option<Learner>> {
    let passwd = Path::new("/etc/passwd");
    let text = std::fs::read_to_string(passwd).map_err(|e| Error::io("read", passwd, e))?;
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 6 && f[0] == name {
            let uid = f[2].parse().map_err(|_| {
                Error::new(
                    ErrorKind::Config,
                    format!("read the user `{name}` in /etc/passwd"),
                    "its uid is not a number",
                )
            })?;
            return Ok(Some(Learner { name: name.to_string(), home: PathBuf::from(f[5]), uid }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_learner_can_have() {
        for ok in ["alice", "bob-2", "c_smith", "a"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Alice", "2bob", "-x", "a b", "al/ice", "ålice", &"a".repeat(33)] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.contains("not a valid user name") && e.contains("hint"), "{bad}: {e}");
        }
    }

    #[test]
    fn root_is_a_system_user_and_a_made_up_name_is_not() {
        assert_eq!(system_user("root").unwrap().map(|u| u.uid), Some(0));
        assert_eq!(system_user("no-such-user-sourcelab").unwrap(), None);
    }
}
