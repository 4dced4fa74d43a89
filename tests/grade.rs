//! `sourcelab grade` on real submissions, run in real kernels: the solutions (every exercise passed), a learner
//! copy as handed out (every exercise not attempted), and hand-made broken ones — a wrong answer, a compile error,
//! an infinite loop, a file that is not JSON — each reported as such without stopping the others.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Both tests run lab 1, whose notebook creates and drops the same table: one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn notebook(name: &str) -> String {
    std::fs::read_to_string(sourcelab::home().join("notebooks").join(name)).unwrap()
}

fn learner_copy(name: &str) -> String {
    std::fs::read_to_string(sourcelab::home().join("notebooks").join("exercises").join(name)).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs `sourcelab grade`; (success, what it printed, outcome per (learner, exercise), message per (learner, exercise)).
/// (learner, exercise) → (outcome, message).
type Rows = BTreeMap<(String, String), (String, String)>;

fn grade(folder: &Path, limit: u64) -> (bool, String, Rows) {
    let out = folder.join("_grades");
    let run = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(["grade"])
        .arg(folder)
        .arg("--out")
        .arg(&out)
        .args(["--limit", &limit.to_string()])
        .env("SOURCELAB_HOME", common::stack().home())
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    let csv =
        std::fs::read_to_string(out.join("gradebook.csv")).unwrap_or_else(|e| panic!("no gradebook.csv ({e}): {said}"));
    assert!(out.join("gradebook.html").is_file(), "no gradebook.html");
    let mut rows = BTreeMap::new();
    for r in parse_csv(&csv).into_iter().skip(1) {
        assert_eq!(r.len(), 5, "learner,notebook,exercise,outcome,message: {r:?}");
        rows.insert((r[0].clone(), r[2].clone()), (r[3].clone(), r[4].clone()));
    }
    (run.status.success(), said, rows)
}

/// RFC 4180: fields in quotes may hold commas, newlines and doubled quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (vec![], vec![], String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

fn outcomes(rows: &Rows, learner: &str) -> Vec<String> {
    rows.iter().filter(|((l, _), _)| l == learner).map(|(_, (o, _))| o.clone()).collect()
}

#[test]
fn solutions_pass_learner_copies_are_not_attempted_and_a_wrong_answer_fails_with_the_checks_message() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let solution = notebook("01_sql.ipynb");
    write(&dir.path().join("sol").join("01_sql.ipynb"), &solution);
    write(&dir.path().join("sol").join("06_iam.ipynb"), &notebook("06_iam.ipynb"));
    write(&dir.path().join("starter-01_sql.ipynb"), &learner_copy("01_sql.ipynb"));
    let wrong =
        solution.replace("SELECT title, length, release_year FROM film LIMIT 4", "SELECT title FROM film LIMIT 4");
    assert_ne!(wrong, solution);
    write(&dir.path().join("wrong").join("01_sql.ipynb"), &wrong);
    // Exercise 5 is Rust: a learner's argument of the wrong type does not compile.
    let nocompile = solution.replace("let inserted = db.execute(", "let inserted = db.execute(42, ");
    assert_ne!(nocompile, solution);
    write(&dir.path().join("nocompile_01_sql.ipynb"), &nocompile);

    let (ok, said, rows) = grade(dir.path(), 300);
    assert!(ok, "every notebook ran to its end, so the exit code is success: {said}");
    let sol = outcomes(&rows, "sol");
    assert!(sol.len() >= 12 + 6 && sol.iter().all(|o| o == "passed"), "{sol:?}\n{said}");
    let starter = outcomes(&rows, "starter");
    // Exercise 3 comes solved in the learner copy (its check runs as given); every other one is still to write.
    let open: Vec<&String> =
        rows.iter().filter(|((l, e), _)| l == "starter" && e != "lab1_ex3").map(|(_, (o, _))| o).collect();
    assert!(open.len() >= 11 && open.iter().all(|o| *o == "not attempted"), "{starter:?}\n{said}");
    assert_eq!(rows[&("starter".to_string(), "lab1_ex3".to_string())].0, "passed", "{said}");
    let (o, message) = &rows[&("wrong".to_string(), "lab1_ex2".to_string())];
    assert_eq!(o, "failed", "{said}");
    assert!(message.contains("check exercise 2") && message.contains("expected"), "the check's own message: {message}");
    assert_eq!(outcomes(&rows, "wrong").iter().filter(|o| *o == "passed").count(), outcomes(&rows, "wrong").len() - 1);
    let (o, message) = &rows[&("nocompile".to_string(), "lab1_ex5".to_string())];
    assert_eq!(o, "errored", "{said}");
    assert!(!message.is_empty(), "the compile error: {message}");
    assert_eq!(rows[&("nocompile".to_string(), "lab1_ex1".to_string())].0, "passed", "the other exercises still count");
    assert!(said.contains("12/12") && said.contains("6/6"), "the gradebook's lines: {said}");
}

#[test]
fn a_notebook_that_never_finishes_or_is_not_json_is_reported_and_the_others_still_run() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let solution = notebook("01_sql.ipynb");
    let endless = solution.replace(
        "check::lab1_ex2(&films)?",
        "loop { std::thread::sleep(Duration::from_millis(100)); }\\ncheck::lab1_ex2(&films)?",
    );
    assert_ne!(endless, solution);
    write(&dir.path().join("looper").join("01_sql.ipynb"), &endless);
    write(&dir.path().join("corrupt-01_sql.ipynb"), &solution[..solution.len() / 2]);
    write(&dir.path().join("good").join("01_sql.ipynb"), &solution);
    write(&dir.path().join("stray.ipynb"), &solution);

    let (ok, said, rows) = grade(dir.path(), 45);
    assert!(!ok, "a notebook did not run to its end, so the exit code says so: {said}");
    assert_eq!(rows[&("looper".to_string(), "lab1_ex1".to_string())].0, "passed", "{said}");
    let (o, message) = &rows[&("looper".to_string(), "lab1_ex2".to_string())];
    assert_eq!(o, "errored");
    assert!(message.contains("time"), "{message}");
    let corrupt = outcomes(&rows, "corrupt");
    assert!(!corrupt.is_empty() && corrupt.iter().all(|o| o == "errored"), "{corrupt:?}");
    assert!(rows[&("corrupt".to_string(), "lab1_ex1".to_string())].1.contains("not a notebook"), "{said}");
    assert!(outcomes(&rows, "good").iter().all(|o| o == "passed"), "the others still ran: {said}");
    assert!(said.contains("stray") && said.contains("not a lab notebook"), "{said}");
    assert!(said.contains("timeout") && said.contains("broken"), "{said}");
}
