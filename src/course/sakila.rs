//! The official Sakila dump, for learners who want the course's exact outputs.
//!
//! `sourcelab data sakila --from SOURCE` loads the dump's schema and data files (names containing `schema` and
//! `data`, ending in `.sql`) from a folder, a `.zip` file or an `http(s)://` URL of a zip into database `sakila` on the MySQL / MariaDB server of the env file,
//! with the `mariadb` command-line client: the dump uses `DELIMITER` blocks for its triggers and routines, which only
//! the client understands. MariaDB skips the dump's MySQL-only spatial parts by itself (they sit in versioned
//! comments). Afterwards set `DBNAME=sakila` in `.env`.

use crate::frame::TableExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::DbConfig;
use crate::error::{Error, ErrorKind, Result};

/// Turns a source (folder, zip file, or URL of a zip) into a folder holding the dump; zips are unpacked into
/// `work` (with the `unzip` program), URLs downloaded there first (with `curl`).
pub fn resolve_source(source: &str, work: &Path) -> Result<PathBuf> {
    let run = |what: &str, cmd: &mut Command| crate::local::process::run(what, cmd).map(|_| ());
    let zip = if source.starts_with("http://") || source.starts_with("https://") {
        let curl = crate::local::process::require_program("curl", "curl", &[])?;
        std::fs::create_dir_all(work).map_err(|e| Error::io("create folder", work, e))?;
        let target = work.join("sakila-download.zip");
        run(&format!("download {source}"), Command::new(curl).args(["-fsSL", "-o"]).arg(&target).arg(source))
            .map_err(|e| e.hint("check the URL; it must point at a zip of the Sakila dump"))?;
        target
    } else {
        let path = PathBuf::from(source);
        if path.is_dir() {
            return Ok(path);
        }
        if !path.is_file() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("read the Sakila dump at {source}"),
                "no such file or folder",
            )
            .hint("give a folder with the .sql files, a .zip of them, or an http(s) URL of the zip"));
        }
        path
    };
    let unzip = crate::local::process::require_program("unzip", "unzip", &[])?;
    let dir = work.join("sakila-dump");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, e))?;
    run(&format!("unpack {}", zip.display()), Command::new(unzip).arg("-q").arg("-o").arg(&zip).arg("-d").arg(&dir))
        .map_err(|e| e.hint("is it a zip file?"))?;
    // The files may sit in a folder inside the zip.
    let mut candidates = vec![dir.clone()];
    if let Ok(rd) = std::fs::read_dir(&dir) {
        candidates.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    candidates.into_iter().find(|d| dump_files(d).is_ok()).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("find the Sakila .sql files in {}", zip.display()),
            "the zip holds no schema and data .sql files",
        )
        .hint("use the zip of the MySQL Sakila sample database")
    })
}

/// The schema and data files of a dump folder.
pub fn dump_files(folder: &Path) -> Result<(PathBuf, PathBuf)> {
    let entries = std::fs::read_dir(folder).map_err(|e| Error::io("read the Sakila folder", folder, e))?;
    let sql: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
    let find = |word: &str| {
        sql.iter().find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(word))).cloned().ok_or_else(
            || {
                Error::new(
                    ErrorKind::NotFound,
                    format!("find the Sakila {word} file in {}", folder.display()),
                    format!("no .sql file with `{word}` in its name"),
                )
                .hint("point --from at the folder with sakila-schema.sql and sakila-data.sql")
            },
        )
    };
    Ok((find("schema")?, find("data")?))
}

/// A table of database `sakila` whose row count is not the official dump's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountDiff {
    /// The table.
    pub table: String,
    /// Its rows in the official dump ([`crate::rentio::ROW_COUNTS`]).
    pub official: usize,
    /// Its rows here (0 when the table is missing).
    pub found: usize,
}

impl std::fmt::Display for CountDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "table {} has {} rows; the official dump has {}", self.table, self.found, self.official)
    }
}

/// Loads the dump in `folder` into database `sakila` on the server `cfg` names (replacing an earlier copy), then
/// counts the fifteen tables' rows: the tables whose count is not the official dump's (none for the official one:
/// 16,049 payments, five of them with no rental). A partial or altered dump loads, and the differences say so.
pub fn load(cfg: &DbConfig, folder: &Path, state_dir: &Path) -> Result<Vec<CountDiff>> {
    let (schema, data) = dump_files(folder)?;
    let client = crate::local::process::require_program("mariadb", "mariadb-client", &[PathBuf::from("/usr/bin")])?;
    // The password goes in an option file readable by us only, never on the command line.
    let options = state_dir.join("sakila-client.cnf");
    let pw = cfg.password.expose().replace('\\', "\\\\").replace('"', "\\\"");
    crate::local::write_private(&options, &format!("[client]\npassword=\"{pw}\"\n"))?;
    let result = [&schema, &data].iter().try_for_each(|file| {
        let input = std::fs::File::open(file).map_err(|e| Error::io("read", file, e))?;
        let out = Command::new(&client)
            .arg(format!("--defaults-extra-file={}", options.display()))
            .args(["--protocol=TCP", "--default-character-set=utf8mb4", "-h", &cfg.host, "-P", &cfg.port.to_string()])
            .args(["-u", &cfg.user])
            .stdin(Stdio::from(input))
            .output()
            .map_err(|e| Error::new(ErrorKind::Setup, "run the mariadb client", e.to_string()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Service,
                format!("load {} into {}", file.display(), cfg.endpoint()),
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            )
            .hint("check that the file is the MySQL Sakila dump and that the DBUSER may create databases"))
        }
    });
    let _ = std::fs::remove_file(&options);
    result?;
    let mut sakila = cfg.clone();
    sakila.database = "sakila".into();
    count_differences(&crate::sql::Db::connect(&sakila)?)
}

/// The tables of `db` whose row count differs from the official dump's.
pub fn count_differences(db: &crate::sql::Db) -> Result<Vec<CountDiff>> {
    let mut out = Vec::new();
    for (table, official) in crate::rentio::ROW_COUNTS {
        let found = if db.has_table(table)? {
            let n = db.query(&format!("SELECT COUNT(*) AS n FROM {table}"))?;
            n.value(0, "n")?.as_u64().unwrap_or(0) as usize
        } else {
            0
        };
        if found != official {
            out.push(CountDiff { table: table.to_string(), official, found });
        }
    }
    Ok(out)
}
