//! IAM (`sourcelab::iam`): users, groups, roles and policies on the IAM lab's moto, which enforces them; why a
//! request was allowed or denied. An [`Iam`] connection and every principal's [`Credentials`] stay in the
//! library; keys never print their secret.

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, FromReply, Shared, id};
use crate::error::Result;
use crate::frame::Shown;

/// What every user, group, role, policy and bucket of lab 6 is called by.
pub const PREFIX: &str = "lab6-";

/// Why a request was allowed or denied (`sourcelab::iam::Decision`).
pub type Decision = Shown;

/// The S3 resource ARN of a bucket (`key` empty) or of an object: `arn:aws:s3:::bucket/key`.
pub fn s3_arn(bucket: &str, key: &str) -> String {
    if key.is_empty() { format!("arn:aws:s3:::{bucket}") } else { format!("arn:aws:s3:::{bucket}/{key}") }
}

/// Access keys of one principal (an IAM user's, or a role session's temporary ones). The secret never prints.
#[derive(Clone)]
pub struct Credentials {
    h: Shared,
    text: String,
    principal: String,
    expires: Option<String>,
}

impl FromReply for Credentials {
    fn from_reply(v: Value) -> Result<Credentials> {
        Ok(Credentials {
            h: client::handle(&v)?,
            text: client::text(&v["text"]),
            principal: client::text(&v["principal"]),
            expires: v["expires"].as_str().map(str::to_string),
        })
    }
}

impl Credentials {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// Whose keys: `user/NAME`, or `role/NAME` for an assumed role.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// When temporary credentials expire (RFC 3339); `None` for a user's long-lived keys.
    pub fn expires(&self) -> Option<&str> {
        self.expires.as_deref()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({})", self.text)
    }
}

/// A connection to IAM and STS as the lab's administrator (`sourcelab::iam::Iam`).
#[derive(Clone)]
pub struct Iam {
    h: Shared,
    text: String,
}

impl fmt::Debug for Iam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromReply for Iam {
    fn from_reply(v: Value) -> Result<Iam> {
        Ok(Iam { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }
}

impl Iam {
    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }
}
