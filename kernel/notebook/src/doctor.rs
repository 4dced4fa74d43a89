//! The connectivity doctor (`sourcelab::doctor`): why a database or an S3 object cannot be reached, one layer at
//! a time (name, TCP, handshake, login, database; bucket, key, permission).

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::call;
use crate::config::{DbConfig, EnvFile};
use crate::frame::{Diagnosis, Shown};

fn diagnosis(reply: crate::Result<Value>) -> Diagnosis {
    match reply {
        Ok(v) => Shown::from_reply(v),
        Err(e) => Shown::from_reply(json!({"text": e.to_string()})),
    }
}

/// Diagnoses the database `cfg` describes, each step bounded by `timeout`.
pub fn database(cfg: &DbConfig, timeout: Duration) -> Diagnosis {
    diagnosis(call("doctor.database", json!({"config": cfg.to_json(), "timeout_ms": timeout.as_millis() as u64})))
}

/// Diagnoses reading `s3://bucket/key` with the env file's settings.
pub fn s3_object(env: &EnvFile, bucket: &str, key: &str) -> Diagnosis {
    diagnosis(call("doctor.s3_object", json!({"env": env.arg(), "bucket": bucket, "key": key})))
}
