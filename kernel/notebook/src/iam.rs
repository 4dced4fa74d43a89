//! IAM (`sourcelab::iam`): users, groups, roles and policies on the IAM lab's moto, which enforces them; why a
//! request was allowed or denied. An [`Iam`] connection and every principal's [`Credentials`] stay in the
//! library; keys never print their secret.

use std::fmt;

use serde_json::{Value, json};

use crate::client::{self, Shared, call, id};
use crate::config::EnvFile;
use crate::error::Result;
use crate::frame::{Shown, Table};

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

impl Credentials {
    fn from_reply(v: Value) -> Result<Credentials> {
        Ok(Credentials {
            h: client::handle(&v)?,
            text: client::text(&v["text"]),
            principal: client::text(&v["principal"]),
            expires: v["expires"].as_str().map(str::to_string),
        })
    }

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

impl Iam {
    pub(crate) fn from_reply(v: Value) -> Result<Iam> {
        Ok(Iam { h: client::handle(&v)?, text: client::text(&v["text"]) })
    }

    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    fn call(&self, name: &str, mut args: Value) -> Result<Value> {
        args["iam"] = self.arg();
        call(name, args)
    }

    /// Connects as the lab's administrator (`IAM_AWS_*` keys; on AWS the usual settings) and checks who that is.
    pub fn connect(env: &EnvFile) -> Result<Iam> {
        Iam::from_reply(call("iam.connect", json!({"env": env.arg()}))?)
    }

    /// The administrator's settings, for the other helpers: `S3::connect(&iam.env()?)`.
    pub fn env(&self) -> Result<EnvFile> {
        EnvFile::from_reply(self.call("iam.env", json!({}))?)
    }

    /// Settings that act as `keys`' principal: `S3::connect(&iam.env_for(&keys)?)` is S3 as that user or role.
    pub fn env_for(&self, keys: &Credentials) -> Result<EnvFile> {
        EnvFile::from_reply(self.call("iam.env_for", json!({"keys": keys.arg()}))?)
    }

    /// Who the administrator's keys (or `keys`) belong to: STS `GetCallerIdentity`'s ARN.
    pub fn whoami(&self, keys: Option<&Credentials>) -> Result<String> {
        Ok(client::text(&self.call("iam.whoami", json!({"keys": keys.map(Credentials::arg)}))?))
    }

    /// Creates an IAM user; its ARN.
    pub fn create_user(&self, name: &str) -> Result<String> {
        Ok(client::text(&self.call("iam.create_user", json!({"name": name}))?))
    }

    /// Creates an access key for `user`.
    pub fn create_access_key(&self, user: &str) -> Result<Credentials> {
        Credentials::from_reply(self.call("iam.create_access_key", json!({"user": user}))?)
    }

    /// Creates a group; its ARN.
    pub fn create_group(&self, name: &str) -> Result<String> {
        Ok(client::text(&self.call("iam.create_group", json!({"name": name}))?))
    }

    /// Puts `user` into `group`.
    pub fn add_user_to_group(&self, user: &str, group: &str) -> Result<()> {
        self.call("iam.add_user_to_group", json!({"user": user, "group": group})).map(drop)
    }

    /// Creates a managed policy from a document (checked first); its ARN.
    pub fn create_policy(&self, name: &str, document: &Value) -> Result<String> {
        Ok(client::text(&self.call("iam.create_policy", json!({"name": name, "document": document}))?))
    }

    /// Attaches a managed policy to a group.
    pub fn attach_group_policy(&self, group: &str, policy_arn: &str) -> Result<()> {
        self.call("iam.attach_group_policy", json!({"group": group, "arn": policy_arn})).map(drop)
    }

    /// Attaches a managed policy to a user.
    pub fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        self.call("iam.attach_user_policy", json!({"user": user, "arn": policy_arn})).map(drop)
    }

    /// Writes an inline policy into a user.
    pub fn put_user_policy(&self, user: &str, name: &str, document: &Value) -> Result<()> {
        self.call("iam.put_user_policy", json!({"user": user, "name": name, "document": document})).map(drop)
    }

    /// Creates a role that the principals of `trust` may assume; its ARN.
    pub fn create_role(&self, name: &str, trust: &Value) -> Result<String> {
        Ok(client::text(&self.call("iam.create_role", json!({"name": name, "trust": trust}))?))
    }

    /// Attaches a managed policy to a role.
    pub fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<()> {
        self.call("iam.attach_role_policy", json!({"role": role, "arn": policy_arn})).map(drop)
    }

    /// As `keys`' principal, assumes `role_arn` for `seconds`: temporary keys with a session token and an expiry.
    pub fn assume_role(&self, keys: &Credentials, role_arn: &str, session: &str, seconds: u32) -> Result<Credentials> {
        let args = json!({"keys": keys.arg(), "role_arn": role_arn, "session": session, "seconds": seconds});
        Credentials::from_reply(self.call("iam.assume_role", args)?)
    }

    /// Whether `principal` (`user/NAME`, `role/NAME`, an ARN) may do `action` on `resource`, and which statement
    /// of which policy decided.
    pub fn explain(&self, principal: &str, action: &str, resource: &str) -> Result<Decision> {
        let args = json!({"principal": principal, "action": action, "resource": resource});
        Ok(Shown::from_reply(self.call("iam.explain", args)?))
    }

    /// Sends each S3 request `(action, bucket, key)` for real with `keys` and shows the server's answer next to
    /// [`Iam::explain`]'s: columns `action`, `resource`, `server`, `explained`, `agree`, `why`.
    pub fn compare(&self, keys: &Credentials, requests: &[(&str, &str, &str)]) -> Result<Table> {
        let list: Vec<Value> = requests.iter().map(|(a, b, k)| json!([a, b, k])).collect();
        Table::from_reply(self.call("iam.compare", json!({"keys": keys.arg(), "requests": list}))?)
    }

    /// Removes every user, group, role and managed policy whose name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(client::strings(&self.call("iam.remove_all", json!({"prefix": prefix}))?))
    }
}
