//! What crosses the notebook boundary, defined once for both sides.
//!
//! A call is a name (`"db.query"`) and a JSON object of arguments; the answer is `{"ok": value}` or
//! `{"err": error}` ([`crate::Error::to_json`]). Values that stay in the library (a pool, a query result) cross as
//! `{"handle": n, …}`: a number the library looks the value up by, plus what the cell needs to know without asking
//! again (a table's shape). What a value shows in a notebook crosses as a MIME bundle, `[[type, content], …]`.

use serde_json::Value;

/// The version of this protocol: a hash of this crate's sources, so a library built from other sources than the
/// kernel's copy of this crate is caught at load time instead of misreading an answer.
pub const PROTOCOL: u64 = fnv(&[
    include_str!("lib.rs"),
    include_str!("wire.rs"),
    include_str!("client.rs"),
    include_str!("error.rs"),
    include_str!("values.rs"),
    include_str!("net.rs"),
    include_str!("frame.rs"),
    include_str!("config.rs"),
    include_str!("sql.rs"),
    include_str!("dynamo.rs"),
    include_str!("s3.rs"),
    include_str!("marshal.rs"),
    include_str!("doctor.rs"),
    include_str!("course.rs"),
    include_str!("iam.rs"),
    include_str!("sqs.rs"),
    include_str!("kinesis.rs"),
    include_str!("plot.rs"),
    include_str!("logs.rs"),
]);

const fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut p = 0;
    while p < parts.len() {
        let bytes = parts[p].as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            h = (h ^ bytes[i] as u64).wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        p += 1;
    }
    h
}

/// Prints a MIME bundle the way evcxr reads it from a cell's output: each part between
/// `EVCXR_BEGIN_CONTENT type` and `EVCXR_END_CONTENT`.
pub fn print_mime(bundle: &[(String, String)]) {
    for (mime, content) in bundle {
        println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
    }
}

/// A MIME bundle as JSON.
pub fn mime_to_json(bundle: &[(String, String)]) -> Value {
    bundle.iter().map(|(m, c)| Value::from(vec![m.as_str(), c.as_str()])).collect()
}

/// The MIME bundle [`mime_to_json`] wrote.
pub fn mime_from_json(v: &Value) -> Vec<(String, String)> {
    let text = |p: &Value, i: usize| p[i].as_str().unwrap_or_default().to_string();
    v.as_array().map(|parts| parts.iter().map(|p| (text(p, 0), text(p, 1))).collect()).unwrap_or_default()
}

/// Bytes as base64 text, the way binary crosses in JSON.
pub fn bytes_to_json(bytes: &[u8]) -> Value {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes).into()
}

/// The bytes [`bytes_to_json`] wrote (empty for anything else).
pub fn bytes_from_json(v: &Value) -> crate::Result<Vec<u8>> {
    use base64::Engine as _;
    let text = v.as_str().ok_or_else(|| bad_bytes(format!("expected base64 text, got {v}")))?;
    base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| bad_bytes(e.to_string()))
}

fn bad_bytes(cause: String) -> crate::Error {
    crate::Error::new(crate::ErrorKind::Input, "read bytes sent across the notebook boundary", cause)
        .hint("the notebook crate and the library disagree: run `sourcelab kernel install` and restart the kernel")
}
