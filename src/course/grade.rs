//! Grading learners' notebooks: `sourcelab grade FOLDER`.
//!
//! An instructor collects the learners' notebooks in one folder — a subfolder per learner (`alice/07_streaming.ipynb`)
//! or files named by learner (`alice-07_streaming.ipynb`); which lab a file is comes from the lab's name in it.
//! [`grade`] runs every notebook headless, each in its own kernel, every cell whatever the earlier ones did, for at
//! most a time limit, and reads each exercise's check cell:
//!
//! | outcome | when |
//! |---|---|
//! | `passed` | the check printed its `✓` |
//! | `failed` | the check returned its error: the message says what it expected and got |
//! | `not attempted` | the exercise is still as the learner copy gave it (its placeholder untouched), or its check cell is gone |
//! | `errored` | the cell did not compile, panicked or returned another error; the notebook ran out of time, crashed the kernel or is not a notebook |
//!
//! A notebook that never finishes, kills the kernel or was saved broken is reported as such and the others still
//! run. The [`Gradebook`] prints as a table (learner × exercise) and writes `gradebook.csv` and `gradebook.html`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::frame::escape_html;
use crate::kernel::{self, NotebookReport, RunOptions};
use crate::local::Stack;

/// What became of one exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check printed its ✓.
    Passed,
    /// The check refused the answer.
    Failed,
    /// The placeholder is still there.
    NotAttempted,
    /// The cell or the notebook did not run to the check's answer.
    Errored,
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotAttempted => "not attempted",
            Outcome::Errored => "errored",
        }
    }

    fn mark(&self) -> &'static str {
        match self {
            Outcome::Passed => "✓",
            Outcome::Failed => "✗",
            Outcome::NotAttempted => "·",
            Outcome::Errored => "!",
        }
    }
}

/// One exercise of one learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// The learner (folder or file name).
    pub learner: String,
    /// The lab notebook (`07_streaming`).
    pub notebook: String,
    /// The exercise, by its check (`lab7_ex3`).
    pub exercise: String,
    /// What became of it.
    pub outcome: Outcome,
    /// The check's message, or the error.
    pub message: String,
}

/// How one submitted notebook ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// The learner.
    pub learner: String,
    /// The file.
    pub path: PathBuf,
    /// `ok`, `timeout`, `dead`, `broken`, or `not a lab notebook`.
    pub status: String,
    /// Why it did not run to its end.
    pub error: Option<String>,
}

/// Every learner's every exercise, and how each notebook ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Gradebook {
    /// One row per learner and exercise, learners in name order, exercises in lab order.
    pub grades: Vec<Grade>,
    /// One row per submitted notebook.
    pub runs: Vec<Run>,
}

/// A check's name, and the exercise before it as the learner copy gives it (`None`: given solved).
type Exercise = (String, Option<String>);

/// The labs' exercises: for each lab, its checks in order, each with what the learner copy has from the cell after
/// the previous check through the check's own cell (the exercise as a learner receives it) — `None` for an
/// exercise the learner copy gives solved (nothing to write: only its check's answer counts).
fn exercises(home: &Path) -> Result<BTreeMap<String, Vec<Exercise>>> {
    let mut labs = BTreeMap::new();
    for (solution, _, copy) in crate::exercises::learner_copies(home)? {
        let stem = solution.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let text = std::fs::read_to_string(&solution).map_err(|e| Error::io("read", &solution, e))?;
        let (cells, solved) = (code_cells(&copy)?, code_cells(&text)?);
        let list = check_calls_in(&cells).into_iter().map(|(name, at)| {
            let given = segment(&cells, &name, at);
            let answer =
                solved.iter().position(|(_, s)| check_calls(s).contains(&name)).map(|i| segment(&solved, &name, i));
            let open = answer.as_deref() != Some(given.as_str());
            (name, open.then_some(given))
        });
        labs.insert(stem, list.collect());
    }
    Ok(labs)
}

/// Every check call of a notebook, in order, with the position (in `cells`) of its cell.
fn check_calls_in(cells: &[(usize, String)]) -> Vec<(String, usize)> {
    cells.iter().enumerate().flat_map(|(at, (_, s))| check_calls(s).into_iter().map(move |n| (n, at))).collect()
}

/// The exercise before check `name` (at position `at`): the code from the cell after the previous check's cell
/// through `at`, each line trimmed, blank lines dropped.
fn segment(cells: &[(usize, String)], name: &str, at: usize) -> String {
    let calls = check_calls_in(cells);
    let from =
        calls.iter().take_while(|(n, _)| n != name).filter(|(_, i)| *i < at).map(|(_, i)| i + 1).last().unwrap_or(0);
    cells[from..=at]
        .iter()
        .flat_map(|(_, s)| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect::<Vec<_>>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code cells of a notebook's JSON text: (index in the cell list, source).
fn code_cells(text: &str) -> Result<Vec<(usize, String)>> {
    let nb: Value = serde_json::from_str(text)
        .map_err(|e| Error::new(ErrorKind::Input, "read a notebook", format!("not JSON: {e}")))?;
    let cells =
        nb["cells"].as_array().ok_or_else(|| Error::new(ErrorKind::Input, "read a notebook", "it has no cells"))?;
    Ok(cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c["cell_type"] == "code")
        .map(|(i, c)| (i, super::script::cell_text(c)))
        .collect())
}

/// The checks a cell calls: `check::lab7_ex3(` → `lab7_ex3`.
fn check_calls(source: &str) -> Vec<String> {
    source
        .match_indices("check::")
        .filter_map(|(i, _)| {
            let rest = &source[i + "check::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            (rest[name.len()..].starts_with('(') && !name.is_empty()).then_some(name)
        })
        .collect()
}

/// The notebooks in `folder`: (learner, lab stem, path). A subfolder is a learner; a file's learner is its name
/// without the lab's (`alice-07_streaming.ipynb` → `alice`).
fn submissions(folder: &Path, labs: &[String]) -> Result<Vec<(String, Option<String>, PathBuf)>> {
    let list = |dir: &Path| -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| {
                Error::io("read the folder", dir, e).hint("pass the folder that holds the learners' notebooks")
            })?
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        Ok(v)
    };
    let lab_of = |name: &str| labs.iter().filter(|l| name.contains(l.as_str())).max_by_key(|l| l.len()).cloned();
    let mut out = Vec::new();
    for entry in list(folder)? {
        let name = entry.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if entry.is_dir() {
            for nb in list(&entry)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "ipynb")) {
                let stem = nb.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                out.push((name.clone(), lab_of(&stem), nb));
            }
        } else if entry.extension().is_some_and(|e| e == "ipynb") {
            let stem = entry.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let lab = lab_of(&stem);
            let learner = match &lab {
                Some(l) => stem.replacen(l.as_str(), "", 1).trim_matches(|c: char| "-_ .".contains(c)).to_string(),
                None => stem.clone(),
            };
            out.push((if learner.is_empty() { stem } else { learner }, lab, entry));
        }
    }
    if out.is_empty() {
        return Err(Error::new(ErrorKind::NotFound, format!("grade {}", folder.display()), "no .ipynb files in it")
            .hint("put one subfolder per learner (alice/07_streaming.ipynb) or files named by learner (alice-07_streaming.ipynb)"));
    }
    Ok(out)
}

/// The outcome of one exercise in one submission; `given` is the exercise as the learner copy has it.
fn judge(cells: &[(usize, String)], report: &NotebookReport, exercise: &str, given: Option<&str>) -> (Outcome, String) {
    let Some(at) = cells.iter().position(|(_, s)| check_calls(s).iter().any(|c| c == exercise)) else {
        return (Outcome::NotAttempted, "its check cell is not in the notebook".into());
    };
    if given.is_some_and(|g| segment(cells, exercise, at) == g) {
        return (Outcome::NotAttempted, "the exercise is as the learner copy gave it".into());
    }
    let index = cells[at].0;
    let Some(check) = report.checks.iter().find(|c| c.cell == index) else {
        return (Outcome::Errored, report.error.clone().unwrap_or_else(|| "the notebook did not run".into()));
    };
    if let Some(passed) = &check.passed {
        return (Outcome::Passed, passed.clone());
    }
    if let Some(e) = &check.error {
        let outcome = if e.is_check() { Outcome::Failed } else { Outcome::Errored };
        return (outcome, e.message());
    }
    if !check.executed {
        let why = match report.status.as_str() {
            "timeout" => "the notebook ran out of time before this cell",
            "dead" => "the kernel died before this cell",
            _ => "the cell did not run",
        };
        return (Outcome::Errored, report.error.clone().map_or(why.to_string(), |e| format!("{why}: {e}")));
    }
    (Outcome::Errored, "the check printed nothing".into())
}

/// Every exercise of the notebook at `path` (of the lab whose exercises are `exercises`), judged from how it ran.
fn judge_all(exercises: &[Exercise], path: &Path, report: &NotebookReport) -> Vec<(String, Outcome, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let cells = code_cells(&text).unwrap_or_default();
    let judged = exercises.iter().map(|(exercise, given)| {
        let (outcome, message) = if report.status == "broken" {
            (Outcome::Errored, report.error.clone().unwrap_or_default())
        } else {
            judge(&cells, report, exercise, given.as_deref())
        };
        (exercise.clone(), outcome, message)
    });
    judged.collect()
}

/// Grades one notebook of lab `lab` (`07_streaming`) from a run of it (`sourcelab run --report` records every
/// check cell): each exercise with its outcome and message. The lab's own solution gives all passed; its learner
/// copy, run or not, all not attempted.
pub fn grade_run(
    home: &Path,
    lab: &str,
    path: &Path,
    report: &NotebookReport,
) -> Result<Vec<(String, Outcome, String)>> {
    let labs = exercises(home)?;
    let exercises = labs.get(lab).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("grade {}", path.display()),
            format!("{lab} is not a lab with exercises"),
        )
        .hint(format!("the labs with exercises: {}", labs.keys().cloned().collect::<Vec<_>>().join(", ")))
    })?;
    Ok(judge_all(exercises, path, report))
}

/// Runs every notebook in `folder` and grades each exercise; executed copies and the gradebook files go to `out`.
///
/// The labs and their exercises come from the solution notebooks in `course/notebooks` (the checkout; a class's
/// shared copy when a learner's notebooks are graded as them).
pub fn grade(stack: &Stack, course: &Path, folder: &Path, out: &Path, limit: Duration) -> Result<Gradebook> {
    let labs = exercises(course)?;
    let names: Vec<String> = labs.keys().cloned().collect();
    let found = submissions(folder, &names)?;
    let mut book = Gradebook::default();
    let mut graded = Vec::new();
    for (learner, lab, path) in found {
        match lab {
            Some(lab) => graded.push((learner, lab, path)),
            None => book.runs.push(Run {
                learner,
                path,
                status: "not a lab notebook".into(),
                error: Some(format!("its name names none of the labs ({})", names.join(", "))),
            }),
        }
    }
    let opts = RunOptions { cell_timeout: limit, grade: Some(limit), ..RunOptions::default() };
    for (learner, lab, path) in &graded {
        // Each learner's copies go to a folder of their own: two learners' notebooks have the same names.
        let dir = out.join(learner);
        let report = kernel::run_notebooks(stack, std::slice::from_ref(path), &dir, &opts)?.remove(0);
        for (exercise, outcome, message) in judge_all(&labs[lab], path, &report) {
            book.grades.push(Grade { learner: learner.clone(), notebook: lab.clone(), exercise, outcome, message });
        }
        book.runs.push(Run {
            learner: learner.clone(),
            path: path.clone(),
            status: report.status.clone(),
            error: report.error.clone(),
        });
    }
    book.write(out)?;
    Ok(book)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

impl Gradebook {
    /// Writes `gradebook.csv`, `gradebook.html` and `gradebook.json` (what [`Gradebook::read`] reads) into `out`,
    /// rows sorted by learner and notebook.
    pub fn write(&mut self, out: &Path) -> Result<()> {
        self.grades.sort_by(|a, b| (&a.learner, &a.notebook).cmp(&(&b.learner, &b.notebook)));
        std::fs::create_dir_all(out).map_err(|e| Error::io("create folder", out, e))?;
        let json = serde_json::to_string_pretty(&*self).unwrap_or_default();
        for (name, text) in [("gradebook.csv", self.csv()), ("gradebook.html", self.html()), ("gradebook.json", json)] {
            std::fs::write(out.join(name), text).map_err(|e| Error::io("write", &out.join(name), e))?;
        }
        Ok(())
    }

    /// The gradebook [`Gradebook::write`] wrote into `out`.
    pub fn read(out: &Path) -> Result<Gradebook> {
        let path = out.join("gradebook.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::new(ErrorKind::Input, format!("read the gradebook {}", path.display()), e.to_string()))
    }

    /// Adds another gradebook's rows (another learner's, graded apart).
    pub fn merge(&mut self, other: Gradebook) {
        self.grades.extend(other.grades);
        self.runs.extend(other.runs);
    }

    /// Whether every notebook ran to its end (none ran out of time, killed its kernel or was broken).
    pub fn all_ran(&self) -> bool {
        self.runs.iter().all(|r| r.status == "ok")
    }

    /// How many of `learner`'s exercises have `outcome`.
    pub fn count(&self, learner: &str, outcome: &Outcome) -> usize {
        self.grades.iter().filter(|g| g.learner == learner && &g.outcome == outcome).count()
    }

    /// `learner,notebook,exercise,outcome,message`, one row per exercise.
    pub fn csv(&self) -> String {
        let mut out = String::from("learner,notebook,exercise,outcome,message\n");
        for g in &self.grades {
            let row = [g.learner.as_str(), &g.notebook, &g.exercise, g.outcome.word(), &g.message].map(csv_field);
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }

    /// A page with one table per lab: a row per learner, a column per exercise; the message on hover.
    pub fn html(&self) -> String {
        let mut h = crate::kernel::report::page_head(
            "Gradebook",
            "td,th{text-align:center}.passed{background:#d4f7d4}.failed{background:#f7d4d4}\
             .not_attempted{background:#eee}.errored{background:#f7ecc4}",
        );
        let mut labs: Vec<&str> = self.grades.iter().map(|g| g.notebook.as_str()).collect();
        labs.dedup();
        labs.sort();
        labs.dedup();
        for lab in labs {
            let rows: Vec<&Grade> = self.grades.iter().filter(|g| g.notebook == lab).collect();
            let mut exercises: Vec<&str> = Vec::new();
            for g in &rows {
                if !exercises.contains(&g.exercise.as_str()) {
                    exercises.push(&g.exercise);
                }
            }
            h.push_str(&format!("<h2>{}</h2>\n<table><tr><th>learner</th>", escape_html(lab)));
            for e in &exercises {
                h.push_str(&format!("<th>{}</th>", escape_html(e)));
            }
            h.push_str("<th>passed</th></tr>\n");
            let mut learners: Vec<&str> = rows.iter().map(|g| g.learner.as_str()).collect();
            learners.dedup();
            for l in learners {
                h.push_str(&format!("<tr><th>{}</th>", escape_html(l)));
                let mine: Vec<&&Grade> = rows.iter().filter(|g| g.learner == l).collect();
                for e in &exercises {
                    match mine.iter().find(|g| g.exercise == *e) {
                        Some(g) => {
                            let class =
                                serde_json::to_value(&g.outcome).ok().and_then(|v| v.as_str().map(str::to_string));
                            h.push_str(&format!(
                                "<td class=\"{}\" title=\"{}\">{} {}</td>",
                                class.unwrap_or_default(),
                                escape_html(&g.message),
                                g.outcome.mark(),
                                g.outcome.word()
                            ));
                        }
                        None => h.push_str("<td></td>"),
                    }
                }
                let passed = mine.iter().filter(|g| g.outcome == Outcome::Passed).count();
                h.push_str(&format!("<td>{passed}/{}</td></tr>\n", mine.len()));
            }
            h.push_str("</table>\n");
        }
        h.push_str("<h2>Runs</h2>\n<table><tr><th>learner</th><th>notebook</th><th>status</th><th>why</th></tr>\n");
        for r in &self.runs {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape_html(&r.learner),
                escape_html(&r.path.display().to_string()),
                escape_html(&r.status),
                escape_html(r.error.as_deref().unwrap_or(""))
            ));
        }
        h.push_str("</table>\n");
        h
    }
}

/// One line per learner and lab: the marks in exercise order and the count passed; then every run that did not
/// finish, with why. (✓ passed, ✗ failed, · not attempted, ! errored.)
impl fmt::Display for Gradebook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:<18} {:<14} marks (✓ passed, ✗ failed, · not attempted, ! errored)",
            "learner", "notebook", "passed"
        )?;
        let mut i = 0;
        while i < self.grades.len() {
            let (l, n) = (&self.grades[i].learner, &self.grades[i].notebook);
            let group: Vec<&Grade> =
                self.grades[i..].iter().take_while(|g| &g.learner == l && &g.notebook == n).collect();
            let passed = group.iter().filter(|g| g.outcome == Outcome::Passed).count();
            let marks: String = group.iter().map(|g| g.outcome.mark()).collect();
            writeln!(f, "{l:<16} {n:<18} {:<14} {marks}", format!("{passed}/{}", group.len()))?;
            i += group.len();
        }
        for r in self.runs.iter().filter(|r| r.status != "ok") {
            writeln!(f, "{}: {} {}: {}", r.learner, r.path.display(), r.status, r.error.as_deref().unwrap_or(""))?;
        }
        Ok(())
    }
}
