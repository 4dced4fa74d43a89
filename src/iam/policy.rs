//! IAM policy documents, read and evaluated the way AWS documents it for identity-based policies in one account.
//!
//! A policy is a list of statements. Each says `Allow` or `Deny`, for some actions (`s3:GetObject`, `s3:Get*`,
//! `*`) on some resources (`arn:aws:s3:::bucket/raw/*`). To decide one request (a principal doing an action on a
//! resource), AWS looks at every statement of every policy that applies to the principal:
//!
//! 1. a matching **Deny** anywhere decides: denied (an explicit deny beats every allow);
//! 2. otherwise a matching **Allow** anywhere decides: allowed;
//! 3. otherwise: denied — the **implicit deny**. Nothing is allowed unless a statement allows it.
//!
//! [`evaluate`] does exactly that and says which statement decided. `Action`/`NotAction` and
//! `Resource`/`NotResource` are matched with IAM's wildcards (`*` any run of characters, `?` one; actions
//! case-insensitively). A statement with a `Condition` is reported as not evaluated: conditions depend on the
//! request's context (source IP, time, tags), which this explainer does not see. Resource-based policies
//! (bucket policies), permission boundaries and SCPs are not part of it either.
//!
//! [`Policy::parse`] refuses a malformed document with the JSON path of the problem and what is allowed there.

use std::fmt;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The statement grants.
    Allow,
    /// The statement forbids, whatever else allows.
    Deny,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, when given.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// The action patterns, and whether they are `NotAction` (every action but these).
    pub actions: Vec<String>,
    /// `true` for `NotAction`.
    pub not_action: bool,
    /// The resource patterns.
    pub resources: Vec<String>,
    /// `true` for `NotResource`.
    pub not_resource: bool,
    /// Whether it has a `Condition` (not evaluated here).
    pub has_condition: bool,
}

/// A parsed policy document with the name it is known by (and where it is attached).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Where the policy comes from: `inline policy lab6-deny of user lab6-analyst`, `policy lab6-read (attached
    /// to group lab6-readers)`.
    pub source: String,
    /// Its statements, in order.
    pub statements: Vec<Statement>,
}

fn malformed(source: &str, path: &str, cause: impl Into<String>, hint: &str) -> Error {
    Error::new(ErrorKind::Input, format!("read the policy document {source}"), format!("{path}: {}", cause.into()))
        .hint(hint.to_string())
}

/// A string or a list of strings at `path`.
fn strings(source: &str, path: &str, v: &Value) -> Result<Vec<String>> {
    let list = match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str().map(str::to_string).ok_or_else(|| {
                    malformed(source, &format!("{path}[{i}]"), format!("{x} is not a string"), "write \"s3:GetObject\"")
                })
            })
            .collect::<Result<_>>()?,
        other => {
            return Err(malformed(
                source,
                path,
                format!("{other} is neither a string nor a list of strings"),
                "e.g. [\"s3:GetObject\", \"s3:ListBucket\"]",
            ));
        }
    };
    if list.is_empty() {
        return Err(malformed(source, path, "the list is empty", "name at least one"));
    }
    Ok(list)
}

/// One of two exclusive keys (`Action` / `NotAction`): its strings, and whether it was the `Not` one.
fn one_of(source: &str, path: &str, s: &serde_json::Map<String, Value>, key: &str) -> Result<(Vec<String>, bool)> {
    let not = format!("Not{key}");
    match (s.get(key), s.get(&not)) {
        (Some(v), None) => Ok((strings(source, &format!("{path}.{key}"), v)?, false)),
        (None, Some(v)) => Ok((strings(source, &format!("{path}.{not}"), v)?, true)),
        (Some(_), Some(_)) => Err(malformed(source, path, format!("has both {key} and {not}"), "keep one of them")),
        (None, None) => Err(malformed(
            source,
            path,
            format!("has no {key}"),
            if key == "Action" {
                "add \"Action\": \"s3:GetObject\" (or a list)"
            } else {
                "add \"Resource\": \"arn:aws:s3:::bucket/*\""
            },
        )),
    }
}

impl Policy {
    /// Reads a policy document (`{"Version": "2012-10-17", "Statement": [...]}`); `source` names it in errors.
    pub fn parse(source: &str, doc: &Value) -> Result<Policy> {
        let top = doc.as_object().ok_or_else(|| {
            malformed(
                source,
                "$",
                "the document is not a JSON object",
                "{\"Version\": \"2012-10-17\", \"Statement\": [...]}",
            )
        })?;
        for key in top.keys() {
            if !["Version", "Id", "Statement"].contains(&key.as_str()) {
                return Err(malformed(
                    source,
                    &format!("$.{key}"),
                    "unknown key",
                    "a policy has Version, Id and Statement",
                ));
            }
        }
        if let Some(v) = top.get("Version")
            && !matches!(v.as_str(), Some("2012-10-17") | Some("2008-10-17"))
        {
            return Err(malformed(
                source,
                "$.Version",
                format!("{v} is not a policy language version"),
                "use \"2012-10-17\"",
            ));
        }
        let list = match top.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
            Some(s @ Value::Object(_)) => vec![s],
            Some(other) => {
                return Err(malformed(
                    source,
                    "$.Statement",
                    format!("{other} is not a statement or a list of them"),
                    "[{\"Effect\": \"Allow\", …}]",
                ));
            }
            None => return Err(malformed(source, "$", "there is no Statement", "add \"Statement\": [{…}]")),
        };
        let mut statements = Vec::with_capacity(list.len());
        for (i, st) in list.into_iter().enumerate() {
            let path = format!("$.Statement[{i}]");
            let s = st.as_object().ok_or_else(|| {
                malformed(source, &path, "not a JSON object", "{\"Effect\": …, \"Action\": …, \"Resource\": …}")
            })?;
            for key in s.keys() {
                let known = [
                    "Sid",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition",
                    "Principal",
                    "NotPrincipal",
                ];
                if !known.contains(&key.as_str()) {
                    return Err(malformed(
                        source,
                        &format!("{path}.{key}"),
                        "unknown key",
                        "a statement has Sid, Effect, Action, Resource and Condition",
                    ));
                }
            }
            let effect = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                Some(other) => {
                    return Err(malformed(
                        source,
                        &format!("{path}.Effect"),
                        format!("{other:?} is neither \"Allow\" nor \"Deny\""),
                        "write \"Allow\" or \"Deny\" (capitalised)",
                    ));
                }
                None => return Err(malformed(source, &path, "has no Effect", "add \"Effect\": \"Allow\" or \"Deny\"")),
            };
            let (actions, not_action) = one_of(source, &path, s, "Action")?;
            for (j, a) in actions.iter().enumerate() {
                if a != "*" && !a.split_once(':').is_some_and(|(svc, act)| !svc.is_empty() && !act.is_empty()) {
                    return Err(malformed(
                        source,
                        &format!("{path}.Action[{j}]"),
                        format!("{a:?} is not service:action"),
                        "e.g. \"s3:GetObject\", \"s3:*\" or \"*\"",
                    ));
                }
            }
            let (resources, not_resource) = one_of(source, &path, s, "Resource")?;
            statements.push(Statement {
                sid: s.get("Sid").and_then(Value::as_str).map(str::to_string),
                effect,
                actions,
                not_action,
                resources,
                not_resource,
                has_condition: s.contains_key("Condition"),
            });
        }
        Ok(Policy { source: source.to_string(), statements })
    }
}

/// IAM's wildcard match: `*` any run of characters (also none), `?` exactly one.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Statement {
    fn covers(&self, action: &str, resource: &str) -> bool {
        let action = action.to_ascii_lowercase();
        let in_actions = self.actions.iter().any(|a| matches(&a.to_ascii_lowercase(), &action));
        let in_resources = self.resources.iter().any(|r| matches(r, resource));
        in_actions != self.not_action && in_resources != self.not_resource
    }

    fn name(&self, index: usize) -> String {
        match &self.sid {
            Some(sid) => format!("statement {index} (Sid {sid:?})"),
            None => format!("statement {index}"),
        }
    }
}

/// Why a request was allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    /// Who asked (`user/NAME`, `role/NAME`); empty when only policies were given.
    pub principal: String,
    /// Whether the request may go through.
    pub allowed: bool,
    /// `explicit deny`, `allow` or `implicit deny`.
    pub by: String,
    /// The statement that decided and its policy; for an implicit deny, how many policies were read.
    pub why: String,
    /// The action asked for.
    pub action: String,
    /// The resource asked for.
    pub resource: String,
    /// Statements with a `Condition` that matched the action and resource, which were not evaluated.
    pub not_evaluated: Vec<String>,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "ALLOWED" } else { "DENIED" };
        let who = if self.principal.is_empty() { String::new() } else { format!(" for {}", self.principal) };
        write!(f, "{verdict} ({}){who}: {} on {} — {}", self.by, self.action, self.resource, self.why)?;
        for s in &self.not_evaluated {
            write!(f, "\n  not evaluated (it has a Condition): {s}")?;
        }
        Ok(())
    }
}

/// Decides `action` on `resource` under `policies`, as AWS does for identity-based policies (see the module docs).
pub fn evaluate(policies: &[Policy], action: &str, resource: &str) -> Decision {
    let mut allow: Option<String> = None;
    let mut not_evaluated = Vec::new();
    for p in policies {
        for (i, s) in p.statements.iter().enumerate() {
            if !s.covers(action, resource) {
                continue;
            }
            let named = format!("{} of {}", s.name(i), p.source);
            if s.has_condition {
                not_evaluated.push(named);
                continue;
            }
            match s.effect {
                Effect::Deny => {
                    return Decision {
                        principal: String::new(),
                        allowed: false,
                        by: "explicit deny".into(),
                        why: format!("{named} denies it, and an explicit Deny beats every Allow"),
                        action: action.into(),
                        resource: resource.into(),
                        not_evaluated,
                    };
                }
                Effect::Allow => {
                    allow.get_or_insert(format!("{named} allows it"));
                }
            }
        }
    }
    let (allowed, by, why) = match allow {
        Some(why) => (true, "allow", why),
        None if policies.is_empty() => {
            (false, "implicit deny", "no policy applies at all, and whatever is not allowed is denied".to_string())
        }
        None => (
            false,
            "implicit deny",
            format!(
                "no statement of the {} polic{} allows it, and whatever is not allowed is denied",
                policies.len(),
                if policies.len() == 1 { "y" } else { "ies" }
            ),
        ),
    };
    Decision {
        principal: String::new(),
        allowed,
        by: by.into(),
        why,
        action: action.into(),
        resource: resource.into(),
        not_evaluated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(doc: Value) -> Policy {
        Policy::parse("test", &doc).unwrap()
    }

    #[test]
    fn wildcards_match_as_iam_documents() {
        assert!(matches("s3:Get*", "s3:GetObject"));
        assert!(matches("arn:aws:s3:::b/raw/*", "arn:aws:s3:::b/raw/2024/x.csv"));
        assert!(!matches("arn:aws:s3:::b/raw/*", "arn:aws:s3:::b/curated/x.csv"));
        assert!(matches("*", ""));
        assert!(matches("a?c", "abc") && !matches("a?c", "ac"));
        assert!(matches("*a*b*", "xxaxxbxx") && !matches("*a*b", "xxaxxbxx"));
    }

    #[test]
    fn deny_beats_allow_and_nothing_allowed_is_denied() {
        let read = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}));
        let deny = policy(
            json!({"Statement": {"Effect": "Deny", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/secret/*"}}),
        );
        let d = evaluate(std::slice::from_ref(&read), "s3:getobject", "arn:aws:s3:::b/raw/x");
        assert!(d.allowed && d.why.contains("Sid \"Read\""), "{d}");
        let d = evaluate(&[read.clone(), deny.clone()], "s3:GetObject", "arn:aws:s3:::b/secret/x");
        assert!(!d.allowed && d.by == "explicit deny", "{d}");
        let d = evaluate(&[read, deny], "s3:PutObject", "arn:aws:s3:::b/raw/x");
        assert!(!d.allowed && d.by == "implicit deny" && d.why.contains("2 policies"), "{d}");
        assert!(!evaluate(&[], "s3:GetObject", "x").allowed);
    }

    #[test]
    fn not_action_not_resource_and_conditions() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}));
        assert!(evaluate(std::slice::from_ref(&p), "s3:GetObject", "arn:aws:s3:::b/k").allowed);
        assert!(!evaluate(std::slice::from_ref(&p), "s3:GetObject", "arn:aws:s3:::other/k").allowed);
        let d = evaluate(&[p], "iam:ListUsers", "arn:aws:s3:::b/k");
        assert!(!d.allowed && d.not_evaluated.len() == 1, "{d}");
    }

    #[test]
    fn malformed_documents_name_the_place() {
        let cases = [
            (json!([]), "$: the document is not a JSON object"),
            (
                json!({"Statement": [{"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]}),
                "$.Statement[0].Effect",
            ),
            (json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}), "$.Statement[0]: has no Action"),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}),
                "$.Statement[0].Action[0]",
            ),
            (json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}), "has no Resource"),
            (json!({"Version": "2020-01-01", "Statement": []}), "$.Version"),
            (json!({"Statment": []}), "$.Statment: unknown key"),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}),
                "$.Statement[0].Action: the list is empty",
            ),
        ];
        for (doc, want) in cases {
            let e = Policy::parse("p", &doc).unwrap_err();
            assert!(e.to_string().contains(want), "{doc}: {e}");
        }
    }
}
