//! What every learner's kernel shares, built once by the instructor and read-only for learners (`shared/` in the
//! class folder):
//!
//! | folder | what | made by |
//! |---|---|---|
//! | `toolchain/` | the Rust toolchain cells compile with (the instructor's, whose `~/.rustup` learners cannot read) | hard links (`cp -al`): no copy on disk |
//! | `cargo/registry/` | the crates the notebook crate is built from, for offline builds | hard links |
//! | `bin/sourcelab` | the kernel (and the learner's server wrapper) | a copy of the built `sourcelab` |
//! | `kernel/` | `init.evcxr`, `prelude.rs`, the notebook crate's sources, the headless runner | a copy of the checkout's `kernel/` |
//! | `course/notebooks/` | the solution notebooks, which define the exercises a grader looks for | a copy |
//! | `cache/evcxr-work/0/` | a kernel work folder with the notebook crate built | one kernel run at `up` |
//!
//! A learner's first kernel copies the built work folder into their own cache (`~/.cache/sourcelab`) instead of
//! compiling the notebook crate again: every path a build records (toolchain, registry, notebook crate) is the
//! same for every learner, so cargo finds it all fresh.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Class;
use crate::error::{Error, ErrorKind, Result};
use crate::local::process;

impl Class {
    /// The shared, read-only folder of the class.
    pub fn shared_dir(&self) -> PathBuf {
        self.dir.join("shared")
    }

    /// The environment of every learner's server and kernel (besides `SOURCELAB_HOME`, which is their own).
    pub(crate) fn learner_env(&self) -> Vec<(&'static str, String)> {
        let shared = self.shared_dir();
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            (
                "PATH",
                format!(
                    "{}:{}:/usr/local/bin:/usr/bin:/bin",
                    s(shared.join("toolchain/bin")),
                    s(self.venv().join("bin"))
                ),
            ),
            ("SOURCELAB_CLASS_DIR", s(self.dir.clone())),
            ("CARGO_HOME", s(shared.join("cargo"))),
            ("SOURCELAB_VENV", s(self.venv())),
            ("SOURCELAB_KERNEL_DIR", s(shared.join("kernel"))),
            ("SOURCELAB_SHARED_CACHE", s(shared.join("cache"))),
            (crate::local::moto::PRIVATE_VAR, "1".into()),
        ]
    }

    /// Builds (or refreshes) the shared folder from this checkout and this binary, then warms the kernel once.
    pub fn install_shared(&self, checkout: &Path) -> Result<()> {
        self.install_shared_files(checkout)?;
        self.finish_shared()
    }

    /// The shared folder's files: the toolchain, cargo's registry, the binary, the kernel's files, the course.
    pub(crate) fn install_shared_files(&self, checkout: &Path) -> Result<()> {
        let shared = self.shared_dir();
        std::fs::create_dir_all(&shared).map_err(|e| Error::io("create folder", &shared, e))?;
        // The toolchain: linked anew when the instructor's rustc changed.
        let rustc_version = process::run("read the Rust version", Command::new("rustc").arg("-vV"))?;
        let marker = shared.join("toolchain.version");
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(rustc_version.as_str()) {
            let sysroot = process::run("find the Rust toolchain", Command::new("rustc").args(["--print", "sysroot"]))?;
            link_copy(Path::new(sysroot.trim()), &shared.join("toolchain"))?;
            write(&marker, &rustc_version)?;
        }
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .ok_or_else(|| {
                Error::new(ErrorKind::Setup, "find cargo's registry", "neither CARGO_HOME nor HOME is set")
            })?;
        link_copy(&cargo_home.join("registry"), &shared.join("cargo").join("registry"))?;
        // The kernel binary and its files.
        let exe = process::sourcelab_bin()?;
        let bin = shared.join("bin");
        std::fs::create_dir_all(&bin).map_err(|e| Error::io("create folder", &bin, e))?;
        let partial = bin.join(".sourcelab.partial");
        std::fs::copy(&exe, &partial).map_err(|e| Error::io("copy", &exe, e))?;
        std::fs::rename(&partial, bin.join("sourcelab")).map_err(|e| Error::io("rename", &partial, e))?;
        let kernel = shared.join("kernel");
        let _ = std::fs::remove_dir_all(&kernel);
        crate::kernel::copy_tree(&checkout.join("kernel"), &kernel)?;
        // The solution notebooks: what the grader reads the labs' exercises from.
        let course = shared.join("course").join("notebooks");
        let _ = std::fs::remove_dir_all(&course);
        std::fs::create_dir_all(&course).map_err(|e| Error::io("create folder", &course, e))?;
        let notebooks = checkout.join("notebooks");
        for entry in std::fs::read_dir(&notebooks).map_err(|e| Error::io("read folder", &notebooks, e))?.flatten() {
            if entry.path().extension().is_some_and(|x| x == "ipynb") {
                std::fs::copy(entry.path(), course.join(entry.file_name()))
                    .map_err(|e| Error::io("copy", &entry.path(), e))?;
            }
        }
        Ok(())
    }

    /// What needs the class's venv at its final place: "Rust (sourcelab)" in its Jupyter, and the warm kernel.
    pub(crate) fn finish_shared(&self) -> Result<()> {
        self.write_kernelspec()?;
        self.warm_kernel()
    }

    /// "Rust (sourcelab)" in the class venv's Jupyter: the shared binary, with the shared folders.
    fn write_kernelspec(&self) -> Result<()> {
        let dir = self.venv().join("share/jupyter/kernels").join(crate::kernel::KERNEL_NAME);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
        let env: serde_json::Map<String, serde_json::Value> = self
            .learner_env()
            .into_iter()
            .filter(|(k, _)| *k != "PATH")
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        let spec = serde_json::json!({
            "argv": [self.shared_dir().join("bin/sourcelab"), "kernel", "launch", "{connection_file}"],
            "display_name": crate::kernel::KERNEL_DISPLAY_NAME,
            "language": "rust",
            "interrupt_mode": "message",
            "env": env,
        });
        write(&dir.join("kernel.json"), &serde_json::to_string_pretty(&spec).unwrap_or_default())
    }

    /// Runs one kernel as a learner's would run (the shared folders, a cache in `shared/cache`), so that its work
    /// folder holds the built notebook crate for learners to copy. Skipped when the kernel files did not change.
    fn warm_kernel(&self) -> Result<()> {
        let shared = self.shared_dir();
        let cache = shared.join("cache");
        let kernel = shared.join("kernel");
        let read = |p: &str| std::fs::read_to_string(kernel.join(p)).unwrap_or_default();
        let exe_len = std::fs::metadata(shared.join("bin/sourcelab")).map(|m| m.len()).unwrap_or(0);
        let key = crate::short_hash(&format!(
            "{exe_len}\n{}\n{}\n{}\n{}",
            read("init.evcxr"),
            read("prelude.rs"),
            read("notebook/Cargo.toml"),
            std::fs::read_to_string(shared.join("toolchain.version")).unwrap_or_default()
        ));
        let marker = cache.join(format!("warm-{key:08x}"));
        if marker.is_file() && cache.join("evcxr-work/0/target").is_dir() {
            return Ok(());
        }
        let _ = std::fs::remove_dir_all(&cache);
        let home = shared.join("warm-home");
        std::fs::create_dir_all(&home).map_err(|e| Error::io("create folder", &home, e))?;
        eprintln!("sourcelab: building the notebook crate once for every learner (a few minutes the first time)");
        let script = "from jupyter_client.manager import start_new_kernel\n\
            km, kc = start_new_kernel(kernel_name='sourcelab', startup_timeout=1800)\n\
            reply = kc.execute_interactive('1 + 1', timeout=1800)\n\
            km.shutdown_kernel(now=True)\n\
            raise SystemExit(0 if reply['content']['status'] == 'ok' else 1)\n";
        let mut cmd = Command::new(self.venv().join("bin/python"));
        cmd.args(["-c", script])
            .env("SOURCELAB_CACHE", &cache)
            .env("SOURCELAB_HOME", &home)
            .env_remove("CARGO_TARGET_DIR");
        for (k, v) in self.learner_env() {
            cmd.env(k, v);
        }
        process::run("build the notebook crate for the class", &mut cmd)?;
        write(&marker, "")
    }
}

/// Makes `to` a copy of `from` whose files are hard links (same disk, no space used), replacing what was there.
fn link_copy(from: &Path, to: &Path) -> Result<()> {
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
    }
    process::run(
        &format!("link {} into the class", from.display()),
        Command::new("cp").arg("-al").arg(from).arg(&partial),
    )
    .map_err(|e| e.hint("the class folder must be on the same disk as the toolchain and ~/.cargo (hard links)"))?;
    let _ = std::fs::remove_dir_all(to);
    std::fs::rename(&partial, to).map_err(|e| Error::io("rename", &partial, e))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("write", path, e))
}
