//! IAM: who may do what — users, groups, roles and policies, and why a request was allowed or denied.
//!
//! On AWS the account's **root user** may do everything; day-to-day work happens as **IAM users** (a person or a
//! program with its own long-lived access keys), grouped into **groups**, or as **roles**, which a trusted
//! principal *assumes* through STS to get temporary credentials. What each may do is written in **policies**
//! (JSON documents, see [`policy`]) attached to users, groups and roles. Lab 6 runs against a second moto server
//! that checks every request against those policies, so a missing permission really is an `AccessDenied`.
//!
//! [`Iam::connect`] uses the lab's administrator keys (`IAM_AWS_*` in the env file; on real AWS the usual AWS
//! settings). Every principal's keys come back as [`Credentials`], which never print their secret; [`Iam::env_for`]
//! turns them into settings the other helpers take, so `S3::connect(&iam.env_for(&keys)?)` is S3 as that user.
//! [`Iam::explain`] reads a principal's policies and decides a request the way AWS documents it, naming the
//! statement that decided; [`Iam::compare`] sends the same requests for real and puts both answers side by side.
//!
//! ```no_run
//! # fn demo() -> sourcelab::Result<()> {
//! use sourcelab::iam::Iam;
//! let iam = Iam::connect(&sourcelab::config::load()?)?;
//! iam.create_user("lab6-analyst")?;
//! let keys = iam.create_access_key("lab6-analyst")?;
//! println!("{keys}"); // the secret shows as ***
//! println!("{}", iam.explain("user/lab6-analyst", "s3:GetObject", "arn:aws:s3:::lab6-data/raw/a.csv")?);
//! # Ok(()) }
//! ```

pub mod policy;

use std::fmt;

use polars::prelude::{Column, DataFrame};
use serde_json::Value;

use crate::config::{AwsSettings, EnvFile, Secret, Service};
use crate::error::{AwsClient, Error, ErrorKind, Result};
pub use policy::{Decision, Policy};

pub use sourcelab_notebook::iam::{PREFIX, s3_arn};

/// Access keys of one principal: an IAM user's long-lived keys, or a role session's temporary ones. The secret
/// and the session token never print.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Whose keys: `user/NAME`, or `role/NAME` for an assumed role.
    pub principal: String,
    /// The access key id (not secret, but only its ends are shown).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token of temporary credentials.
    pub session_token: Option<Secret>,
    /// When temporary credentials expire (RFC 3339).
    pub expires: Option<String>,
}

impl Credentials {
    /// Whose keys: `user/NAME`, or `role/NAME` for an assumed role.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// When temporary credentials expire (RFC 3339); `None` for a user's long-lived keys.
    pub fn expires(&self) -> Option<&str> {
        self.expires.as_deref()
    }
}

fn short_key(id: &str) -> String {
    if id.len() > 8 { format!("{}…{}", &id[..4], &id[id.len() - 4..]) } else { "***".into() }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "keys of {}: access key {}, secret ***", self.principal, short_key(&self.access_key_id))?;
        if self.session_token.is_some() {
            write!(f, ", session token ***")?;
        }
        if let Some(t) = &self.expires {
            write!(f, ", expire at {t}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({self})")
    }
}

impl crate::frame::Show for Credentials {}
impl crate::frame::Show for Decision {}

/// A connection to IAM and STS as the lab's administrator.
#[derive(Clone)]
pub struct Iam {
    env: EnvFile,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    endpoint: Option<String>,
    /// When this connection last changed a user, group, role, policy or key (see [`PROPAGATION`]).
    changed: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// How long AWS may take to apply an IAM change everywhere. IAM is eventually consistent: a new key, policy or role
/// works "usually within seconds", and until then a request is refused (`InvalidClientTokenId`, `AccessDenied`) or
/// still allowed. moto applies every change at once, so a cell that uses a change at once passes here and, now and
/// then, fails on AWS. The helpers wait for a change this long, polling every [`PROPAGATION_POLL`], saying why.
pub const PROPAGATION: std::time::Duration = std::time::Duration::from_secs(30);
/// How often the helpers look again while a change propagates.
const PROPAGATION_POLL: std::time::Duration = std::time::Duration::from_secs(2);

impl fmt::Debug for Iam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iam({})", self.endpoint.as_deref().unwrap_or("AWS"))
    }
}

/// The administrator's settings: the `IAM_AWS_*` keys when the env file has them (the local stack's enforcing
/// moto), else the env file's own AWS settings (real AWS).
fn admin_env(env: &EnvFile) -> EnvFile {
    let Some(endpoint) = env.get("IAM_AWS_ENDPOINT_URL") else { return env.clone() };
    let mut pairs = vec![("AWS_ENDPOINT_URL", endpoint), ("AWS_REGION", env.get("AWS_REGION").unwrap_or("us-east-1"))];
    for (to, from) in
        [("AWS_ACCESS_KEY_ID", "IAM_AWS_ACCESS_KEY_ID"), ("AWS_SECRET_ACCESS_KEY", "IAM_AWS_SECRET_ACCESS_KEY")]
    {
        if let Some(v) = env.get(from) {
            pairs.push((to, v));
        }
    }
    EnvFile::from_pairs(env.path(), &pairs)
}

/// An STS client for these settings.
pub(crate) async fn sts_client(aws: &AwsSettings) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&aws.sdk_config(Service::Sts).await)
}

/// A policy document as IAM returns it: JSON, URL-encoded by the IAM API.
fn document(text: &str, source: &str) -> Result<Value> {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    serde_json::from_str(&decoded)
        .map_err(|e| Error::new(ErrorKind::Service, format!("read the document of {source}"), format!("not JSON: {e}")))
}

/// The `sourcelab:lab` tag of a lab's user, role or policy (none for other names).
fn lab_tags(name: &str) -> Result<Option<Vec<aws_sdk_iam::types::Tag>>> {
    let Some(lab) = crate::course::account::lab_of(name) else { return Ok(None) };
    let tag = aws_sdk_iam::types::Tag::builder().key(crate::course::account::LAB_TAG).value(lab.to_string()).build();
    let tag = tag.map_err(|e| Error::new(ErrorKind::Input, format!("tag {name}"), e.to_string()))?;
    Ok(Some(vec![tag]))
}

fn doc_text(source: &str, doc: &Value) -> Result<String> {
    Policy::parse(source, doc)?;
    Ok(doc.to_string())
}

impl AwsClient for Iam {
    fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }
}

impl Iam {
    /// Connects as the lab's administrator and checks who that is (STS `GetCallerIdentity`).
    ///
    /// An env file that points the AWS SDKs at a local server but has no `IAM_AWS_*` keys is refused: the labs'
    /// moto checks no permissions at all, so every request would pass and the lab would teach nothing.
    pub fn connect(env: &EnvFile) -> Result<Iam> {
        if env.get("IAM_AWS_ENDPOINT_URL").is_none() && env.aws().endpoint(Service::Iam).is_some() {
            return Err(Error::new(
                ErrorKind::Config,
                format!("connect to IAM with {}", env.path().display()),
                "the file has no IAM_AWS_ENDPOINT_URL, and its AWS endpoint (the labs' moto) checks no permissions",
            )
            .hint("run `sourcelab up`: it starts the IAM lab's moto and writes its IAM_AWS_* keys (into your own .env: copy them from .sourcelab/local.env); for real AWS delete AWS_ENDPOINT_URL"));
        }
        let env = admin_env(env);
        let aws = env.aws();
        let endpoint = aws.endpoint(Service::Iam);
        let (iam, sts) = crate::block_on(async {
            (aws_sdk_iam::Client::new(&aws.sdk_config(Service::Iam).await), sts_client(&aws).await)
        })?;
        let iam = Iam { env, iam, sts, endpoint, changed: Default::default() };
        iam.whoami(None).map_err(|e| match e.kind() {
            ErrorKind::Connect => {
                e.hint("the IAM lab's moto is not running: `sourcelab up` starts it (`sourcelab status` shows it)")
            }
            _ => e,
        })?;
        Ok(iam)
    }

    /// The administrator's settings, for the other helpers: `S3::connect(&iam.env()?)`. (Never fails here; a
    /// `Result` so that a notebook cell, where the settings live in the library, reads the same.)
    pub fn env(&self) -> Result<EnvFile> {
        Ok(self.env.clone())
    }

    /// Settings that act as `keys`' principal: `S3::connect(&iam.env_for(&keys)?)` is S3 as that user or role.
    pub fn env_for(&self, keys: &Credentials) -> Result<EnvFile> {
        Ok(self.settings_for(keys))
    }

    fn settings_for(&self, keys: &Credentials) -> EnvFile {
        let mut pairs = vec![
            ("AWS_ACCESS_KEY_ID", keys.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key.expose()),
        ];
        if let Some(t) = &keys.session_token {
            pairs.push(("AWS_SESSION_TOKEN", t.expose()));
        }
        let endpoint = self.endpoint.clone();
        if let Some(ep) = &endpoint {
            pairs.push(("AWS_ENDPOINT_URL", ep.as_str()));
        }
        let region = self.env.get("AWS_REGION").unwrap_or("us-east-1").to_string();
        pairs.push(("AWS_REGION", region.as_str()));
        EnvFile::from_pairs(format!("(keys of {})", keys.principal), &pairs)
    }

    /// Who the administrator's keys (or `keys`) belong to: the ARN STS `GetCallerIdentity` answers.
    pub fn whoami(&self, keys: Option<&Credentials>) -> Result<String> {
        let sts = match keys {
            None => self.sts.clone(),
            Some(k) => self.sts_as(k)?,
        };
        let out = self.run("ask STS who is calling (GetCallerIdentity)", sts.get_caller_identity().send())?;
        Ok(out.arn().unwrap_or_default().to_string())
    }

    fn sts_as(&self, keys: &Credentials) -> Result<aws_sdk_sts::Client> {
        let env = self.settings_for(keys);
        crate::block_on(async move { sts_client(&env.aws()).await })
    }

    /// Creates an IAM user; its ARN. Users, roles and policies of a lab are tagged `sourcelab:lab` with the lab's
    /// number ([`crate::course::account`]; IAM groups take no tags).
    pub fn create_user(&self, name: &str) -> Result<String> {
        let req = self.iam.create_user().user_name(name).set_tags(lab_tags(name)?).send();
        let out = self.run(format!("create IAM user {name}"), req)?;
        self.changed();
        Ok(out.user().map(|u| u.arn().to_string()).unwrap_or_default())
    }

    /// Creates an access key for `user`: the keys that program or person signs requests with.
    pub fn create_access_key(&self, user: &str) -> Result<Credentials> {
        let out =
            self.run(format!("create an access key for {user}"), self.iam.create_access_key().user_name(user).send())?;
        let key = out
            .access_key()
            .ok_or_else(|| Error::new(ErrorKind::Service, "create an access key", "IAM returned none"))?;
        let keys = Credentials {
            principal: format!("user/{user}"),
            access_key_id: key.access_key_id().to_string(),
            secret_access_key: Secret::new(key.secret_access_key()),
            session_token: None,
            expires: None,
        };
        self.changed();
        // A new key is not accepted everywhere at once: wait until STS knows it, so the next cell can use it.
        loop {
            match self.whoami(Some(&keys)) {
                Err(e)
                    if e.cause().starts_with("InvalidClientTokenId")
                        && self.still_propagating(&format!("keys of {}", keys.principal), e.cause())? => {}
                other => return other.map(|_| keys),
            }
        }
    }

    /// Notes that this connection changed IAM now.
    fn changed(&self) {
        if let Ok(mut at) = self.changed.lock() {
            *at = Some(std::time::Instant::now());
        }
    }

    /// Whether to try again because this connection changed IAM less than [`PROPAGATION`] ago: then it says so
    /// (`what` failed with `why`) and pauses [`PROPAGATION_POLL`] first.
    fn still_propagating(&self, what: &str, why: &str) -> Result<bool> {
        let since = self.changed.lock().ok().and_then(|at| *at).map(|at| at.elapsed());
        let Some(since) = since.filter(|s| *s < PROPAGATION) else { return Ok(false) };
        crate::runtime::progress(&format!(
            "{what}: {why} — IAM changes take a few seconds to reach every AWS server; trying again ({} s since the \
             change, up to {} s)",
            since.as_secs(),
            PROPAGATION.as_secs()
        ));
        crate::runtime::pause(PROPAGATION_POLL)?;
        Ok(true)
    }

    /// Creates a group; its ARN.
    pub fn create_group(&self, name: &str) -> Result<String> {
        let out = self.run(format!("create IAM group {name}"), self.iam.create_group().group_name(name).send())?;
        self.changed();
        Ok(out.group().map(|g| g.arn().to_string()).unwrap_or_default())
    }

    /// Puts `user` into `group`: the user gets every permission of the group's policies.
    pub fn add_user_to_group(&self, user: &str, group: &str) -> Result<()> {
        let req = self.iam.add_user_to_group().user_name(user).group_name(group).send();
        self.run(format!("add {user} to group {group}"), req).map(|_| self.changed())
    }

    /// Creates a managed policy from a document (checked first, see [`Policy::parse`]); its ARN.
    pub fn create_policy(&self, name: &str, document: &Value) -> Result<String> {
        let doc = doc_text(&format!("for policy {name}"), document)?;
        let req = self.iam.create_policy().policy_name(name).policy_document(doc).set_tags(lab_tags(name)?).send();
        let out = self.run(format!("create IAM policy {name}"), req)?;
        self.changed();
        Ok(out.policy().and_then(|p| p.arn()).unwrap_or_default().to_string())
    }

    /// Attaches a managed policy to a group.
    pub fn attach_group_policy(&self, group: &str, policy_arn: &str) -> Result<()> {
        let req = self.iam.attach_group_policy().group_name(group).policy_arn(policy_arn).send();
        self.run(format!("attach {policy_arn} to group {group}"), req).map(|_| self.changed())
    }

    /// Attaches a managed policy to a user.
    pub fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        let req = self.iam.attach_user_policy().user_name(user).policy_arn(policy_arn).send();
        self.run(format!("attach {policy_arn} to user {user}"), req).map(|_| self.changed())
    }

    /// Writes an inline policy into a user (it lives and dies with the user).
    pub fn put_user_policy(&self, user: &str, name: &str, document: &Value) -> Result<()> {
        let doc = doc_text(&format!("for inline policy {name} of {user}"), document)?;
        let req = self.iam.put_user_policy().user_name(user).policy_name(name).policy_document(doc).send();
        self.run(format!("put inline policy {name} into user {user}"), req).map(|_| self.changed())
    }

    /// Creates a role that the principals in `trust` (a trust policy) may assume; its ARN.
    pub fn create_role(&self, name: &str, trust: &Value) -> Result<String> {
        if trust.get("Statement").is_none() {
            return Err(Error::new(ErrorKind::Input, format!("create role {name}"), "the trust policy has no Statement")
                .hint("{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": ARN}, \"Action\": \"sts:AssumeRole\"}]}"));
        }
        let req = self.iam.create_role().role_name(name).assume_role_policy_document(trust.to_string());
        let req = req.set_tags(lab_tags(name)?).send();
        let out = self.run(format!("create IAM role {name}"), req)?;
        self.changed();
        Ok(out.role().map(|r| r.arn().to_string()).unwrap_or_default())
    }

    /// Attaches a managed policy to a role.
    pub fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<()> {
        let req = self.iam.attach_role_policy().role_name(role).policy_arn(policy_arn).send();
        self.run(format!("attach {policy_arn} to role {role}"), req).map(|_| self.changed())
    }

    /// As the principal of `keys`, assumes the role `role_arn` (STS `AssumeRole`) for `seconds`: temporary keys,
    /// with a session token and an expiry.
    pub fn assume_role(&self, keys: &Credentials, role_arn: &str, session: &str, seconds: u32) -> Result<Credentials> {
        let sts = self.sts_as(keys)?;
        let seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
        // A role, its trust policy or the caller's permission made moments ago may not be in force yet.
        let out = loop {
            let req = sts.assume_role().role_arn(role_arn).role_session_name(session).duration_seconds(seconds);
            match self.run(format!("assume role {role_arn} as {}", keys.principal), req.send()) {
                Err(e) if is_denial(&e) && self.still_propagating(&format!("assume role {role_arn}"), e.cause())? => {}
                other => break other?,
            }
        };
        let c = out
            .credentials()
            .ok_or_else(|| Error::new(ErrorKind::Service, "assume a role", "STS returned no credentials"))?;
        let role = role_arn.rsplit('/').next().unwrap_or(role_arn);
        Ok(Credentials {
            principal: format!("role/{role}"),
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: Some(Secret::new(c.session_token())),
            expires: Some(c.expiration().to_string()),
        })
    }

    /// Every policy that applies to `principal` (`user/NAME`, `role/NAME`, or an IAM or STS ARN): a user's inline
    /// and attached policies and those of its groups; a role's inline and attached policies.
    pub fn policies(&self, principal: &str) -> Result<Vec<Policy>> {
        match principal_name(principal)? {
            ("user", user) => self.user_policies(user),
            (_, role) => self.role_policies(role),
        }
    }

    fn managed(&self, arn: &str, source: String) -> Result<Policy> {
        let p = self.run(format!("read {source}"), self.iam.get_policy().policy_arn(arn).send())?;
        let version = p.policy().and_then(|p| p.default_version_id()).unwrap_or("v1").to_string();
        let req = self.iam.get_policy_version().policy_arn(arn).version_id(&version).send();
        let v = self.run(format!("read {source}"), req)?;
        let text = v.policy_version().and_then(|v| v.document()).unwrap_or("{}");
        Policy::parse(&source, &document(text, &source)?)
    }

    fn user_policies(&self, user: &str) -> Result<Vec<Policy>> {
        let mut out = self
            .own_policies("user", user)
            .map_err(|e| e.hint(format!("there is no IAM user {user:?}: check the name, or create_user it first")))?;
        let groups = self
            .run(format!("list the groups of user {user}"), self.iam.list_groups_for_user().user_name(user).send())?;
        for g in groups.groups() {
            out.extend(self.own_policies("group", g.group_name())?);
        }
        Ok(out)
    }

    fn role_policies(&self, role: &str) -> Result<Vec<Policy>> {
        self.own_policies("role", role)
            .map_err(|e| e.hint(format!("there is no IAM role {role:?}: check the name, or create_role it first")))
    }

    /// The inline and the attached policies of one user, group or role (`kind`).
    fn own_policies(&self, kind: &str, name: &str) -> Result<Vec<Policy>> {
        // The same three calls for each kind, under each kind's names.
        macro_rules! read {
            ($set:ident, $inline:ident, $get:ident, $attached:ident) => {{
                let mut out = Vec::new();
                let list = self
                    .run(format!("list the inline policies of {kind} {name}"), self.iam.$inline().$set(name).send())?;
                for p in list.policy_names() {
                    let source = format!("inline policy {p} of {kind} {name}");
                    let got = self.run(format!("read {source}"), self.iam.$get().$set(name).policy_name(p).send())?;
                    out.push(Policy::parse(&source, &document(got.policy_document(), &source)?)?);
                }
                let list = self.run(
                    format!("list the policies attached to {kind} {name}"),
                    self.iam.$attached().$set(name).send(),
                )?;
                for a in list.attached_policies() {
                    let source = format!("policy {} (attached to {kind} {name})", a.policy_name().unwrap_or("?"));
                    out.push(self.managed(a.policy_arn().unwrap_or_default(), source)?);
                }
                out
            }};
        }
        Ok(match kind {
            "user" => read!(user_name, list_user_policies, get_user_policy, list_attached_user_policies),
            "group" => read!(group_name, list_group_policies, get_group_policy, list_attached_group_policies),
            _ => read!(role_name, list_role_policies, get_role_policy, list_attached_role_policies),
        })
    }

    /// Whether `principal` may do `action` on `resource`, decided from its policies as AWS documents it, with the
    /// statement that decided (see [`policy`]).
    pub fn explain(&self, principal: &str, action: &str, resource: &str) -> Result<Decision> {
        let policies = self.policies(principal)?;
        let mut d = policy::evaluate(&policies, action, resource);
        d.principal = principal.to_string();
        Ok(d)
    }

    /// Sends each S3 request (`(action, bucket, key)`: `s3:ListAllMyBuckets`, `s3:ListBucket` (key = prefix),
    /// `s3:GetObject`, `s3:PutObject`, `s3:DeleteObject`) for real with `keys`, and lays what the server answered
    /// next to what [`Iam::explain`] decides from the policies: columns `action`, `resource`, `server`,
    /// `explained`, `agree`, `why`.
    pub fn compare(&self, keys: &Credentials, requests: &[(&str, &str, &str)]) -> Result<DataFrame> {
        let s3 = crate::s3::S3::connect(&self.settings_for(keys))?;
        let policies = self.policies(&keys.principal)?;
        let (mut actions, mut resources, mut server, mut explained, mut agree, mut why) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (action, bucket, key) in requests {
            let resource = match *action {
                "s3:ListAllMyBuckets" => "*".to_string(),
                "s3:ListBucket" => s3_arn(bucket, ""),
                _ => s3_arn(bucket, key),
            };
            let send = || match *action {
                "s3:ListAllMyBuckets" => s3.list_buckets().map(drop),
                "s3:ListBucket" => s3.list(bucket, key).map(drop),
                "s3:GetObject" => s3.get_bytes(bucket, key).map(drop),
                "s3:PutObject" => s3.put_bytes(bucket, key, b"written in lab 6".to_vec()).map(drop),
                "s3:DeleteObject" => s3.delete_object(bucket, key).map(drop),
                other => {
                    Err(Error::new(ErrorKind::Input, format!("compare {other}"), "not an S3 request compare can send")
                        .hint("use s3:ListAllMyBuckets, s3:ListBucket, s3:GetObject, s3:PutObject or s3:DeleteObject"))
                }
            };
            let d = policy::evaluate(&policies, action, &resource);
            // The policies read now are in force everywhere only once the last change has propagated: an answer
            // they do not explain, right after a change, is asked again.
            let answer = loop {
                let answer = send();
                let (agrees, said) = match &answer {
                    Ok(()) => (d.allowed, "allowed"),
                    Err(e) if is_denial(e) => (!d.allowed, "denied"),
                    Err(_) => (true, ""),
                };
                if agrees || !self.still_propagating(&format!("{action} on {resource}"), &format!("still {said}"))? {
                    break answer;
                }
            };
            let (allowed_by_server, said) = match answer {
                Ok(()) => (true, "allowed".to_string()),
                Err(e) if is_denial(&e) => (false, format!("denied ({})", e.cause())),
                Err(e) => return Err(e),
            };
            server.push(said);
            explained.push(format!("{} ({})", if d.allowed { "allowed" } else { "denied" }, d.by));
            agree.push(d.allowed == allowed_by_server);
            why.push(d.why);
            actions.push(action.to_string());
            resources.push(resource);
        }
        DataFrame::new_infer_height(vec![
            Column::new("action".into(), actions),
            Column::new("resource".into(), resources),
            Column::new("server".into(), server),
            Column::new("explained".into(), explained),
            Column::new("agree".into(), agree),
            Column::new("why".into(), why),
        ])
        .map_err(|e| Error::new(ErrorKind::Input, "build the comparison", e.to_string()))
    }

    /// The users, groups, roles and managed policies whose names start with `prefix`, in that order (the order
    /// they can be deleted in): kind (`user`, `group`, `role`, `policy`), name, ARN.
    pub(crate) fn named(&self, prefix: &str) -> Result<Vec<(&'static str, String, String)>> {
        let mut found = Vec::new();
        let mut add = |kind: &'static str, name: &str, arn: &str| {
            if name.starts_with(prefix) {
                found.push((kind, name.to_string(), arn.to_string()));
            }
        };
        for u in self.run("list IAM users", self.iam.list_users().send())?.users() {
            add("IAM user", u.user_name(), u.arn());
        }
        for g in self.run("list IAM groups", self.iam.list_groups().send())?.groups() {
            add("IAM group", g.group_name(), g.arn());
        }
        for r in self.run("list IAM roles", self.iam.list_roles().send())?.roles() {
            add("IAM role", r.role_name(), r.arn());
        }
        let local = aws_sdk_iam::types::PolicyScopeType::Local;
        for p in self.run("list IAM policies", self.iam.list_policies().scope(local).send())?.policies() {
            add("IAM policy", p.policy_name().unwrap_or_default(), p.arn().unwrap_or_default());
        }
        Ok(found)
    }

    /// Removes every user (with its keys, group memberships and policies), group, role and managed policy whose
    /// name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        // Detaches a user's, group's or role's managed policies and deletes its inline ones: IAM deletes none of
        // the three while it still has policies.
        macro_rules! strip {
            ($kind:literal, $name:expr, $set:ident, $attached:ident, $detach:ident, $inline:ident, $delete:ident) => {{
                let name = $name;
                let list =
                    self.run(format!("list the policies of {} {name}", $kind), self.iam.$attached().$set(name).send())?;
                for a in list.attached_policies() {
                    let req = self.iam.$detach().$set(name).policy_arn(a.policy_arn().unwrap_or_default()).send();
                    self.run(format!("detach a policy from {} {name}", $kind), req)?;
                }
                let list = self.run(
                    format!("list the inline policies of {} {name}", $kind),
                    self.iam.$inline().$set(name).send(),
                )?;
                for p in list.policy_names() {
                    self.run(
                        format!("delete policy {p} of {name}"),
                        self.iam.$delete().$set(name).policy_name(p).send(),
                    )?;
                }
            }};
        }
        let mut removed = Vec::new();
        for (kind, name, arn) in self.named(prefix)? {
            let name = name.as_str();
            match kind {
                "IAM user" => {
                    let keys = self
                        .run(format!("list the keys of {name}"), self.iam.list_access_keys().user_name(name).send())?;
                    for k in keys.access_key_metadata() {
                        let id = k.access_key_id().unwrap_or_default();
                        let req = self.iam.delete_access_key().user_name(name).access_key_id(id);
                        self.run(format!("delete a key of {name}"), req.send())?;
                    }
                    let req = self.iam.list_groups_for_user().user_name(name).send();
                    let groups = self.run(format!("list the groups of {name}"), req)?;
                    for g in groups.groups() {
                        let req = self.iam.remove_user_from_group().user_name(name).group_name(g.group_name()).send();
                        self.run(format!("remove {name} from {}", g.group_name()), req)?;
                    }
                    strip!(
                        "user",
                        name,
                        user_name,
                        list_attached_user_policies,
                        detach_user_policy,
                        list_user_policies,
                        delete_user_policy
                    );
                    self.run(format!("delete user {name}"), self.iam.delete_user().user_name(name).send())?;
                }
                "IAM group" => {
                    strip!(
                        "group",
                        name,
                        group_name,
                        list_attached_group_policies,
                        detach_group_policy,
                        list_group_policies,
                        delete_group_policy
                    );
                    self.run(format!("delete group {name}"), self.iam.delete_group().group_name(name).send())?;
                }
                "IAM role" => {
                    strip!(
                        "role",
                        name,
                        role_name,
                        list_attached_role_policies,
                        detach_role_policy,
                        list_role_policies,
                        delete_role_policy
                    );
                    self.run(format!("delete role {name}"), self.iam.delete_role().role_name(name).send())?;
                }
                _ => {
                    self.run(format!("delete policy {name}"), self.iam.delete_policy().policy_arn(&arn).send())?;
                }
            }
            removed.push(format!("{} {name}", kind.trim_start_matches("IAM ")));
        }
        Ok(removed)
    }
}

/// Creates the administrator of a server that checks IAM policies, while it still lets requests through
/// unchecked (see [`crate::local::moto::ensure_iam`]): the user `admin`, an inline policy that allows everything,
/// and an access key — three requests. Returns the key id and the secret key.
pub fn bootstrap(endpoint: &str, admin: &str) -> Result<(String, Secret)> {
    // The services' own keys: an `AWS_ENDPOINT_URL_IAM` exported in the shell must not send this elsewhere.
    let pairs = [
        ("AWS_ENDPOINT_URL_IAM", endpoint),
        ("AWS_ENDPOINT_URL_STS", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bootstrap"),
        ("AWS_SECRET_ACCESS_KEY", "bootstrap"),
    ];
    let env = EnvFile::from_pairs("(the IAM lab's moto)", &pairs);
    let aws = env.aws();
    let (iam, sts) = crate::block_on(async {
        (aws_sdk_iam::Client::new(&aws.sdk_config(Service::Iam).await), sts_client(&aws).await)
    })?;
    let iam = Iam { env: env.clone(), iam, sts, endpoint: Some(endpoint.into()), changed: Default::default() };
    let everything = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}]});
    iam.create_user(admin)?;
    iam.put_user_policy(admin, "AdministratorAccess", &everything)?;
    let keys = iam.create_access_key(admin)?;
    Ok((keys.access_key_id, keys.secret_access_key))
}

/// Whether an error is the server refusing the caller (as opposed to a missing bucket or a dead server).
pub fn is_denial(e: &Error) -> bool {
    let c = e.cause();
    e.kind() == ErrorKind::Auth
        || ["AccessDenied", "Forbidden", "(403)", "not authorized"].iter().any(|k| c.contains(k))
}

/// `user/NAME`, `role/NAME`, `arn:aws:iam::ACCOUNT:user/NAME` or an assumed role's
/// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`: the kind and the name.
fn principal_name(principal: &str) -> Result<(&'static str, &str)> {
    let tail = principal.rsplit_once(':').map_or(principal, |(_, t)| t);
    let bad = || {
        Error::new(ErrorKind::Input, format!("find the principal {principal:?}"), "it names no user or role")
            .hint("write \"user/NAME\" or \"role/NAME\", or pass an ARN (keys.principal holds one)")
    };
    let (kind, rest) = tail.split_once('/').ok_or_else(bad)?;
    let name = rest.split('/').next().filter(|n| !n.is_empty()).ok_or_else(bad)?;
    match kind {
        "user" => Ok(("user", name)),
        "role" | "assumed-role" => Ok(("role", name)),
        _ => Err(bad()),
    }
}
