//! Every call the notebook crate makes, by name: each one reads its arguments, runs the library's helper of the
//! same name and answers JSON (a kept value's handle, a table, a shown value, or plain data).
//!
//! The helpers' calls are generated from the library items in `declare.rs`'s list ([`super::declared`]); the ones
//! written here are the boundary's own (the handshake, freeing and showing kept values, the deliberate panic), the
//! `%%sql` cell's, which the kernel writes ([`names`] lists both).
//! `tests/boundary.rs` calls every one with its arguments missing (each must answer an error naming the call and
//! the argument) and every declared one with valid arguments and with a wrong one; the notebooks and the other
//! boundary tests call them as cells do, and `tests/scripts.rs` checks that each notebook's cells mean the same
//! against the library.

use serde_json::{Value, json};

use super::boundary::{Args, free, get, live, table};
use crate::error::{Error, ErrorKind, Result};
use crate::frame::Show;

use crate::sql::SqlValue;

/// What a call runs.
pub(super) type Call = fn(&Args) -> Result<Value>;

/// Every call the notebook crate makes, by name.
const CALLS: &[(&str, Call)] = &[
    ("hello", |_| Ok(json!({"protocol": sourcelab_notebook::wire::PROTOCOL, "version": env!("CARGO_PKG_VERSION")}))),
    ("free", |a| Ok(json!(free(a.u64("handle")?)?))),
    ("live", |_| Ok(json!(live()))),
    // Panics on purpose, to show that a panic comes back as an error naming the call (tests/boundary.rs).
    ("panic", |_| panic!("asked to panic")),
    ("show", |a| Ok(sourcelab_notebook::wire::mime_to_json(&get(a.u64("handle")?)?.mime()))),
    ("text", |a| Ok(json!(get(a.u64("handle")?)?.text()))),
    ("sql.cell", |a| {
        let engine = crate::config::Engine::from_scheme(a.str("engine")?)?;
        let values: serde_json::Map<String, Value> = a.get("values", "an object of name → value")?;
        let values: Vec<(String, SqlValue)> =
            values.iter().map(|(name, v)| (name.clone(), SqlValue::from_json(v))).collect();
        let script = crate::sql::script::cell(engine, a.str("sql")?, &values)?;
        Ok(json!({"shown": sourcelab_notebook::wire::mime_to_json(&script.mime()), "kept": table(script.kept()?)?}))
    }),
];

/// The name of every call the library answers.
pub fn names() -> impl Iterator<Item = &'static str> {
    all().map(|(name, _)| *name)
}

/// The hand-written calls, then the ones generated from the library's items ([`super::declared`]).
fn all() -> impl Iterator<Item = &'static (&'static str, Call)> {
    CALLS.iter().chain(super::declared::DECLARED)
}

/// Runs one call.
pub(crate) fn dispatch(a: &Args) -> Result<Value> {
    static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&str, Call>> = std::sync::OnceLock::new();
    match BY_NAME.get_or_init(|| all().copied().collect()).get(a.call) {
        Some(run) => run(a),
        None => Err(Error::new(ErrorKind::Input, format!("call {}", a.call), "the library has no such call").hint(
            "the notebook crate is newer than the library: run `cargo build` and `sourcelab kernel install`, \
             then restart the kernel",
        )),
    }
}
