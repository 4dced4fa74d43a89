//! Putting labs back at their start: `sourcelab reset [LAB|all]`.
//!
//! Each lab makes things in the stack — tables, items, buckets, users, queues, log lines. [`reset`] removes what
//! lab `from` made and what every lab after it made (a later lab may build on an earlier one: lab 8 reads lab 1's
//! tables), while the stack keeps running, and says what it removed. `all` is lab 1 onwards.
//!
//! | lab | back at its start means |
//! |---|---|
//! | 1 `sql` | the fifteen Rentio tables dropped and generated again (every edit gone), `category_copy` dropped |
//! | 2 `dynamodb` | the tables starting with [`LAB2_PREFIX`] deleted |
//! | 3 `s3` | its bucket (`de-c2w1lab3-ACCOUNT-REGION`, [`LAB3_PREFIX`]) deleted with every version of every object; the files the lab downloaded |
//! | 4 `connectivity` | the scenario rebuilt: network, RDS instance, password, bucket policy, gateway |
//! | 5 `acid` | the `acid` database and the lab's DynamoDB tables dropped |
//! | 6 `iam` | every user, group, role and policy of the lab, and its bucket, removed |
//! | 7 `streaming` | the lab's queues and streams deleted |
//! | 8 `logs` | the web shop's three logs emptied (a running shop goes on appending), damaged copies removed |
//!
//! The databases' own logs (lab 8 reads them too) are the servers', not the lab's: they are kept.

use std::path::Path;

use crate::config::EnvFile;
use crate::error::{Error, ErrorKind, Result};
use crate::local::Stack;
use crate::sql::Db;

/// The tables lab 2 makes start with this (`notebooks/02_dynamodb`'s first cell).
pub const LAB2_PREFIX: &str = "de-c2w1-dynamodb";
/// Lab 3's bucket is this, your account id and the region (`notebooks/03_s3`'s first cell:
/// `s3.account_bucket(PREFIX)?`).
pub const LAB3_PREFIX: &str = "de-c2w1lab3";
/// The files lab 3 downloads, relative to the notebooks' folder.
pub const LAB3_DOWNLOADS: &[&str] = &["downloads/ratings.csv", "downloads/delivery-stream-one-record.json"];

/// The labs in course order: number, name, notebook.
pub const LABS: [(u8, &str, &str); 8] = [
    (1, "sql", "01_sql"),
    (2, "dynamodb", "02_dynamodb"),
    (3, "s3", "03_s3"),
    (4, "connectivity", "04_connectivity"),
    (5, "acid", "05_acid"),
    (6, "iam", "06_iam"),
    (7, "streaming", "07_streaming"),
    (8, "logs", "08_logs"),
];

/// The lab `name` names: its number (`3`, `03`), its name (`s3`), its notebook (`03_s3`), `lab4`, or `all` (1).
pub fn parse_lab(name: &str) -> Result<u8> {
    let n = name.trim().to_ascii_lowercase();
    if n == "all" {
        return Ok(1);
    }
    let found = LABS.iter().find(|(num, short, notebook)| {
        n == **short || n == *notebook || n.trim_start_matches("lab").trim_start_matches('0') == num.to_string()
    });
    found.map(|(num, ..)| *num).ok_or_else(|| {
        let names: Vec<String> = LABS.iter().map(|(num, short, _)| format!("{num} ({short})")).collect();
        Error::new(ErrorKind::Input, format!("reset lab {name:?}"), "there is no such lab")
            .hint(format!("name one of {} or `all`", names.join(", ")))
    })
}

/// Lab `lab`'s notebook (`01_sql`); empty for a number that is no lab.
pub fn notebook_of(lab: u8) -> &'static str {
    LABS.iter().find(|l| l.0 == lab).map_or("", |l| l.2)
}

/// What a reset removed from one lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabReset {
    /// The lab's number.
    pub lab: u8,
    /// Its name (`sql`, `dynamodb`, …).
    pub name: &'static str,
    /// What was removed or rebuilt, one line each.
    pub removed: Vec<String>,
}

/// Puts lab `from` and every later lab back at its start (see the module doc), last lab first; what each removed.
/// `env` names the services (the labs' .env); `stack` holds the lab 4 scenario and the logs folder.
pub fn reset(stack: &Stack, env: &EnvFile, from: u8) -> Result<Vec<LabReset>> {
    let mut out = Vec::new();
    for (lab, name, _) in LABS.iter().rev().filter(|(n, ..)| *n >= from) {
        let removed = match lab {
            1 => reset_sql(env)?,
            2 | 6 | 7 => crate::course::account::cleanup(env, *lab)?,
            3 => reset_s3(stack, env)?,
            4 => reset_connectivity(stack)?,
            5 => crate::acid::reset(env)?,
            _ => reset_logs(stack)?,
        };
        out.push(LabReset { lab: *lab, name, removed });
    }
    out.reverse();
    Ok(out)
}

fn reset_sql(env: &EnvFile) -> Result<Vec<String>> {
    let cfg = env.mysql()?;
    if cfg.database.eq_ignore_ascii_case("sakila") {
        return Err(Error::new(
            ErrorKind::Input,
            "reset lab 1",
            "DBNAME is sakila: its tables are the official dump, not our generated Rentio",
        )
        .hint("reload the dump with `sourcelab data sakila --from FOLDER`, or set DBNAME back to the lab database"));
    }
    let db = Db::connect(&cfg)?;
    let mut removed = Vec::new();
    if db.has_table("category_copy")? {
        db.execute("DROP TABLE category_copy")?;
        removed.push(format!("table category_copy (database {})", cfg.database));
    }
    db.execute(&crate::rentio::drop_sql())?;
    crate::rentio::load_if_empty(&db)?;
    removed.push(format!("the 15 Rentio tables in database {}, generated again", cfg.database));
    Ok(removed)
}

fn reset_s3(stack: &Stack, env: &EnvFile) -> Result<Vec<String>> {
    let mut removed = crate::course::account::cleanup(env, 3)?;
    for rel in LAB3_DOWNLOADS {
        let path = stack.home().join("notebooks").join(rel);
        if remove_file(&path)? {
            removed.push(format!("file {}", path.display()));
        }
    }
    Ok(removed)
}

fn reset_connectivity(stack: &Stack) -> Result<Vec<String>> {
    stack.up()?;
    let lab = crate::lab4::Lab4::setup()?;
    let (address, port) = lab.rds_endpoint()?;
    Ok(vec![format!(
        "lab 4's scenario, rebuilt: RDS endpoint {address}:{port}, bucket {}, client {}",
        lab.bucket(),
        lab.client()?
    )])
}

fn reset_logs(stack: &Stack) -> Result<Vec<String>> {
    let logs = stack.logs_dir();
    let mut removed = Vec::new();
    for name in [crate::lab8::ACCESS_LOG, crate::lab8::APP_LOG, crate::lab8::AUTH_LOG] {
        let path = logs.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if text.is_empty() {
            continue;
        }
        // Emptied, not deleted: a shop still running in a kernel appends to the same file.
        std::fs::OpenOptions::new().write(true).truncate(true).open(&path).map_err(|e| Error::io("empty", &path, e))?;
        removed.push(format!("{} lines of {}", text.lines().count(), path.display()));
    }
    let entries = std::fs::read_dir(&logs).map_err(|e| Error::io("list", &logs, e))?;
    for path in entries.flatten().map(|e| e.path()) {
        if path.to_string_lossy().ends_with(".damaged.log") && remove_file(&path)? {
            removed.push(format!("file {}", path.display()));
        }
    }
    Ok(removed)
}

/// Removes `path`; whether it was there.
fn remove_file(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labs_are_named_by_number_name_or_notebook() {
        for (name, lab) in [("all", 1), ("3", 3), ("03", 3), ("s3", 3), ("03_s3", 3), ("lab4", 4), ("logs", 8)] {
            assert_eq!(parse_lab(name).unwrap(), lab, "{name}");
        }
        let e = parse_lab("9").unwrap_err().to_string();
        assert!(e.contains("\"9\"") && e.contains("8 (logs)") && e.contains("`all`"), "{e}");
        assert!(parse_lab("").is_err() && parse_lab("lab").is_err());
    }

    #[test]
    fn the_names_are_the_ones_the_notebooks_use() {
        let read = |n: &str| std::fs::read_to_string(crate::home().join("notebooks").join(n)).unwrap();
        assert!(read("02_dynamodb.ipynb").contains(&format!("const PREFIX: &str = \\\"{LAB2_PREFIX}\\\"")));
        assert!(read("03_s3.ipynb").contains(&format!("s3.account_bucket(\\\"{LAB3_PREFIX}\\\")?")));
        for rel in LAB3_DOWNLOADS {
            assert!(read("03_s3.ipynb").contains(&format!("\\\"{rel}\\\"")), "{rel}");
        }
    }
}
