//! Every call the notebook crate makes, by name: each one reads its arguments, runs the library's helper of the
//! same name and answers JSON (a kept value's handle, a table, a shown value, or plain data).
//!
//! The calls of the library items in `declare.rs`'s list (the methods of Sqs, Kinesis, Reader, Iam, Db,
//! Session, Dynamo and S3; the exercise checks) are generated from those items ([`super::declared`]); the rest
//! (the course's scenarios, logs, charts, free functions) are written here, one table ([`names`] lists both).
//! `tests/boundary.rs` calls every one with its arguments missing (each must answer an error naming the call and
//! the argument) and every declared one with valid arguments and with a wrong one; the notebooks and the other
//! boundary tests call them as cells do, and `tests/scripts.rs` checks that each notebook's cells mean the same
//! against the library.

use serde_json::{Value, json};

use super::boundary::{Args, Object, Reply, free, get, handle, live, shown, shown_with, table};
use crate::error::{Error, ErrorKind, Result};
use crate::frame::{Show, TableExt};

use crate::lab4::Lab4;
use crate::sql::SqlValue;
use crate::{acid, config, doctor, dynamo, lab4, lab6, lab7, lab8, logs, marshal, plot, ratings, s3};

fn parsed(p: logs::Parsed) -> Result<Value> {
    let text = p.to_string();
    Ok(json!({"rows": table(p.rows)?, "unparsed": table(p.unparsed)?, "text": text}))
}

fn lab4_handle(lab: Lab4) -> Result<Value> {
    let env = lab.env().clone().reply()?;
    let (bucket, given) = (lab.bucket().to_string(), lab.given_password().expose().to_string());
    let mut v = handle(Object::Lab4(lab))?;
    v["env"] = env;
    v["bucket"] = bucket.into();
    v["given_password"] = given.into();
    Ok(v)
}

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
    ("env.load", |a| {
        match a.optional("path").and_then(Value::as_str) {
            Some(path) => config::EnvFile::load(path)?,
            None => config::load()?,
        }
        .reply()
    }),
    ("env.get", |a| Ok(json!(a.env("env")?.get(a.str("key")?)))),
    ("env.mysql", |a| a.env("env")?.mysql()?.reply()),
    ("env.postgres", |a| a.env("env")?.postgres()?.reply()),
    ("db.url", |a| Ok(json!(a.config("config")?.url().to_string()))),
    ("env.aws", |a| Ok(json!({"text": a.env("env")?.aws().to_string()}))),
    ("frame.value", |a| {
        let df = a.frame("frame")?;
        let row = a.u64("row")? as usize;
        df.value(row, a.str("column")?)
    }),
    ("frame.rows", |a| a.frame("frame")?.rows()),
    ("frame.column", |a| a.frame("frame")?.column_values(a.str("column")?)),
    ("frame.sql", |a| table(a.frame("frame")?.sql(a.str("sql")?)?)),
    ("plot.bars", |a| Ok(shown_with(&plot::bars(&a.frame("frame")?, a.str("x")?, a.str("y")?, a.str("title")?)?))),
    ("plot.line", |a| Ok(shown_with(&plot::line(&a.frame("frame")?, a.str("x")?, a.str("y")?, a.str("title")?)?))),
    ("lab7.clicks", |a| Ok(json!(lab7::clicks(a.u64("n")? as usize)))),
    ("lab7.clicks_table", |a| table(lab7::clicks_table(&a.frame("records")?)?)),
    ("lab7.reset", |a| Ok(json!(lab7::reset(&*a.env("env")?)?))),
    ("logs.read_access", |a| parsed(logs::read_access(a.path("path")?)?)),
    ("logs.read_app", |a| parsed(logs::read_app(a.path("path")?)?)),
    ("logs.read_auth", |a| parsed(logs::read_auth(a.path("path")?)?)),
    ("logs.read_mariadb_general", |a| parsed(logs::read_mariadb_general(a.path("path")?)?)),
    ("logs.read_postgres", |a| parsed(logs::read_postgres(a.path("path")?)?)),
    ("logs.combine", |a| {
        let frames = a.frames("frames")?;
        table(logs::combine(&frames.iter().collect::<Vec<_>>())?)
    }),
    ("lab8.setup", |a| Ok(lab8::setup(&*a.env("env")?)?.to_json())),
    ("lab8.traffic", |a| Ok(shown_with(&lab8::traffic(a.str("url")?, a.u32("seconds")?, a.progress("progress")?)?))),
    ("lab8.damaged_copy", |a| Ok(json!(lab8::damaged_copy(&a.path("path")?)?))),
    ("lab8.failed_logins", |a| Ok(json!(lab8::failed_logins(&*a.env("env")?, a.u32("n")?)?))),
    ("sql.cell", |a| {
        let engine = crate::config::Engine::from_scheme(a.str("engine")?)?;
        let values: serde_json::Map<String, Value> = a.get("values", "an object of name → value")?;
        let values: Vec<(String, SqlValue)> =
            values.iter().map(|(name, v)| (name.clone(), SqlValue::from_json(v))).collect();
        let script = crate::sql::script::cell(engine, a.str("sql")?, &values)?;
        Ok(json!({"shown": sourcelab_notebook::wire::mime_to_json(&script.mime()), "kept": table(script.kept()?)?}))
    }),
    ("acid.connect", |a| acid::connect(&*a.env("env")?)?.reply()),
    ("acid.setup", |a| acid::setup(&*a.env("env")?)?.reply()),
    ("acid.restock", |a| Ok(json!(acid::restock(&a.db("db")?)?))),
    ("acid.crash", |a| Ok(shown_with(&acid::crash(&a.db("db")?)?))),
    ("acid.reset", |a| Ok(json!(acid::reset(&*a.env("env")?)?))),
    ("lab6.setup", |a| handle(Object::Iam(lab6::setup(&*a.env("env")?)?))),
    ("lab6.reset", |a| Ok(json!(lab6::reset(&*a.env("env")?)?))),
    ("dynamo.list_tables_env", |a| Ok(json!(dynamo::list_tables(&*a.env("env")?)?))),
    ("dynamo.data_file", |a| Ok(json!(dynamo::data_file(a.str("name")?)))),
    ("dynamo.file_items", |a| Ok(json!(dynamo::file_items(a.path("path")?)?))),
    ("dynamo.response", |a| {
        let r = a.response("response")?;
        Ok(match a.str("get")? {
            "plain" => r.plain()?,
            "marshal" => r.marshal()?,
            "item" => r.item()?,
            "attributes" => r.attributes()?,
            "last_key" => r.last_key()?,
            "counts" => json!({"Count": r.count, "ScannedCount": r.scanned_count}),
            "capacity_units" => json!(r.capacity_units()),
            "frame" => table(r.frame()?)?,
            other => {
                return Err(Error::new(ErrorKind::Input, "read a DynamoDB response", format!("no part {other:?}")));
            }
        })
    }),
    ("s3.list_buckets_env", |a| table(s3::list_buckets(&*a.env("env")?)?)),
    ("s3.data_file", |a| Ok(json!(s3::data_file(a.str("path")?)))),
    ("s3.read_csv_file", |a| table(s3::read_csv_file(a.path("path")?)?)),
    ("s3.query_frame", |a| table(s3::query_frame(&a.frame("frame")?, a.str("sql")?)?)),
    ("marshal.to_marshal", |a| marshal::to_marshal(a.json("value")?)),
    ("marshal.to_plain", |a| marshal::to_plain(a.json("value")?)),
    ("marshal.to_plain_canonical", |a| marshal::to_plain_canonical(a.json("value")?)),
    ("marshal.read_json", |a| marshal::read_json(&a.path("path")?)),
    ("doctor.database", |a| Ok(shown(&doctor::database(&a.config("config")?, a.duration("timeout_ms")?)))),
    ("doctor.s3_object", |a| Ok(shown(&doctor::s3_object(&*a.env("env")?, a.str("bucket")?, a.str("key")?)))),
    ("ratings.files", |_| {
        Ok(ratings::files()
            .into_iter()
            .map(|(path, bytes)| json!([path, sourcelab_notebook::wire::bytes_to_json(&bytes)]))
            .collect())
    }),
    ("lab4.ddl_path", |_| Ok(json!(lab4::ddl_path()))),
    ("lab4.setup", |_| lab4_handle(Lab4::setup()?)),
    ("lab4.open", |_| lab4_handle(Lab4::open()?)),
    ("lab4.reset", |a| lab4_handle(a.lab4("lab")?.reset()?)),
    ("lab4.client", |a| Ok(json!(a.lab4("lab")?.client()?))),
    ("lab4.use_client", |a| Ok(json!(a.lab4("lab")?.use_client(a.str("name")?)?))),
    ("lab4.ask_devops", |a| Ok(json!(a.lab4("lab")?.ask_devops()?.expose()))),
    ("lab4.rds_endpoint", |a| Ok(json!(a.lab4("lab")?.rds_endpoint()?))),
    ("lab4.database", |a| {
        let password = crate::config::Secret::new(a.str("password")?);
        a.lab4("lab")?.database(&password)?.reply()
    }),
    ("lab4.network", |a| {
        let net = a.lab4("lab")?.network()?;
        let vpcs: Vec<Value> =
            net.vpcs.iter().map(|v| json!({"id": v.id, "name": v.name, "cidr": v.cidr.to_string()})).collect();
        let mut v = handle(Object::Network(net.into()))?;
        v["vpcs"] = vpcs.into();
        Ok(v)
    }),
    ("lab4.doctor", |a| Ok(shown(&a.lab4("lab")?.doctor(&a.config("config")?, a.duration("timeout_ms")?)?))),
    ("lab4.allow_tcp", |a| {
        let port = a.get("port", "a port number from 0 to 65535")?;
        Ok(json!(a.lab4("lab")?.allow_tcp(a.str("group")?, port, a.str("source")?)?))
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
