//! S3 (`sourcelab::s3`): buckets, objects, multipart transfers, listings, versions, policies, presigned URLs and
//! SQL over CSV objects. An [`S3`] is the library's client; listings come back as [`Table`]s.

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, id};
use crate::error::Result;

pub use crate::declared::s3::*;

/// An S3 connection (the library's SDK client and transfer settings). Cheap to clone.
#[derive(Clone)]
pub struct S3 {
    h: Shared,
    text: String,
    region: String,
}

impl FromReply for S3 {
    fn from_reply(v: Value) -> Result<S3> {
        Ok(S3 { h: client::handle(&v)?, text: client::text(&v["text"]), region: client::text(&v["region"]) })
    }
}

impl S3 {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// The region buckets are created in.
    pub fn region(&self) -> &str {
        &self.region
    }
}

impl fmt::Debug for S3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
