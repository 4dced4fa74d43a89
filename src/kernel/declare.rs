//! One declaration per call: the library's own items are the declarations, and both sides of the notebook
//! boundary are generated from them.
//!
//! For every type in [`DECLARED`], each `pub fn` of its `impl` blocks in the library is a call (for a module,
//! each `pub fn` of the module): its name, its typed arguments, its result and its doc comment are read from the
//! library's source, and two files are written from them:
//!
//! - `kernel/notebook/src/declared.rs`: the notebook crate's method of the same name, arguments and doc comment
//!   (what Tab, Shift+Tab and the cells see), which sends the arguments as JSON and reads the answer back
//!   (the notebook crate's `client::FromReply`);
//! - `src/kernel/declared.rs`: the library's side of each call, which reads each argument strictly (a missing or
//!   malformed one is an error naming the call and the argument), runs the library's item and answers
//!   ([`super::boundary::Reply`]).
//!
//! The generated files are committed, so neither crate needs a build step (nothing is added to the graph cells
//! compile against); the test here regenerates them and fails when they differ from the library, naming the file
//! and the command that brings them up to date:
//!
//! ```text
//! SOURCELAB_BLESS=1 cargo test --lib kernel::declare
//! ```
//!
//! A new helper on a declared type is one library item and that command. The types an argument or a result may
//! have are the ones [`argument`] and [`result`] know; any other is an error naming the item and the type.

use std::fmt::Write as _;
use std::path::Path;

use ra_ap_syntax::ast::{self, HasDocComments, HasModuleItem, HasName, HasVisibility};
use ra_ap_syntax::{AstNode, AstToken, Edition, SourceFile};

/// What is declared: the public methods of a library type, or the public functions of a library module.
enum Declared {
    /// (source file, type, call prefix, methods that stay in the library): a call is named `prefix.method`; the
    /// value itself crosses as the argument named after the prefix (`sqs`, `reader`, `env`).
    Type(&'static str, &'static str, &'static str, &'static [&'static str]),
    /// (source file, trait, the notebook type, call prefix, the trait's methods that cross): the library's
    /// extension trait on a type of another crate (`TableExt` on polars' `DataFrame`), whose methods the notebook
    /// type has as its own; the value crosses as the argument named after the prefix.
    Trait(&'static str, &'static str, &'static str, &'static str, &'static [&'static str]),
    /// (source file, module, its functions that cross): a call is named `module::function`; the notebook crate
    /// gets a module of that name, which it re-exports or whose functions its own module of that name re-exports.
    Module(&'static str, &'static str, Functions),
}

/// Which public functions of a declared module are calls.
enum Functions {
    All,
    /// These; the module's other functions work on types that stay in the library (`marshal::item_size` on an
    /// SDK item).
    Only(&'static [&'static str]),
}

/// The declared library items.
const DECLARED: &[Declared] = &[
    Declared::Type("src/sqs.rs", "Sqs", "sqs", &[]),
    Declared::Type("src/kinesis.rs", "Kinesis", "kinesis", &[]),
    Declared::Type("src/kinesis.rs", "Reader", "reader", &[]),
    // `policies`: the parsed policy documents, for `explain` and the checks; a cell asks `explain` instead.
    Declared::Type("src/iam.rs", "Iam", "iam", &["policies"]),
    // The transfer settings and the SDK client are for scripts; the region comes with the connect answer.
    Declared::Type("src/s3.rs", "S3", "s3", &["with_parts", "with_ranged_downloads", "with_progress", "sdk", "region"]),
    // The builders and the SDK client are for scripts; batch_write takes SDK write requests.
    Declared::Type("src/dynamo.rs", "Dynamo", "dynamo", &["with_backoff", "with_concurrency", "sdk", "batch_write"]),
    // `len` and `is_empty` come with the response's handle; `items_as` deserializes into a type of the script's.
    Declared::Type("src/dynamo.rs", "Response", "response", &["len", "is_empty", "items_as"]),
    // `config`: a notebook Db keeps its settings from the connect answer.
    Declared::Type("src/sql.rs", "Db", "db", &["config"]),
    // `open`: cells open sessions with `db.session(…)`; `name` and `connection_id` come with the session's handle.
    Declared::Type("src/sql/session.rs", "Session", "session", &["open", "name", "connection_id"]),
    // `from_pairs` builds one in a script's memory; the path comes with the handle; `exports` may print secrets,
    // which belong in a terminal (`sourcelab env`), never in a notebook's output.
    Declared::Type("src/config.rs", "EnvFile", "env", &["from_pairs", "path", "exports"]),
    Declared::Type("src/config.rs", "DbConfig", "config", &[]),
    Declared::Module("src/config.rs", "config", Functions::Only(&["load"])),
    // The env file, bucket and given password come with the lab's handle; the scene and its reachability are the
    // library's model of the network, which the gateway and the doctor read.
    Declared::Type("src/course/lab4.rs", "Lab4", "lab4", &["env", "bucket", "given_password", "scene", "reachability"]),
    Declared::Module("src/course/lab4.rs", "lab4", Functions::Only(&["ddl_path"])),
    // `column_names` and `column_types` come with a table's handle.
    Declared::Trait("src/frame.rs", "TableExt", "Table", "frame", &["value", "rows", "column_values", "sql"]),
    Declared::Module("src/course/check.rs", "check", Functions::All),
    Declared::Module("src/course/acid.rs", "acid", Functions::All),
    // `reset` is what `account::cleanup(&env, 6)` does at the end of the lab.
    Declared::Module("src/course/lab6.rs", "lab6", Functions::Only(&["setup", "data_bucket"])),
    Declared::Module("src/course/lab7.rs", "lab7", Functions::All),
    // The rest prices and prints for `sourcelab aws`; a cell shows the table and removes.
    Declared::Module("src/course/account.rs", "account", Functions::Only(&["costs", "cleanup"])),
    // `web_shop` is the web shop's own process (`sourcelab lab8 shop`), not a cell's call.
    Declared::Module(
        "src/course/lab8.rs",
        "lab8",
        Functions::Only(&["setup", "traffic", "damaged_copy", "failed_logins"]),
    ),
    // `redact` is what every reader applies to the lines it keeps.
    Declared::Module(
        "src/logs.rs",
        "logs",
        Functions::Only(&["read_access", "read_app", "read_auth", "read_mariadb_general", "read_postgres", "combine"]),
    ),
    Declared::Module("src/plot.rs", "plot", Functions::All),
    // The rest writes the files into the checkout (`sourcelab data s3`).
    Declared::Module("src/course/ratings.rs", "ratings", Functions::Only(&["files"])),
    Declared::Module("src/doctor.rs", "doctor", Functions::All),
    // The rest of each module works on SDK items and requests, which stay in the library.
    Declared::Module(
        "src/s3.rs",
        "s3",
        Functions::Only(&["list_buckets", "data_file", "read_csv_file", "query_frame"]),
    ),
    Declared::Module(
        "src/dynamo.rs",
        "dynamo",
        Functions::Only(&["list_tables", "data_file", "file_items", "new_token"]),
    ),
    Declared::Module(
        "src/marshal.rs",
        "marshal",
        Functions::Only(&["to_marshal", "to_plain", "to_plain_canonical", "read_json"]),
    ),
];

/// Where the generated files go, under the checkout.
const NOTEBOOK_FILE: &str = "kernel/notebook/src/declared.rs";
const LIBRARY_FILE: &str = "src/kernel/declared.rs";

/// One declared call, as read from the library.
struct Call {
    /// Where the notebook item goes: `impl Sqs` for a method, `mod check` for a function.
    owner: Owner,
    /// `sqs.create_queue`.
    name: String,
    method: String,
    doc: Vec<String>,
    /// Takes `&self` (else an associated function such as `connect`).
    takes_self: bool,
    /// (name, type as written).
    params: Vec<(String, String)>,
    /// The `T` of `Result<T>`, or the type returned.
    result: String,
    /// Returns a `Result` (else it cannot fail in the library: the notebook reports an unreachable library and
    /// answers the type's default, as for any value a cell only looks at).
    fallible: bool,
}

#[derive(Clone, PartialEq, Eq)]
enum Owner {
    /// A method of this notebook type, whose value crosses as the argument of this name (`sqs`, `frame`).
    Type(String, String),
    /// A function of this module (the notebook crate's module of that name re-exports it).
    Module(String),
}

/// A type as written, without its module path (`&crate::iam::Iam` → `&Iam`, `std::collections::HashMap<…>` →
/// `HashMap<…>`), which is how the notebook crate names it.
fn unqualified(ty: &str) -> String {
    static PATH: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\b[a-z_][a-z0-9_]*::").expect("a valid pattern"));
    PATH.replace_all(ty, "").into_owned()
}

/// `Self` in a method's result, which the notebook names by its type.
static SELF: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\bSelf\b").expect("a valid pattern"));

/// How one argument type crosses: the notebook's parameter type, the JSON the notebook sends for parameter `p`,
/// and the library's expression that reads key `k` back.
fn argument(ty: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match ty {
        "&str" => ("&str", "$", "a.str(\"k\")?"),
        "u32" => ("u32", "$", "a.u32(\"k\")?"),
        "u64" => ("u64", "$", "a.u64(\"k\")?"),
        "u16" => ("u16", "$", "a.get::<u16>(\"k\", \"a port number from 0 to 65535\")?"),
        "u8" => ("u8", "$", "a.get::<u8>(\"k\", \"a whole number from 0 to 255\")?"),
        "&Secret" => ("&Secret", "$.expose()", "&Secret::new(a.str(\"k\")?)"),
        "usize" => ("usize", "$", "a.get::<usize>(\"k\", \"a whole number\")?"),
        "&[String]" => ("&[String]", "$", "&a.get::<Vec<String>>(\"k\", \"a list of texts\")?"),
        "&[u64]" => ("&[u64]", "$", "&a.counts(\"k\")?"),
        "bool" => ("bool", "$", "a.bool(\"k\")?"),
        "Vec<u8>" => ("Vec<u8>", "crate::wire::bytes_to_json(&$)", "a.bytes(\"k\")?"),
        "&[&str]" => ("&[&str]", "$", "&a.strings(\"k\")?"),
        "impl AsRef<Path>" => ("impl AsRef<std::path::Path>", "$.as_ref().to_string_lossy()", "a.path(\"k\")?"),
        "&Path" => ("&std::path::Path", "$.to_string_lossy()", "&a.path(\"k\")?"),
        "Duration" => ("std::time::Duration", "$.as_millis() as u64", "a.duration(\"k\")?"),
        "&DbConfig" => ("&DbConfig", "$.to_json()", "&a.config(\"k\")?"),
        "&TableSpec" => ("&TableSpec", "$.to_json()", "&a.table_spec(\"k\")?"),
        "SqlValue" => ("SqlValue", "$.to_json()", "SqlValue::from_json(a.json(\"k\")?)"),
        "&[Vec<SqlValue>]" => (
            "&[Vec<SqlValue>]",
            "$.iter().map(|r| r.iter().map(SqlValue::to_json).collect::<Vec<_>>()).collect::<Vec<_>>()",
            "&a.sql_rows(\"k\")?",
        ),
        "&[(&str, SqlValue)]" => (
            "&[(&str, SqlValue)]",
            "$.iter().map(|(c, v)| json!([c, v.to_json()])).collect::<Vec<_>>()",
            "&a.sql_pairs(\"k\")?.iter().map(|(c, v)| (c.as_str(), v.clone())).collect::<Vec<_>>()",
        ),
        "&[&Session]" => (
            "&[&Session]",
            "$.iter().map(|s| s.arg()).collect::<Vec<_>>()",
            "&a.sessions(\"k\")?.iter().collect::<Vec<_>>()",
        ),
        "&[(&str, &str, &str)]" => (
            "&[(&str, &str, &str)]",
            "$.iter().map(|(a, b, c)| [*a, *b, *c]).collect::<Vec<_>>()",
            "&a.text_triples(\"k\")?.iter().map(|(x, y, z)| (x.as_str(), y.as_str(), z.as_str())).collect::<Vec<_>>()",
        ),
        "Option<&Credentials>" => {
            ("Option<&Credentials>", "$.map(Credentials::arg)", "a.optional_credentials(\"k\")?.as_deref()")
        }
        "&Value" => ("&serde_json::Value", "$", "a.json(\"k\")?"),
        "Progress" => ("Progress", "$ == Progress::Print", "a.progress(\"k\")?"),
        "StartAt" => ("StartAt", "$.to_json()", "a.start_at(\"k\")?"),
        "&Cidr" => ("&Cidr", "$.to_string()", "&a.cidr(\"k\")?"),
        "&[BatchReport]" => {
            ("&[BatchReport]", "$.iter().map(BatchReport::data).collect::<Vec<_>>()", "&a.batch_reports(\"k\")?")
        }
        // Kept values cross as their handles.
        "&EnvFile" => ("&EnvFile", "$.arg()", "&*a.env(\"k\")?"),
        "&DataFrame" => ("&Table", "$.arg()", "&a.frame(\"k\")?"),
        "&[&DataFrame]" => (
            "&[&Table]",
            "$.iter().map(|t| t.arg()).collect::<Vec<_>>()",
            "&a.frames(\"k\")?.iter().collect::<Vec<_>>()",
        ),
        "&Db" => ("&Db", "$.arg()", "&a.db(\"k\")?"),
        "&Session" => ("&Session", "$.arg()", "&a.session(\"k\")?"),
        "&Dynamo" => ("&Dynamo", "$.arg()", "&a.dynamo(\"k\")?"),
        "&Response" => ("&Response", "$.arg()", "&*a.response(\"k\")?"),
        "&S3" => ("&S3", "$.arg()", "&a.s3(\"k\")?"),
        "&Iam" => ("&Iam", "$.arg()", "&a.iam(\"k\")?"),
        "&Credentials" => ("&Credentials", "$.arg()", "&*a.credentials(\"k\")?"),
        "&Lab4" => ("&Lab4", "$.arg()", "&a.lab4(\"k\")?"),
        "&Sqs" => ("&Sqs", "$.arg()", "&a.sqs(\"k\")?"),
        "&Messages" => ("&Messages", "$.arg()", "&*a.messages(\"k\")?"),
        "&Kinesis" => ("&Kinesis", "$.arg()", "&a.kinesis(\"k\")?"),
        _ => return None,
    })
}

/// How a result type reads on the notebook side (the library answers every one through `Reply`).
fn result(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "()" => "()",
        "String" => "String",
        "Vec<String>" => "Vec<String>",
        "bool" => "bool",
        "u32" => "u32",
        "u64" => "u64",
        "usize" => "usize",
        "f64" => "f64",
        "Vec<u64>" => "Vec<u64>",
        "HashMap<String, String>" => "std::collections::HashMap<String, String>",
        "DataFrame" => "Table",
        "Passed" => "Passed",
        "Counts" => "Counts",
        "Placed" => "Placed",
        "Sqs" => "Sqs",
        "Messages" => "Messages",
        "Kinesis" => "Kinesis",
        "Reader" => "Reader",
        "EnvFile" => "EnvFile",
        "Iam" => "Iam",
        "Credentials" => "Credentials",
        "Decision" => "Decision",
        "Db" => "Db",
        "S3" => "S3",
        "Transfer" => "Transfer",
        "Emptied" => "Emptied",
        "Option<Emptied>" => "Option<Emptied>",
        "Option<String>" => "Option<String>",
        "Vec<u8>" => "Vec<u8>",
        // The library's ObjectInfo fields, as JSON (a notebook type of its own is still to come).
        "ObjectInfo" => "serde_json::Value",
        "Value" => "serde_json::Value",
        "Dynamo" => "Dynamo",
        "Response" => "Response",
        "BatchReport" => "BatchReport",
        "Session" => "Session",
        "PathBuf" => "std::path::PathBuf",
        "&str" => "String",
        "Option<&str>" => "Option<String>",
        "AwsSettings" => "AwsSettings",
        "DbUrl" => "DbUrl",
        "Lab4" => "Lab4",
        "Network" => "Network",
        "Secret" => "Secret",
        "DbConfig" => "DbConfig",
        "(String, u16)" => "(String, u16)",
        "Vec<(String, Value)>" => "Vec<(String, serde_json::Value)>",
        "Vec<(String, usize)>" => "Vec<(String, usize)>",
        "Vec<(&'static str, Vec<u8>)>" => "Vec<(String, Vec<u8>)>",
        "Parsed" => "Parsed",
        "LogFiles" => "LogFiles",
        // What the library renders: the notebook's names for `Shown`.
        "Crash" => "Crash",
        "Traffic" => "Traffic",
        "Plot" => "Plot",
        "Diagnosis" => "Diagnosis",
        _ => return None,
    })
}

/// Reads the declared calls from the library's source in the checkout at `home`.
fn read_calls(home: &Path) -> Result<Vec<Call>, String> {
    let mut calls = Vec::new();
    for declared in DECLARED {
        let (file, owner, prefix) = match declared {
            Declared::Type(file, ty, prefix, _) => (*file, Owner::Type(ty.to_string(), prefix.to_string()), *prefix),
            Declared::Trait(file, _, ty, prefix, _) => {
                (*file, Owner::Type(ty.to_string(), prefix.to_string()), *prefix)
            }
            Declared::Module(file, module, _) => (*file, Owner::Module(module.to_string()), *module),
        };
        let text = std::fs::read_to_string(home.join(file)).map_err(|e| format!("{file}: {e}"))?;
        let tree = SourceFile::parse(&text, Edition::Edition2024).tree();
        let name = |f: &ast::Fn| f.name().map(|n| n.text().to_string()).unwrap_or_default();
        let public = |f: &ast::Fn| f.visibility().is_some_and(|v| v.syntax().text() == "pub");
        let fns_of = |list: Option<ast::AssocItemList>| -> Vec<ast::Fn> {
            list.into_iter()
                .flat_map(|l| l.assoc_items())
                .filter_map(|a| match a {
                    ast::AssocItem::Fn(f) => Some(f),
                    _ => None,
                })
                .collect()
        };
        let items: Vec<ast::Item> = tree.items().collect();
        let (fns, only): (Vec<ast::Fn>, Option<&[&str]>) = match declared {
            Declared::Type(_, ty, _, kept_here) => (
                items
                    .iter()
                    .filter_map(|item| match item {
                        ast::Item::Impl(i)
                            if i.trait_().is_none() && i.self_ty().is_some_and(|t| t.syntax().text() == *ty) =>
                        {
                            Some(fns_of(i.assoc_item_list()))
                        }
                        _ => None,
                    })
                    .flatten()
                    .filter(|f| public(f) && !kept_here.contains(&name(f).as_str()))
                    .collect(),
                None,
            ),
            Declared::Trait(_, tr, _, _, only) => (
                items
                    .iter()
                    .filter_map(|item| match item {
                        ast::Item::Trait(t) if t.name().is_some_and(|n| n.text() == *tr) => {
                            Some(fns_of(t.assoc_item_list()))
                        }
                        _ => None,
                    })
                    .flatten()
                    .filter(|f| only.contains(&name(f).as_str()))
                    .collect(),
                Some(only),
            ),
            Declared::Module(.., functions) => {
                let only = match functions {
                    Functions::All => None,
                    Functions::Only(names) => Some(*names),
                };
                let fns = items
                    .iter()
                    .filter_map(|item| match item {
                        ast::Item::Fn(f) if public(f) && only.is_none_or(|o| o.contains(&name(f).as_str())) => {
                            Some(f.clone())
                        }
                        _ => None,
                    })
                    .collect();
                (fns, only)
            }
        };
        if let Some(missing) = only.into_iter().flatten().find(|n| !fns.iter().any(|f| name(f) == **n)) {
            return Err(format!("{file}: no public function `{missing}`, which declare::DECLARED lists"));
        }
        for f in fns {
            calls.push(read_fn(file, &owner, prefix, &f)?);
        }
    }
    Ok(calls)
}

fn read_fn(file: &str, owner: &Owner, prefix: &str, f: &ast::Fn) -> Result<Call, String> {
    let method = f.name().map(|n| n.text().to_string()).unwrap_or_default();
    let at = |what: String| match owner {
        Owner::Type(ty, _) => format!("{file}: {ty}::{method}: {what}"),
        Owner::Module(..) => format!("{file}: {method}: {what}"),
    };
    let list = f.param_list().ok_or_else(|| at("no parameter list".into()))?;
    let takes_self = match list.self_param() {
        None => false,
        Some(s) if s.syntax().text() == "&self" => true,
        Some(s) => return Err(at(format!("takes `{}`; a call takes `&self` or no self", s.syntax().text()))),
    };
    let mut params = Vec::new();
    for p in list.params() {
        let name = p.pat().map(|p| p.syntax().text().to_string()).unwrap_or_default();
        let given = unqualified(&p.ty().map(|t| t.syntax().text().to_string()).unwrap_or_default());
        if argument(&given).is_none() {
            return Err(at(format!("argument `{name}: {given}` has no crossing; add the type to declare::argument")));
        }
        params.push((name, given));
    }
    let mut ret =
        unqualified(&f.ret_type().and_then(|r| r.ty()).map(|t| t.syntax().text().to_string()).unwrap_or_default());
    if let Owner::Type(ty, _) = owner {
        ret = SELF.replace_all(&ret, ty.as_str()).into_owned();
    }
    let (inner, fallible) = match ret.strip_prefix("Result<").and_then(|r| r.strip_suffix('>')) {
        Some(inner) => (inner.to_string(), true),
        None if !ret.is_empty() => (ret.clone(), false),
        None => return Err(at("returns nothing; a call returns `Result<T>` or a value".into())),
    };
    if result(&inner).is_none() {
        return Err(at(format!("result `{inner}` has no crossing; add the type to declare::result")));
    }
    let doc: Vec<String> = f.doc_comments().map(|c| c.text().trim_start_matches("///").to_string()).collect();
    if doc.is_empty() {
        return Err(at("no doc comment: it is what Shift+Tab shows in a notebook; write one".into()));
    }
    Ok(Call {
        owner: owner.clone(),
        name: match owner {
            Owner::Type(..) => format!("{prefix}.{method}"),
            Owner::Module(..) => format!("{prefix}::{method}"),
        },
        method,
        doc,
        takes_self,
        params,
        result: inner,
        fallible,
    })
}

const HEADER: &str = "// Generated from the library's items by src/kernel/declare.rs: do not edit. After changing a declared \
                      item,\n// run `SOURCELAB_BLESS=1 cargo test --lib kernel::declare`.\n";

/// The notebook crate's file: each method in an `impl` of the notebook type of the same name, each function in a
/// module of the same name (which the crate re-exports where the library has it).
fn notebook_file(calls: &[Call]) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\nuse serde_json::json;\n\nuse crate::client::{FromReply, call, or_report};\nuse crate::config::{AwsSettings, DbConfig, DbUrl, EnvFile};\nuse crate::dynamo::{Dynamo, Response, TableSpec};\n\
         use crate::error::Result;\nuse crate::frame::{BatchReport, Emptied, Passed, Table, Transfer};\nuse crate::iam::{Credentials, Decision, Iam};\n\
         use crate::kinesis::{Kinesis, Placed, Reader, StartAt};\nuse crate::s3::S3;\nuse crate::sql::{Db, Session};\n\
         use crate::sqs::{Counts, Messages, Sqs};\nuse crate::values::{Progress, SqlValue};\n\
         use crate::acid::Crash;\nuse crate::frame::Diagnosis;\nuse crate::lab4::{Lab4, Network};\nuse crate::lab8::{LogFiles, Traffic};\n\
         use crate::net::Cidr;\n\
         use crate::values::Secret;\n\
         use crate::logs::Parsed;\nuse crate::plot::Plot;\n",
    );
    let mut current: Option<&Owner> = None;
    for c in calls {
        if current != Some(&c.owner) {
            if current.is_some() {
                out.push_str("}\n");
            }
            match &c.owner {
                Owner::Type(ty, _) => {
                    let _ = write!(out, "\nimpl {ty} {{\n");
                }
                // Re-exported by the notebook crate's own module of that name, which has the module's docs.
                Owner::Module(name) => {
                    let _ = writeln!(out, "\npub mod {name} {{\n    use super::*;\n");
                }
            }
            current = Some(&c.owner);
        } else {
            out.push('\n');
        }
        for line in shown_doc(&c.doc) {
            let _ = writeln!(out, "    ///{line}");
        }
        let self_key = match &c.owner {
            Owner::Type(_, key) => key.clone(),
            Owner::Module(..) => String::new(),
        };
        let mut sig: Vec<String> = c.takes_self.then(|| "&self".to_string()).into_iter().collect();
        let mut json: Vec<String> = c.takes_self.then(|| format!("\"{self_key}\": self.arg()")).into_iter().collect();
        for (name, ty) in &c.params {
            let (nb_ty, send, _) = argument(ty).unwrap_or_default();
            sig.push(format!("{name}: {nb_ty}"));
            json.push(format!("\"{name}\": {}", send.replace('$', name)));
        }
        let ret = result(&c.result).unwrap_or_default();
        let answer = format!("call(\"{}\", json!({{{}}}))", c.name, json.join(", "));
        if c.fallible {
            let _ = writeln!(out, "    pub fn {}({}) -> Result<{ret}> {{", c.method, sig.join(", "));
            let _ = writeln!(out, "        FromReply::from_reply({answer}?)");
        } else {
            let _ = writeln!(out, "    pub fn {}({}) -> {ret} {{", c.method, sig.join(", "));
            let _ = writeln!(out, "        or_report({answer}.and_then(FromReply::from_reply), Default::default())");
        }
        out.push_str("    }\n");
    }
    if current.is_some() {
        out.push_str("}\n");
    }
    out
}

/// A library doc comment as the notebook crate shows it: its examples are written against the library
/// (`sourcelab::…`, tested there as doctests), so here they are shown as text, without rustdoc's hidden lines.
fn shown_doc(doc: &[String]) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in doc {
        let text = line.trim_start();
        if text.starts_with("```") {
            out.push(if inside { line.clone() } else { line.replacen(text, "```text", 1) });
            inside = !inside;
        } else if !(inside && (text == "#" || text.starts_with("# "))) {
            out.push(line.clone());
        }
    }
    out
}

/// The library's file: each call read, run and answered.
fn library_file(calls: &[Call]) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\nuse super::boundary::Reply;\nuse super::calls::Call;\nuse crate::config::Secret;\nuse crate::frame::TableExt;\nuse crate::sql::SqlValue;\n\n\
         /// The declared calls, by name.\npub(super) const DECLARED: &[(&str, Call)] = &[\n",
    );
    for c in calls {
        let mut args: Vec<String> = Vec::new();
        for (name, ty) in &c.params {
            let (_, _, read) = argument(ty).unwrap_or_default();
            args.push(read.replacen("\"k\"", &format!("\"{name}\""), 1));
        }
        let target = match (&c.owner, c.takes_self) {
            (Owner::Type(_, key), true) => format!("a.{key}(\"{key}\")?."),
            (Owner::Type(ty, _), false) => format!("crate::prelude::{ty}::"),
            (Owner::Module(name), _) => format!("crate::{name}::"),
        };
        let question = if c.fallible { "?" } else { "" };
        let a = if c.takes_self || !c.params.is_empty() { "a" } else { "_" };
        let _ =
            writeln!(out, "    (\"{}\", |{a}| {target}{}({}){question}.reply()),", c.name, c.method, args.join(", "));
    }
    out.push_str("];\n");
    out
}

/// The text as `cargo fmt` leaves it (rustfmt with the checkout's rustfmt.toml), so the generated files pass
/// `cargo fmt --check` like the rest.
fn formatted(home: &Path, text: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(home.join("rustfmt.toml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("rustfmt: {e} (install it with `rustup component add rustfmt`)"))?;
    child.stdin.take().map(|mut i| i.write_all(text.as_bytes())).transpose().map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("rustfmt refused the generated code: {}", String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regenerates both files and compares them with the committed ones (or writes them, with SOURCELAB_BLESS=1).
    #[test]
    fn the_generated_sides_of_the_boundary_match_the_library() {
        let home = Path::new(env!("CARGO_MANIFEST_DIR"));
        let calls = read_calls(home).unwrap_or_else(|e| panic!("{e}"));
        for known in ["sqs.connect", "sqs.receive", "kinesis.put", "reader.read", "frame.sql", "logs::combine"] {
            assert!(calls.iter().any(|c| c.name == known), "{known} was not read from the library");
        }
        let bless = std::env::var_os("SOURCELAB_BLESS").is_some();
        for (file, text) in [(NOTEBOOK_FILE, notebook_file(&calls)), (LIBRARY_FILE, library_file(&calls))] {
            let text = formatted(home, &text).unwrap_or_else(|e| panic!("{e}"));
            let path = home.join(file);
            if bless {
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == text,
                "{file} does not match the library's items: run `SOURCELAB_BLESS=1 cargo test --lib kernel::declare` \
                 and commit the result"
            );
        }
    }

    #[test]
    fn examples_in_docs_are_shown_as_text_without_hidden_lines() {
        let doc: Vec<String> =
            [" Runs it:", " ```no_run", " # fn demo() {", " run()?;", " # }", " ```", " done"].map(String::from).into();
        assert_eq!(shown_doc(&doc), [" Runs it:", " ```text", " run()?;", " ```", " done"]);
    }

    #[test]
    fn a_type_without_a_crossing_is_an_error_naming_the_item_and_the_type() {
        let text = "impl Sqs {\n    /// Doc.\n    pub fn odd(&self, when: Instant) -> Result<()> { todo!() }\n}";
        let tree = SourceFile::parse(text, Edition::Edition2024).tree();
        let Some(ast::Item::Impl(i)) = tree.items().next() else { panic!("no impl") };
        let Some(ast::AssocItem::Fn(f)) = i.assoc_item_list().and_then(|l| l.assoc_items().next()) else {
            panic!("no fn")
        };
        let e = read_fn("src/sqs.rs", &Owner::Type("Sqs".into(), "sqs".into()), "sqs", &f).err().unwrap();
        assert!(e.contains("src/sqs.rs: Sqs::odd: argument `when: Instant`"), "{e}");
    }
}
