//! Every solution notebook as a script against the library (`sourcelab::course::script`): all code cells of each,
//! in order, compiled together with rustc against the `sourcelab` the tests use, then run against the local stack.
//! A helper a cell calls that the library lacks, with other arguments or another result, fails here. And
//! `examples/lab05_acid.rs` is what `sourcelab script` writes for lab 5 now.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sourcelab::course::script;

fn home() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The solution notebooks, in lab order.
fn notebooks() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(home().join("notebooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ipynb"))
        .collect();
    all.sort();
    assert!(all.len() >= 9, "the labs' notebooks: {all:?}");
    all
}

/// One program holding every notebook as a function `labNN_name()`, and a `main` that runs those named on its
/// command line, in order.
fn program(notebooks: &[PathBuf]) -> String {
    let mut out = String::from("#![allow(unused, redundant_semicolons, clippy::all)]\n");
    let mut names = Vec::new();
    for nb in notebooks {
        let file = nb.file_name().unwrap().to_string_lossy().to_string();
        let stem = nb.file_stem().unwrap().to_string_lossy().to_string();
        let body = script::statements(&std::fs::read_to_string(nb).unwrap(), &file).unwrap();
        out.push_str(&format!(
            "mod lab{stem} {{\n    use sourcelab::prelude::*;\n    pub fn run() -> Result<()> {{\n{body}\n        Ok(())\n    }}\n}}\n"
        ));
        names.push(stem);
    }
    out.push_str("fn main() {\n    for lab in std::env::args().skip(1) {\n        println!(\"=== {lab}\");\n        let run = match lab.as_str() {\n");
    for n in &names {
        out.push_str(&format!("            {n:?} => lab{n}::run,\n"));
    }
    out.push_str(
        "            other => panic!(\"no lab {other}\"),\n        };\n        if let Err(e) = run() {\n            eprintln!(\"{lab} failed: {e}\");\n            std::process::exit(1);\n        }\n    }\n}\n",
    );
    out
}

/// The library as the tests built it: its rlib, the folder of its dependencies and the native library folders its
/// build scripts named (`cargo build --lib --message-format=json`, which has nothing to do after `cargo test`'s
/// build but says where everything is).
fn library() -> (PathBuf, Vec<String>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--lib", "--message-format=json", "--quiet"])
        .current_dir(home())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo build --lib: {}", String::from_utf8_lossy(&out.stderr));
    let mut rlib = None;
    let mut search = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else { continue };
        match msg["reason"].as_str() {
            Some("compiler-artifact") if msg["target"]["name"] == "sourcelab" => {
                let files = msg["filenames"].as_array().unwrap();
                rlib = files.iter().filter_map(Value::as_str).find(|f| f.ends_with(".rlib")).map(PathBuf::from);
            }
            Some("build-script-executed") => {
                for p in msg["linked_paths"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    search.push(format!("-L{p}"));
                }
            }
            _ => {}
        }
    }
    let rlib = rlib.expect("cargo named the library's rlib");
    search.push(format!("-Ldependency={}", rlib.parent().unwrap().join("deps").display()));
    (rlib, search)
}

fn compile(source: &Path, output: &Path) {
    let (rlib, search) = library();
    let status = Command::new("rustc")
        .args(["--edition", "2024", "--crate-type", "bin", "-Cdebuginfo=0", "--extern"])
        .arg(format!("sourcelab={}", rlib.display()))
        .args(&search)
        .arg("-o")
        .arg(output)
        .arg(source)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "a notebook does not compile as a script against the library (errors above; the cells are in {})",
        source.display()
    );
}

#[test]
fn every_notebook_compiles_and_runs_as_a_script() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("notebook-scripts");
    std::fs::create_dir_all(&dir).unwrap();
    let notebooks = notebooks();
    let source = dir.join("notebooks.rs");
    std::fs::write(&source, program(&notebooks)).unwrap();
    let binary = dir.join("notebooks");
    compile(&source, &binary);

    let stack = common::stack();
    let labs: Vec<String> = notebooks.iter().map(|p| p.file_stem().unwrap().to_string_lossy().to_string()).collect();
    // Lab 4's gateway is the `sourcelab` program; a script finds it in the build folder, the test names the one it built.
    let out = Command::new(&binary)
        .args(&labs)
        .current_dir(stack.home().join("notebooks"))
        .env("SOURCELAB_BIN", env!("CARGO_BIN_EXE_sourcelab"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // Every lab ran to its end, and what the cells show was printed: a check's pass, a query's table.
    for lab in &labs {
        assert!(stdout.contains(&format!("=== {lab}")), "{lab} did not run:\n{stdout}");
    }
    assert!(stdout.contains("rentio"), "lab 0 prints the database it reached:\n{stdout}");
}

#[test]
fn the_lab_5_example_is_the_notebook_as_a_script() {
    let nb = home().join("notebooks/05_acid.ipynb");
    let now = script::script(&std::fs::read_to_string(&nb).unwrap(), "05_acid.ipynb").unwrap();
    let committed = std::fs::read_to_string(home().join("examples/lab05_acid.rs")).unwrap_or_default();
    assert!(
        committed == now,
        "examples/lab05_acid.rs is not what `sourcelab script notebooks/05_acid.ipynb` writes now: run it and commit the result"
    );
}
