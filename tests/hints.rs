//! Hints show code a learner can run in a cell as cells are now: plain blocking calls, never `.await` (a cell with
//! `.await` makes evcxr pull tokio into the cell's build).

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_message_for_learners_shows_await() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("kernel/notebook/src"), &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            // A string literal that shows `….await` to a reader (code, not a message, has no backtick before it).
            if line.contains("`") && line.contains(".await") && line.contains('"') {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "messages that show .await:\n{}", found.join("\n"));
    assert!(files.len() > 40, "the sources were not found ({} files)", files.len());
}
