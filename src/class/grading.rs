//! Grading a lab across the class: every learner's notebook run as that learner, against their own stack, several
//! at once, into one gradebook.
//!
//! A learner's notebook is their code: it never runs as root or against anyone else's services. For each learner
//! the class copies their notebook into a folder of theirs and runs `sourcelab grade` *as them* (see
//! [`Class::as_learner`]); their gradebook (`gradebook.json`) is then read and merged with the others'.

use std::path::Path;
use std::time::Duration;

use super::{Class, LABS_FOLDER, Learner};
use crate::course::grade::{Gradebook, Run};
use crate::error::{Error, ErrorKind, Result};

impl Class {
    /// Grades lab `lab` (`1`, `sql`, `01_sql`) of every learner, `parallel` learners at a time, each notebook for at
    /// most `limit`; writes the class's gradebook (CSV, HTML, JSON) into `out` and returns it. A learner without
    /// the notebook, or whose run failed, is listed with what happened.
    pub fn grade(&self, lab: &str, out: &Path, limit: Duration, parallel: usize) -> Result<Gradebook> {
        super::need_root("grade the class")?;
        let number = crate::course::reset::parse_lab(lab)?;
        if lab.trim() == "all" {
            return Err(Error::new(ErrorKind::Input, "grade lab \"all\"", "a class is graded one lab at a time")
                .hint("e.g. `sourcelab class grade 1`"));
        }
        let stem = crate::course::reset::notebook_of(number);
        let learners = self.learners()?;
        let mut book = Gradebook::default();
        for batch in learners.chunks(parallel.max(1)) {
            let results: Vec<(String, Result<Gradebook>)> = std::thread::scope(|scope| {
                let running: Vec<_> = batch
                    .iter()
                    .map(|l| scope.spawn(move || (l.name.clone(), self.grade_one(l, stem, limit))))
                    .collect();
                running.into_iter().map(|h| h.join().unwrap_or_else(|_| (String::new(), Err(panicked())))).collect()
            });
            for (learner, graded) in results {
                match graded {
                    Ok(theirs) => book.merge(theirs),
                    Err(e) => book.runs.push(Run {
                        learner,
                        path: format!("{stem}.ipynb").into(),
                        status: "not graded".into(),
                        error: Some(e.to_string()),
                    }),
                }
            }
        }
        book.write(out)?;
        Ok(book)
    }

    /// One learner's notebook `stem`, graded as them.
    fn grade_one(&self, learner: &Learner, stem: &str, limit: Duration) -> Result<Gradebook> {
        let labs = learner.home.join(LABS_FOLDER);
        let theirs = labs.join("notebooks").join(format!("{stem}.ipynb"));
        if !theirs.is_file() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("grade {}'s {stem}", learner.name),
                "they have no such notebook",
            )
            .hint(format!("release it: `sourcelab class release {stem}`")));
        }
        let folder = labs.join(".sourcelab").join("grading");
        let (submitted, out) = (folder.join("submitted"), folder.join("out"));
        let _ = std::fs::remove_dir_all(&folder);
        let copy = submitted.join(&learner.name).join(format!("{stem}.ipynb"));
        // Folders made here belong to the learner: the grading runs as them.
        super::make_dirs_owned(&copy, learner)?;
        std::fs::copy(&theirs, &copy).map_err(|e| Error::io("copy", &theirs, e))?;
        super::own(&copy, learner)?;
        let limit = limit.as_secs().max(1).to_string();
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let (sub, out_arg, course) = (path(&submitted), path(&out), path(&self.shared_dir().join("course")));
        let args = ["grade", "--no-setup", "--course", &course, &sub, "--out", &out_arg, "--limit", limit.as_str()];
        // `grade` fails when a notebook could not run to its end; its gradebook still says so.
        let ran = self.as_learner(learner, &format!("grade {}'s {stem}", learner.name), &args);
        Gradebook::read(&out).map_err(|e| match ran {
            Err(run) => run,
            Ok(_) => e,
        })
    }
}

fn panicked() -> Error {
    Error::new(ErrorKind::Setup, "grade a learner", "the grading thread panicked")
}
