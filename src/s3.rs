//! S3, object storage: buckets hold objects under keys; "folders" are only key prefixes.
//!
//! An object is bytes plus metadata, found by its bucket and key (`csv/ratings.csv`). There are no folders: a
//! listing *with a delimiter* (`/`) groups keys by their next prefix and calls those groups "common prefixes",
//! which consoles draw as folders. With **versioning** on, a new upload to an existing key keeps the old bytes as
//! an older version, and a delete only adds a *delete marker*; objects uploaded before versioning was turned on
//! have the version id `"null"`. Buckets are private until a **bucket policy** allows more, and the
//! **public access block** settings can forbid public policies altogether.
//!
//! ```no_run
//! # use sourcelab::prelude::*;
//! # fn demo(env: &EnvFile) -> sourcelab::Result<()> {
//! let s3 = S3::connect(env)?;
//! s3.create_bucket("my-lab-bucket")?;
//! s3.upload_file("data/s3/csv/ratings_ml_training_dataset.csv", "my-lab-bucket", "csv/ratings.csv")?;
//! let trains = s3.query_csv("my-lab-bucket", "csv/ratings.csv",
//!     "SELECT * FROM s3object WHERE productline = 'Trains' LIMIT 20")?;
//! # Ok(()) }
//! ```
//!
//! Large files move in parts (multipart upload, ranged downloads), several at once. Each part streams from (or
//! to) its slice of the file through small buffers, so memory stays a few buffers per part in flight whatever the
//! file size — and whatever the part size. From a server on this machine (the local stack's moto) a download is
//! one stream instead: ranges in parallel buy bandwidth over long links, loopback has none to buy, and moto reads
//! the whole object again for every range it serves. A download goes to a temporary file next to the target and
//! is renamed into place only when complete: a failed download leaves nothing behind.
//!
//! Clients come from the env file: with `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) set they talk to that
//! endpoint with path-style addressing (`http://host/bucket/key`), which local servers need; without it they
//! talk to real S3.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart,
    CreateBucketConfiguration, Delete, ObjectIdentifier, PublicAccessBlockConfiguration, Tag, Tagging,
    VersioningConfiguration,
};
use polars::prelude::{Column, DataFrame};
use serde_json::Value;

use crate::Progress;
use crate::config::{EnvFile, Service};
use crate::error::{Error, ErrorKind, Result};

/// Files above this size are uploaded in parts and downloaded in ranges.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// The size of one part (S3's minimum is 5 MiB, except for the last part).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// Parts in flight at once.
pub const CONCURRENCY: usize = 10;
/// How much of a file one read takes while a part streams from it.
const READ_BUFFER: usize = 1024 * 1024;

/// An S3 client for the env file's settings.
pub async fn client(env: &EnvFile) -> aws_sdk_s3::Client {
    let aws = env.aws();
    let sdk = aws.sdk_config(Service::S3).await;
    let mut conf = aws_sdk_s3::config::Builder::from(&sdk);
    if let Some(ep) = aws.endpoint(Service::S3) {
        // Servers at their own address (moto, MinIO) want path-style addresses.
        conf = conf.force_path_style(true);
        if on_this_machine(&ep) {
            // No optional checksums to a server on this machine: with them every upload becomes an aws-chunked
            // stream with a trailing CRC, which moto unpacks in Python at a fraction of the plain speed. Payload
            // signing still covers the bytes of single requests, and the parts of a multipart upload carry the
            // CRC-32 we compute.
            conf = conf.request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired);
        }
    }
    aws_sdk_s3::Client::from_conf(conf.build())
}

/// Every bucket of the account, as a DataFrame (`name`, `created`).
pub fn list_buckets(env: &EnvFile) -> Result<DataFrame> {
    S3::connect(env)?.list_buckets()
}

/// One of the lab's data files: `data/s3/<path>` in the checkout (`"csv/ratings_ml_training_dataset.csv"`, …).
pub fn data_file(path: &str) -> PathBuf {
    crate::ratings::data_dir().join(path)
}

/// Checks a bucket name against S3's naming rules, so a bad name fails here with the rule it breaks.
pub fn check_bucket_name(name: &str) -> Result<()> {
    let rule = if !(3..=63).contains(&name.len()) {
        Some("it must be 3 to 63 characters long")
    } else if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        Some("only lower-case letters, digits, dots and hyphens are allowed")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some("it must begin and end with a letter or a digit")
    } else if name.contains("..") || name.contains(".-") || name.contains("-.") {
        Some("dots may not be next to each other or to a hyphen")
    } else if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        Some("it must not look like an IP address")
    } else if name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") {
        Some("the prefixes xn-- and sthree- and the suffix -s3alias are reserved")
    } else {
        None
    };
    match rule {
        Some(r) => {
            Err(Error::new(ErrorKind::Input, format!("use bucket name {name:?}"), format!("S3 would refuse it: {r}"))
                .hint(
                    "pick a name like \"de-c2w1lab3-123456789012\"; bucket names are global, so add something unique",
                ))
        }
        None => Ok(()),
    }
}

/// The longest object key S3 stores, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Checks an object key as S3 would: 1 to 1024 bytes of UTF-8 (the SDK would send an empty key as a request on
/// the bucket itself, which means something else entirely).
pub fn check_key(key: &str) -> Result<()> {
    let why = if key.is_empty() {
        "a key is 1 to 1024 bytes; this one is empty"
    } else if key.len() > MAX_KEY_BYTES {
        "a key is at most 1024 bytes of UTF-8; this one is longer"
    } else {
        return Ok(());
    };
    let shown: String = key.chars().take(40).collect();
    let more = if key.chars().count() > 40 { "…" } else { "" };
    Err(Error::new(ErrorKind::Input, format!("use object key {shown:?}{more} ({} bytes)", key.len()), why)
        .hint("keys look like paths: csv/ratings.csv; keep them short and put long text in the object"))
}

/// Checks a bucket policy document's shape before sending it, naming the JSON path of what is wrong.
pub fn check_policy(policy: &Value) -> Result<()> {
    let bad = |path: &str, why: &str| {
        Error::new(ErrorKind::Input, "check the bucket policy", format!("at {path}: {why}"))
            .hint("a policy is {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::BUCKET/prefix/*\"}]}")
    };
    let obj = policy.as_object().ok_or_else(|| bad("$", "a policy is a JSON object"))?;
    match obj.get("Version").map(|v| v.as_str()) {
        None | Some(Some("2012-10-17" | "2008-10-17")) => {}
        _ => return Err(bad("$.Version", "the version is \"2012-10-17\"")),
    }
    let statements = match obj.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        Some(Value::Object(o)) => vec![Value::Object(o.clone())],
        _ => return Err(bad("$.Statement", "a policy needs a Statement: a non-empty list of statements")),
    };
    for (i, s) in statements.iter().enumerate() {
        let at = |field: &str| format!("$.Statement[{i}].{field}");
        let s = s.as_object().ok_or_else(|| bad(&format!("$.Statement[{i}]"), "a statement is a JSON object"))?;
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err(bad(&at("Effect"), "Effect is \"Allow\" or \"Deny\"")),
        }
        if !s.contains_key("Principal") && !s.contains_key("NotPrincipal") {
            return Err(bad(&at("Principal"), "a bucket policy statement names a Principal (\"*\" for everyone)"));
        }
        if !s.contains_key("Action") && !s.contains_key("NotAction") {
            return Err(bad(&at("Action"), "a statement names an Action, like \"s3:GetObject\""));
        }
        match s.get("Resource").or_else(|| s.get("NotResource")) {
            Some(Value::String(r)) if r.starts_with("arn:aws:s3:::") => {}
            Some(Value::Array(rs))
                if !rs.is_empty() && rs.iter().all(|r| r.as_str().is_some_and(|r| r.starts_with("arn:aws:s3:::"))) => {}
            _ => return Err(bad(&at("Resource"), "Resource is an S3 ARN like \"arn:aws:s3:::BUCKET/images/*\"")),
        }
    }
    Ok(())
}

/// What an upload or download moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    /// `"uploaded"` or `"downloaded"`.
    pub direction: &'static str,
    /// The local file.
    pub path: PathBuf,
    /// `s3://bucket/key`.
    pub url: String,
    /// Bytes moved.
    pub bytes: u64,
    /// Parts (1 for a single request).
    pub parts: usize,
    /// The object's version id, when the bucket is versioned.
    pub version_id: Option<String>,
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for Transfer {}

impl fmt::Display for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = if self.direction == "uploaded" {
            (self.path.display().to_string(), self.url.clone())
        } else {
            (self.url.clone(), self.path.display().to_string())
        };
        write!(
            f,
            "{} {from} → {to}: {} bytes in {} part{}",
            self.direction,
            self.bytes,
            self.parts,
            if self.parts == 1 { "" } else { "s" }
        )?;
        if let Some(v) = &self.version_id {
            write!(f, ", version {v}")?;
        }
        Ok(())
    }
}

/// What [`S3::delete_bucket`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Emptied {
    /// The bucket.
    pub bucket: String,
    /// Object versions deleted (every version of every key).
    pub versions: usize,
    /// Delete markers deleted.
    pub delete_markers: usize,
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for Emptied {}

impl fmt::Display for Emptied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deleted bucket {} with {} object versions and {} delete markers",
            self.bucket, self.versions, self.delete_markers
        )
    }
}

/// An object's metadata (HEAD): size, type, ETag, modification time, version, user metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ObjectInfo {
    /// `s3://bucket/key`.
    pub url: String,
    /// Bytes.
    pub size: u64,
    /// The Content-Type it was stored with.
    pub content_type: Option<String>,
    /// The entity tag (an MD5 for single-part uploads, `…-N` for N parts).
    pub etag: Option<String>,
    /// When it was last written, RFC 3339.
    pub modified: Option<String>,
    /// Its version id, in a versioned bucket.
    pub version_id: Option<String>,
    /// User metadata (`x-amz-meta-*`).
    pub metadata: Vec<(String, String)>,
}

/// An S3 connection: its SDK client and transfer settings. Cheap to clone (clones share the client and its
/// connections).
#[derive(Clone)]
pub struct S3 {
    client: aws_sdk_s3::Client,
    sts: aws_sdk_sts::Client,
    endpoint: Option<String>,
    region: String,
    part_size: u64,
    concurrency: usize,
    ranged_downloads: bool,
    progress: Progress,
}

impl fmt::Debug for S3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S3({}, {})", self.endpoint.as_deref().unwrap_or("AWS"), self.region)
    }
}

/// The standard reason phrase of the HTTP statuses S3 answers errors with.
fn http_reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        503 => "Slow Down",
        _ => "HTTP error",
    }
}

fn url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

fn time_text(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok())
}

fn frame(columns: Vec<Column>, what: &str) -> Result<DataFrame> {
    DataFrame::new_infer_height(columns)
        .map_err(|e| Error::new(ErrorKind::Input, format!("build the {what} table"), e.to_string()))
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send>>;

impl S3 {
    /// A client for the env file's S3 (the local stack's moto, or AWS).
    pub fn connect(env: &EnvFile) -> Result<S3> {
        let env = env.clone();
        crate::wait(async move {
            let aws = env.aws();
            let region =
                aws.sdk_config(Service::S3).await.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into());
            let client = client(&env).await;
            Ok(S3 {
                client,
                sts: crate::iam::sts_client(&aws).await,
                endpoint: aws.endpoint(Service::S3),
                region,
                part_size: PART_SIZE,
                concurrency: CONCURRENCY,
                ranged_downloads: !aws.endpoint(Service::S3).is_some_and(|ep| on_this_machine(&ep)),
                progress: Progress::Print,
            })
        })
    }

    /// The same connection with another part size (at least 5 MiB) and parts in flight.
    pub fn with_parts(mut self, part_size: u64, concurrency: usize) -> Self {
        self.part_size = part_size.max(5 * 1024 * 1024);
        self.concurrency = concurrency.max(1);
        self
    }

    /// The same connection, downloading large objects in ranges (several at once) or in one stream. Ranges are the
    /// default against AWS; one stream against a server on this machine (see the module docs).
    pub fn with_ranged_downloads(mut self, ranged: bool) -> Self {
        self.ranged_downloads = ranged;
        self
    }

    /// The same connection, printing progress of large transfers or not.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The SDK client, for calls these helpers do not cover (use it in the cell that asked for it).
    pub fn sdk(&self) -> Result<aws_sdk_s3::Client> {
        Ok(self.client.clone())
    }

    fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// The region buckets are created in.
    pub fn region(&self) -> &str {
        &self.region
    }

    fn err<E>(&self, what: String, e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = e.code().map(str::to_string);
        let status = match &e {
            SdkError::ServiceError(se) => Some(se.raw().status().as_u16()),
            _ => None,
        };
        let err = crate::error::aws(what, self.endpoint.as_deref(), e);
        let (kind, hint) = match (code.as_deref(), status) {
            (Some("NoSuchBucket"), _) => {
                (ErrorKind::NotFound, "no bucket of that name: check it with list_buckets(), or create it")
            }
            (Some("NoSuchKey"), _) | (_, Some(404)) => (
                ErrorKind::NotFound,
                "no object under that key: list the bucket (s3.list(bucket, prefix)) to see the keys",
            ),
            (Some("BucketAlreadyExists"), _) => (
                ErrorKind::Service,
                "another AWS account has this name: bucket names are shared by every account in the world. Make \
                 yours unique with your account id: `s3.account_bucket(\"my-prefix\")?` names it \
                 my-prefix-ACCOUNT-REGION",
            ),
            (Some("BucketAlreadyOwnedByYou"), _) => (
                ErrorKind::Service,
                "you made this bucket already (an earlier run): use it, or delete it with s3.delete_bucket(name)",
            ),
            (Some("BucketNotEmpty"), _) => {
                (ErrorKind::Service, "delete every object version first (delete_bucket does)")
            }
            (Some("MalformedPolicy"), _) => {
                (ErrorKind::Input, "S3 refused the policy document; the message names the part")
            }
            (Some("AccessDenied"), _) | (_, Some(403)) => (
                ErrorKind::Auth,
                "the caller may not do this: nothing in its IAM policies allows it, or a Deny (in them or in the \
                 bucket's policy) forbids it — iam.explain(…) names the statement; get_policy() shows the bucket's",
            ),
            (Some("NoSuchBucketPolicy"), _) => (ErrorKind::NotFound, "the bucket has no policy yet"),
            _ => return err,
        };
        let text = err.to_string();
        let (what, cause) = text.split_once(": ").unwrap_or((&text, ""));
        let cause = cause.split("\n  hint:").next().unwrap_or(cause);
        // Some answers carry no error code at all (a HEAD, or moto's bare 403): say the status, as the AWS CLI does.
        let cause = match (code, status) {
            (None, Some(s)) => format!("({s}) {}", http_reason(s)),
            _ => cause.to_string(),
        };
        Error::new(kind, what, cause).hint(hint)
    }

    fn run<T: Send + 'static>(&self, f: impl FnOnce(S3) -> BoxFuture<T>) -> Result<T> {
        crate::wait(f(self.clone()))
    }

    /// A bucket name of your own: `{prefix}-{account id}-{region}`, e.g. `de-c2w1lab3-123456789012-us-east-1`.
    /// Bucket names are shared by every AWS account in the world, so a fixed name in a notebook belongs to whoever
    /// ran it first, and everyone after gets `BucketAlreadyExists`; the account id and region make the name yours.
    /// (The stack's moto serves only your account, so any free name passes here; on AWS the world shares them.)
    pub fn account_bucket(&self, prefix: &str) -> Result<String> {
        let req = self.sts.get_caller_identity().send();
        let out = crate::block_on(req)?.map_err(|e| {
            crate::error::aws("ask STS for your account id (GetCallerIdentity)", self.endpoint.as_deref(), e)
        })?;
        let name = format!("{prefix}-{}-{}", out.account().unwrap_or_default(), self.region);
        check_bucket_name(&name).map_err(|e| e.hint("use a shorter prefix of lowercase letters, digits and -"))?;
        Ok(name)
    }

    /// The account's buckets whose names start with `prefix`.
    pub(crate) fn buckets_starting_with(&self, prefix: &str) -> Result<Vec<String>> {
        let names = self.list_buckets()?;
        let column =
            names.column("name").map_err(|e| Error::new(ErrorKind::Service, "list S3 buckets", e.to_string()))?;
        Ok((0..column.len())
            .filter_map(|i| column.get(i).ok().and_then(|v| v.get_str().map(str::to_string)))
            .filter(|n| n.starts_with(prefix))
            .collect())
    }

    /// Every bucket of the account, as a DataFrame (`name`, `created`).
    pub fn list_buckets(&self) -> Result<DataFrame> {
        self.run(|s| {
            Box::pin(async move {
                let out = s.client().list_buckets().send().await.map_err(|e| s.err("list S3 buckets".into(), e))?;
                let buckets = out.buckets();
                let names: Vec<String> = buckets.iter().map(|b| b.name().unwrap_or_default().to_string()).collect();
                let created: Vec<Option<String>> = buckets.iter().map(|b| time_text(b.creation_date())).collect();
                frame(vec![Column::new("name".into(), names), Column::new("created".into(), created)], "bucket")
            })
        })
    }

    /// Creates a bucket in this connection's region (`us-east-1` takes no location constraint). A lab's bucket is
    /// tagged `sourcelab:lab` with the lab's number ([`crate::course::account`]).
    pub fn create_bucket(&self, bucket: &str) -> Result<String> {
        check_bucket_name(bucket)?;
        let bucket = bucket.to_string();
        self.run(|s| {
            Box::pin(async move {
                let mut req = s.client().create_bucket().bucket(&bucket);
                if s.region != "us-east-1" {
                    req = req.create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(s.region.as_str()))
                            .build(),
                    );
                }
                req.send().await.map_err(|e| s.err(format!("create bucket {bucket}"), e))?;
                if let Some(lab) = crate::course::account::lab_of(&bucket) {
                    let what = || format!("tag bucket {bucket} with {}", crate::course::account::LAB_TAG);
                    let bad = |e: aws_sdk_s3::error::BuildError| Error::new(ErrorKind::Input, what(), e.to_string());
                    let tag = Tag::builder().key(crate::course::account::LAB_TAG).value(lab.to_string()).build();
                    let tagging = Tagging::builder().tag_set(tag.map_err(bad)?).build().map_err(bad)?;
                    let req = s.client().put_bucket_tagging().bucket(&bucket).tagging(tagging);
                    req.send().await.map_err(|e| s.err(what(), e))?;
                }
                Ok(format!("created bucket {bucket} in {}", s.region))
            })
        })
    }

    /// Uploads a local file to `bucket`/`key`: one request up to 8 MiB, in parts (10 at a time) above.
    pub fn upload_file(&self, path: impl AsRef<Path>, bucket: &str, key: &str) -> Result<Transfer> {
        check_key(key)?;
        let (path, bucket, key) = (path.as_ref().to_path_buf(), bucket.to_string(), key.to_string());
        self.run(|s| Box::pin(async move { s.upload_here(&path, &bucket, &key).await }))
    }

    async fn upload_here(&self, path: &Path, bucket: &str, key: &str) -> Result<Transfer> {
        let size = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?.len();
        let what = format!("upload {} to {}", path.display(), url(bucket, key));
        let content_type = content_type(key);
        let mut t = Transfer {
            direction: "uploaded",
            path: path.to_path_buf(),
            url: url(bucket, key),
            bytes: size,
            parts: 1,
            version_id: None,
        };
        if size <= MULTIPART_THRESHOLD {
            let body = ByteStream::from_path(path)
                .await
                .map_err(|e| Error::new(ErrorKind::Io, what.clone(), e.to_string()))?;
            let out = self
                .client()
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(body)
                .send()
                .await
                .map_err(|e| self.err(what.clone(), e))?;
            t.version_id = out.version_id().map(str::to_string);
            return Ok(t);
        }
        let created = self
            .client()
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| self.err(what.clone(), e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let parts = match self.upload_parts(path, bucket, key, &upload_id, size, &what).await {
            Ok(p) => p,
            Err(e) => {
                // Leave no half-finished upload behind (its parts would be stored, and billed, until aborted).
                let _ =
                    self.client().abort_multipart_upload().bucket(bucket).key(key).upload_id(&upload_id).send().await;
                return Err(e);
            }
        };
        t.parts = parts.len();
        let done = self
            .client()
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| self.err(what.clone(), e))?;
        t.version_id = done.version_id().map(str::to_string);
        Ok(t)
    }

    async fn upload_parts(
        &self,
        path: &Path,
        bucket: &str,
        key: &str,
        upload_id: &str,
        size: u64,
        what: &str,
    ) -> Result<Vec<CompletedPart>> {
        use futures_util::StreamExt as _;
        let count = size.div_ceil(self.part_size);
        let mut meter = Meter::new(self.progress, "uploaded", size);
        let mut stream = futures_util::stream::iter(0..count)
            .map(|i| {
                let (offset, len) = (i * self.part_size, self.part_size.min(size - i * self.part_size));
                async move {
                    // Each part streams from its slice of the file: memory stays a few small buffers per part in
                    // flight, whatever the part size. Its CRC-32 goes ahead in a header (a second read of the slice,
                    // from the page cache), so S3 checks every part without an aws-chunked body.
                    let crc = part_crc32(path, offset, len).await.map_err(|e| Error::io("read", path, e))?;
                    let body = ByteStream::read_from()
                        .path(path)
                        .offset(offset)
                        .length(Length::Exact(len))
                        .buffer_size(READ_BUFFER)
                        .build()
                        .await
                        .map_err(|e| Error::new(ErrorKind::Io, what.to_string(), e.to_string()))?;
                    let out = self
                        .client()
                        .upload_part()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(upload_id)
                        .part_number(i as i32 + 1)
                        .checksum_crc32(&crc)
                        .body(body)
                        .customize()
                        .disable_payload_signing()
                        .send()
                        .await
                        .map_err(|e| self.err(format!("{what} (part {})", i + 1), e))?;
                    Ok::<_, Error>((
                        CompletedPart::builder()
                            .part_number(i as i32 + 1)
                            .set_e_tag(out.e_tag().map(str::to_string))
                            .checksum_crc32(crc)
                            .build(),
                        len,
                    ))
                }
            })
            .buffer_unordered(self.concurrency);
        let mut parts = Vec::with_capacity(count as usize);
        while let Some(part) = stream.next().await {
            let (part, len) = part?;
            meter.add(len, path, &url(bucket, key));
            parts.push(part);
        }
        parts.sort_by_key(|p| p.part_number());
        Ok(parts)
    }

    /// Downloads `bucket`/`key` to a local file, in ranges (10 at a time) above 8 MiB — or in one stream from a server
    /// on this machine, see [`S3::with_ranged_downloads`]. The bytes go to a temporary file beside the target,
    /// renamed into place when complete; on failure nothing is left behind.
    pub fn download_file(&self, bucket: &str, key: &str, path: impl AsRef<Path>) -> Result<Transfer> {
        check_key(key)?;
        let (path, bucket, key) = (path.as_ref().to_path_buf(), bucket.to_string(), key.to_string());
        self.run(|s| Box::pin(async move { s.download_here(&bucket, &key, &path).await }))
    }

    async fn download_here(&self, bucket: &str, key: &str, path: &Path) -> Result<Transfer> {
        let what = format!("download {} to {}", url(bucket, key), path.display());
        let head =
            self.client().head_object().bucket(bucket).key(key).send().await.map_err(|e| self.err(what.clone(), e))?;
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::new(ErrorKind::NotFound, what, format!("the folder {} does not exist", dir.display()))
                .hint("create it first (std::fs::create_dir_all) or download somewhere else"));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "download".into());
        let tmp = dir.join(format!(".{name}.part-{}", std::process::id()));
        let mut result = self.fetch_into(bucket, key, &tmp, size, head.version_id(), &what).await;
        if result.is_ok()
            && let Err(e) = self.verify_etag(bucket, key, head.version_id(), head.e_tag(), &tmp, &what).await
        {
            result = Err(e);
        }
        let finished = result.and_then(|parts| {
            std::fs::rename(&tmp, path)
                .map_err(|e| Error::io("move the download into place at", path, e))
                .map(|_| parts)
        });
        match finished {
            Ok(parts) => Ok(Transfer {
                direction: "downloaded",
                path: path.to_path_buf(),
                url: url(bucket, key),
                bytes: size,
                parts,
                version_id: head.version_id().map(str::to_string),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Checks a downloaded file against the object's ETag. For an object S3 stored without KMS encryption the ETag
    /// is the MD5 of its bytes (`"9e10…"`, one request) or, after a multipart upload, the MD5 of its parts' MD5s
    /// and their count (`"6e5f…-3"`): the parts' sizes come from `HeadObject` with a part number. A mismatch is an
    /// error (the caller then removes the file); an ETag of another form (KMS) cannot be checked this way.
    async fn verify_etag(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        etag: Option<&str>,
        file: &Path,
        what: &str,
    ) -> Result<()> {
        let Some((md5, parts)) = etag.and_then(parse_etag) else { return Ok(()) };
        let mut ranges = Vec::new();
        match parts {
            None => ranges.push((0, std::fs::metadata(file).map_err(|e| Error::io("read", file, e))?.len())),
            Some(n) => {
                let mut offset = 0;
                for part in 1..=n {
                    let head = self
                        .client()
                        .head_object()
                        .bucket(bucket)
                        .key(key)
                        .set_version_id(version.map(str::to_string))
                        .part_number(part as i32)
                        .send()
                        .await
                        .map_err(|e| self.err(format!("{what} (the size of part {part}, to check it)"), e))?;
                    let len = head.content_length().unwrap_or(0).max(0) as u64;
                    ranges.push((offset, len));
                    offset += len;
                }
            }
        }
        let path = file.to_path_buf();
        let digests = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<[u8; 16]>> {
            use md5::Digest as _;
            use std::io::{Read as _, Seek as _};
            let mut f = std::fs::File::open(&path)?;
            let mut buf = vec![0u8; READ_BUFFER];
            let mut out = Vec::with_capacity(ranges.len());
            for (offset, len) in ranges {
                f.seek(std::io::SeekFrom::Start(offset))?;
                let mut hasher = md5::Md5::new();
                let mut left = len;
                while left > 0 {
                    let want = left.min(buf.len() as u64) as usize;
                    let n = f.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    hasher.update(&buf[..n]);
                    left -= n as u64;
                }
                out.push(hasher.finalize().into());
            }
            Ok(out)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Io, what.to_string(), e.to_string()))?
        .map_err(|e| Error::io("check the download", file, e))?;
        let got = match parts {
            None => hex(&digests[0]),
            Some(_) => {
                use md5::Digest as _;
                let whole: [u8; 16] = md5::Md5::digest(digests.concat()).into();
                hex(&whole)
            }
        };
        if got == md5 {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Io,
            what.to_string(),
            format!("the bytes that arrived do not match the object's checksum (ETag {md5}, the download's {got})"),
        )
        .hint("nothing was written: the connection or a proxy changed the data; download again"))
    }

    async fn fetch_into(
        &self,
        bucket: &str,
        key: &str,
        tmp: &Path,
        size: u64,
        version: Option<&str>,
        what: &str,
    ) -> Result<usize> {
        use futures_util::StreamExt as _;
        let file = std::fs::File::create(tmp).map_err(|e| Error::io("write", tmp, e))?;
        file.set_len(size).map_err(|e| Error::io("write", tmp, e))?;
        let file = std::sync::Arc::new(file);
        let ranges: Vec<(u64, u64)> = if size <= MULTIPART_THRESHOLD || !self.ranged_downloads {
            vec![(0, size)]
        } else {
            (0..size.div_ceil(self.part_size))
                .map(|i| (i * self.part_size, self.part_size.min(size - i * self.part_size)))
                .collect()
        };
        let parts = ranges.len();
        let progress = if size > MULTIPART_THRESHOLD { self.progress } else { Progress::Quiet };
        let meter = std::sync::Mutex::new(Meter::new(progress, "downloaded", size));
        let mut stream = futures_util::stream::iter(ranges)
            .map(|(offset, len)| {
                let (file, meter) = (file.clone(), &meter);
                async move {
                    let mut req =
                        self.client().get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_string));
                    if parts > 1 {
                        req = req.range(format!("bytes={offset}-{}", offset + len - 1));
                    }
                    let out = req.send().await.map_err(|e| self.err(what.to_string(), e))?;
                    let mut body = out.body;
                    let mut at = offset;
                    while let Some(chunk) = body
                        .try_next()
                        .await
                        .map_err(|e| Error::new(ErrorKind::Connect, what.to_string(), e.to_string()))?
                    {
                        std::os::unix::fs::FileExt::write_all_at(&*file, &chunk, at)
                            .map_err(|e| Error::io("write", tmp, e))?;
                        at += chunk.len() as u64;
                        if let Ok(mut m) = meter.lock() {
                            m.add(chunk.len() as u64, tmp, &url(bucket, key));
                        }
                    }
                    if at - offset != len {
                        return Err(Error::new(
                            ErrorKind::Connect,
                            what.to_string(),
                            format!("got {} of {len} bytes", at - offset),
                        ));
                    }
                    Ok::<_, Error>(())
                }
            })
            .buffer_unordered(self.concurrency);
        while let Some(done) = stream.next().await {
            done?;
        }
        file.sync_all().map_err(|e| Error::io("write", tmp, e))?;
        Ok(parts)
    }

    /// Stores bytes under `bucket`/`key`.
    pub fn put_bytes(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<Option<String>> {
        check_key(key)?;
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.run(|s| {
            Box::pin(async move {
                let out = s
                    .client()
                    .put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .content_type(content_type(&key))
                    .body(ByteStream::from(bytes))
                    .send()
                    .await
                    .map_err(|e| s.err(format!("put {}", url(&bucket, &key)), e))?;
                Ok(out.version_id().map(str::to_string))
            })
        })
    }

    /// The bytes of `bucket`/`key`.
    pub fn get_bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        check_key(key)?;
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.run(|s| {
            Box::pin(async move {
                let what = format!("get {}", url(&bucket, &key));
                let out = s
                    .client()
                    .get_object()
                    .bucket(&bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| s.err(what.clone(), e))?;
                let data = out.body.collect().await.map_err(|e| Error::new(ErrorKind::Connect, what, e.to_string()))?;
                Ok(data.into_bytes().to_vec())
            })
        })
    }

    /// Stores a JSON value (pretty-printed) under `bucket`/`key`.
    pub fn put_json(&self, bucket: &str, key: &str, value: &Value) -> Result<Option<String>> {
        let text =
            serde_json::to_vec_pretty(value).map_err(|e| Error::new(ErrorKind::Input, "write JSON", e.to_string()))?;
        self.put_bytes(bucket, key, text)
    }

    /// The JSON value stored under `bucket`/`key`.
    pub fn get_json(&self, bucket: &str, key: &str) -> Result<Value> {
        let bytes = self.get_bytes(bucket, key)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::new(ErrorKind::Input, format!("read {} as JSON", url(bucket, key)), "not UTF-8 text")
        })?;
        crate::marshal::parse_json(&text, &url(bucket, key))
    }

    /// The objects whose keys start with `prefix`, every page: `key`, `size`, `modified`.
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<DataFrame> {
        self.listing(bucket, prefix, None)
    }

    /// One level of a "folder": the common prefixes under `prefix` (as `folder` rows, like the console's
    /// folders) and the objects directly in it, every page: `key`, `kind`, `size`, `modified`.
    pub fn list_folder(&self, bucket: &str, prefix: &str) -> Result<DataFrame> {
        self.listing(bucket, prefix, Some("/"))
    }

    fn listing(&self, bucket: &str, prefix: &str, delimiter: Option<&str>) -> Result<DataFrame> {
        let (bucket, prefix, delimiter) = (bucket.to_string(), prefix.to_string(), delimiter.map(str::to_string));
        self.run(|s| {
            Box::pin(async move {
                let (mut keys, mut kinds, mut sizes, mut times) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                let mut token: Option<String> = None;
                loop {
                    let out = s
                        .client()
                        .list_objects_v2()
                        .bucket(&bucket)
                        .prefix(&prefix)
                        .set_delimiter(delimiter.clone())
                        .set_continuation_token(token.take())
                        .send()
                        .await
                        .map_err(|e| s.err(format!("list {}", url(&bucket, &prefix)), e))?;
                    for p in out.common_prefixes() {
                        keys.push(p.prefix().unwrap_or_default().to_string());
                        kinds.push("folder");
                        sizes.push(None);
                        times.push(None);
                    }
                    for o in out.contents() {
                        keys.push(o.key().unwrap_or_default().to_string());
                        kinds.push("object");
                        sizes.push(o.size().map(|n| n.max(0) as u64));
                        times.push(time_text(o.last_modified()));
                    }
                    match out.next_continuation_token() {
                        Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
                        _ => break,
                    }
                }
                let mut cols = vec![Column::new("key".into(), keys)];
                if delimiter.is_some() {
                    cols.push(Column::new("kind".into(), kinds));
                }
                cols.push(Column::new("size".into(), sizes));
                cols.push(Column::new("modified".into(), times));
                frame(cols, "listing")
            })
        })
    }

    /// The object's metadata, without its bytes.
    pub fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.run(|s| {
            Box::pin(async move {
                let o = s
                    .client()
                    .head_object()
                    .bucket(&bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("read the metadata of {}", url(&bucket, &key)), e))?;
                let mut metadata: Vec<(String, String)> =
                    o.metadata().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
                metadata.sort();
                Ok(ObjectInfo {
                    url: url(&bucket, &key),
                    size: o.content_length().unwrap_or(0).max(0) as u64,
                    content_type: o.content_type().map(str::to_string),
                    etag: o.e_tag().map(str::to_string),
                    modified: time_text(o.last_modified()),
                    version_id: o.version_id().map(str::to_string),
                    metadata,
                })
            })
        })
    }

    /// Turns versioning on: from now on an upload to an existing key keeps the older bytes as a version.
    pub fn enable_versioning(&self, bucket: &str) -> Result<String> {
        let bucket = bucket.to_string();
        self.run(|s| {
            Box::pin(async move {
                s.client()
                    .put_bucket_versioning()
                    .bucket(&bucket)
                    .versioning_configuration(
                        VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
                    )
                    .send()
                    .await
                    .map_err(|e| s.err(format!("turn on versioning of {bucket}"), e))?;
                Ok(format!("versioning of {bucket}: Enabled"))
            })
        })
    }

    /// Every version and delete marker under `prefix`, every page: `key`, `version_id`, `is_latest`,
    /// `delete_marker`, `size`, `modified` (newest first per key, as S3 lists them).
    pub fn versions(&self, bucket: &str, prefix: &str) -> Result<DataFrame> {
        let rows = self.version_rows(bucket, prefix)?;
        frame(
            vec![
                Column::new("key".into(), rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>()),
                Column::new("version_id".into(), rows.iter().map(|r| r.version_id.clone()).collect::<Vec<_>>()),
                Column::new("is_latest".into(), rows.iter().map(|r| r.is_latest).collect::<Vec<_>>()),
                Column::new("delete_marker".into(), rows.iter().map(|r| r.delete_marker).collect::<Vec<_>>()),
                Column::new("size".into(), rows.iter().map(|r| r.size).collect::<Vec<_>>()),
                Column::new("modified".into(), rows.iter().map(|r| r.modified.clone()).collect::<Vec<_>>()),
            ],
            "versions",
        )
    }

    fn version_rows(&self, bucket: &str, prefix: &str) -> Result<Vec<VersionRow>> {
        let (bucket, prefix) = (bucket.to_string(), prefix.to_string());
        self.run(|s| {
            Box::pin(async move {
                let mut rows = Vec::new();
                let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
                loop {
                    let out = s
                        .client()
                        .list_object_versions()
                        .bucket(&bucket)
                        .prefix(&prefix)
                        .set_key_marker(key_marker.take())
                        .set_version_id_marker(version_marker.take())
                        .send()
                        .await
                        .map_err(|e| s.err(format!("list the versions in {}", url(&bucket, &prefix)), e))?;
                    for v in out.versions() {
                        rows.push(VersionRow {
                            key: v.key().unwrap_or_default().to_string(),
                            version_id: v.version_id().unwrap_or("null").to_string(),
                            is_latest: v.is_latest().unwrap_or(false),
                            delete_marker: false,
                            size: v.size().map(|n| n.max(0) as u64),
                            modified: time_text(v.last_modified()),
                        });
                    }
                    for m in out.delete_markers() {
                        rows.push(VersionRow {
                            key: m.key().unwrap_or_default().to_string(),
                            version_id: m.version_id().unwrap_or("null").to_string(),
                            is_latest: m.is_latest().unwrap_or(false),
                            delete_marker: true,
                            size: None,
                            modified: time_text(m.last_modified()),
                        });
                    }
                    if out.is_truncated() != Some(true) {
                        return Ok(rows);
                    }
                    key_marker = out.next_key_marker().map(str::to_string);
                    version_marker = out.next_version_id_marker().map(str::to_string);
                    if key_marker.is_none() {
                        return Ok(rows);
                    }
                }
            })
        })
    }

    /// Deletes the object (in a versioned bucket: adds a delete marker, the versions stay).
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<String>> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.run(|s| {
            Box::pin(async move {
                let out = s
                    .client()
                    .delete_object()
                    .bucket(&bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("delete {}", url(&bucket, &key)), e))?;
                Ok(out.version_id().map(str::to_string))
            })
        })
    }

    /// The bucket's public access block settings as JSON (all four `true` when none were set: S3's default).
    pub fn public_access_block(&self, bucket: &str) -> Result<Value> {
        let bucket = bucket.to_string();
        self.run(|s| {
            Box::pin(async move {
                match s.client().get_public_access_block().bucket(&bucket).send().await {
                    Ok(out) => {
                        let c = out.public_access_block_configuration();
                        let f = |v: Option<bool>| v.unwrap_or(false);
                        Ok(serde_json::json!({
                            "BlockPublicAcls": f(c.and_then(|c| c.block_public_acls())),
                            "IgnorePublicAcls": f(c.and_then(|c| c.ignore_public_acls())),
                            "BlockPublicPolicy": f(c.and_then(|c| c.block_public_policy())),
                            "RestrictPublicBuckets": f(c.and_then(|c| c.restrict_public_buckets())),
                        }))
                    }
                    Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Ok(serde_json::json!({
                        "BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true,
                    })),
                    Err(e) => Err(s.err(format!("read the public access block of {bucket}"), e)),
                }
            })
        })
    }

    /// Sets all four public access block settings to `block` (false lets a bucket policy make objects public).
    pub fn set_public_access_block(&self, bucket: &str, block: bool) -> Result<Value> {
        let b = bucket.to_string();
        self.run(move |s| {
            Box::pin(async move {
                let conf = PublicAccessBlockConfiguration::builder()
                    .block_public_acls(block)
                    .ignore_public_acls(block)
                    .block_public_policy(block)
                    .restrict_public_buckets(block)
                    .build();
                s.client()
                    .put_public_access_block()
                    .bucket(&b)
                    .public_access_block_configuration(conf)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("set the public access block of {b}"), e))?;
                Ok(())
            })
        })?;
        self.public_access_block(bucket)
    }

    /// Attaches a bucket policy (checked first, see [`check_policy`]).
    pub fn put_policy(&self, bucket: &str, policy: &Value) -> Result<()> {
        check_policy(policy)?;
        let (bucket, text) = (bucket.to_string(), policy.to_string());
        self.run(|s| {
            Box::pin(async move {
                s.client()
                    .put_bucket_policy()
                    .bucket(&bucket)
                    .policy(text)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("put the policy of {bucket}"), e))?;
                Ok(())
            })
        })
    }

    /// The bucket's policy as JSON.
    pub fn get_policy(&self, bucket: &str) -> Result<Value> {
        let bucket = bucket.to_string();
        self.run(|s| {
            Box::pin(async move {
                let out = s
                    .client()
                    .get_bucket_policy()
                    .bucket(&bucket)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("read the policy of {bucket}"), e))?;
                crate::marshal::parse_json(out.policy().unwrap_or("{}"), &format!("the policy of {bucket}"))
            })
        })
    }

    /// Removes the bucket's policy.
    pub fn delete_policy(&self, bucket: &str) -> Result<()> {
        let bucket = bucket.to_string();
        self.run(|s| {
            Box::pin(async move {
                s.client()
                    .delete_bucket_policy()
                    .bucket(&bucket)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("delete the policy of {bucket}"), e))?;
                Ok(())
            })
        })
    }

    /// A URL that lets anyone GET the object for `seconds`, signed with this connection's credentials.
    pub fn presigned_get(&self, bucket: &str, key: &str, seconds: u64) -> Result<String> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.run(move |s| {
            Box::pin(async move {
                let what = format!("presign a GET of {}", url(&bucket, &key));
                let conf = aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(seconds)).map_err(
                    |e| {
                        Error::new(ErrorKind::Input, what.clone(), e.to_string())
                            .hint("at most 7 days (604800 seconds)")
                    },
                )?;
                let req = s
                    .client()
                    .get_object()
                    .bucket(&bucket)
                    .key(&key)
                    .presigned(conf)
                    .await
                    .map_err(|e| s.err(what.clone(), e))?;
                Ok(req.uri().to_string())
            })
        })
    }

    /// Deletes every object version and delete marker, then the bucket itself.
    pub fn delete_bucket(&self, bucket: &str) -> Result<Emptied> {
        let rows = self.version_rows(bucket, "")?;
        let b = bucket.to_string();
        self.run(move |s| {
            Box::pin(async move {
                let mut emptied = Emptied { bucket: b.clone(), ..Default::default() };
                for chunk in rows.chunks(1000) {
                    let ids: Vec<ObjectIdentifier> = chunk
                        .iter()
                        .filter_map(|r| ObjectIdentifier::builder().key(&r.key).version_id(&r.version_id).build().ok())
                        .collect();
                    let out = s
                        .client()
                        .delete_objects()
                        .bucket(&b)
                        .delete(Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(|e| {
                            Error::new(ErrorKind::Input, format!("delete the objects of {b}"), e.to_string())
                        })?)
                        .send()
                        .await
                        .map_err(|e| s.err(format!("delete the objects of {b}"), e))?;
                    if let Some(first) = out.errors().first() {
                        return Err(Error::new(
                            ErrorKind::Service,
                            format!("delete the objects of {b}"),
                            format!(
                                "{} of {} not deleted, first {:?}: {}",
                                out.errors().len(),
                                chunk.len(),
                                first.key().unwrap_or_default(),
                                first.message().unwrap_or_default()
                            ),
                        ));
                    }
                    emptied.versions += chunk.iter().filter(|r| !r.delete_marker).count();
                    emptied.delete_markers += chunk.iter().filter(|r| r.delete_marker).count();
                }
                s.client()
                    .delete_bucket()
                    .bucket(&b)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("delete bucket {b}"), e))?;
                Ok(emptied)
            })
        })
    }

    /// A CSV object as a DataFrame (header row, types inferred from the data).
    pub fn read_csv(&self, bucket: &str, key: &str) -> Result<DataFrame> {
        let bytes = self.get_bytes(bucket, key)?;
        csv_frame(bytes, &url(bucket, key))
    }

    /// Runs SQL over a CSV object, here and now with polars (the table is called `s3object`, as in S3 Select):
    /// `SELECT * FROM s3object s WHERE s."productline" = 'Trains' LIMIT 20`.
    pub fn query_csv(&self, bucket: &str, key: &str, sql: &str) -> Result<DataFrame> {
        let df = self.read_csv(bucket, key)?;
        query_frame(&df, sql)
    }

    /// The multipart uploads of `bucket` that were started and neither completed nor aborted, as
    /// `key (upload id)`: S3 keeps (and bills) their parts until someone aborts them. [`S3::upload_file`] aborts
    /// its own when it cannot finish, so after it this is empty.
    pub fn incomplete_uploads(&self, bucket: &str) -> Result<Vec<String>> {
        let bucket = bucket.to_string();
        self.run(|s| {
            Box::pin(async move {
                let out = s
                    .client()
                    .list_multipart_uploads()
                    .bucket(&bucket)
                    .send()
                    .await
                    .map_err(|e| s.err(format!("list the incomplete uploads of {bucket}"), e))?;
                Ok(out
                    .uploads()
                    .iter()
                    .map(|u| format!("{} ({})", u.key().unwrap_or(""), u.upload_id().unwrap_or("")))
                    .collect())
            })
        })
    }

    /// Deletes the bucket as [`S3::delete_bucket`] does, if it exists (so a lab can start clean).
    pub fn remove_bucket_if_exists(&self, bucket: &str) -> Result<Option<Emptied>> {
        if self.has_bucket(bucket)? { self.delete_bucket(bucket).map(Some) } else { Ok(None) }
    }

    /// Whether `bucket` is among this account's buckets.
    fn has_bucket(&self, bucket: &str) -> Result<bool> {
        Ok(self.buckets_starting_with(bucket)?.iter().any(|b| b == bucket))
    }

    /// What a bucket of the account stores: object versions, delete markers, and the bytes of every version (S3
    /// bills them all).
    pub(crate) fn stored(&self, bucket: &str) -> Result<(usize, usize, i64)> {
        let rows = self.version_rows(bucket, "")?;
        let markers = rows.iter().filter(|r| r.delete_marker).count();
        let bytes: u64 = rows.iter().filter_map(|r| r.size).sum();
        Ok((rows.len() - markers, markers, i64::try_from(bytes).unwrap_or(i64::MAX)))
    }
}

struct VersionRow {
    key: String,
    version_id: String,
    is_latest: bool,
    delete_marker: bool,
    size: Option<u64>,
    modified: Option<String>,
}

/// CSV bytes → DataFrame; `source` names them in errors.
pub fn csv_frame(bytes: Vec<u8>, source: &str) -> Result<DataFrame> {
    use polars::prelude::{CsvReadOptions, SerReader};
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| {
            Error::new(ErrorKind::Input, format!("read {source} as CSV"), e.to_string())
                .hint("is it a CSV file with a header row?")
        })
}

/// A local CSV file as a DataFrame (header row, types inferred).
pub fn read_csv_file(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    csv_frame(bytes, &path.display().to_string())
}

/// SQL over a DataFrame registered as `s3object`, run locally by polars.
pub fn query_frame(table: &DataFrame, sql: &str) -> Result<DataFrame> {
    crate::frame::sql_as(table.clone(), "s3object", sql)
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt") => "text/plain",
        Some("html") => "text/html",
        _ => "application/octet-stream",
    }
}

/// An ETag that is an MD5 (`"9e10…"`) or a multipart MD5 (`"6e5f…-3"`): the hex digest and the part count.
fn parse_etag(etag: &str) -> Option<(String, Option<u32>)> {
    let etag = etag.trim_matches('"').to_ascii_lowercase();
    let (digest, parts) = match etag.split_once('-') {
        Some((d, n)) => (d.to_string(), Some(n.parse::<u32>().ok().filter(|n| (1..=10_000).contains(n))?)),
        None => (etag, None),
    };
    (digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit())).then_some((digest, parts))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CRC-32 of `len` bytes of a file from `offset`, in base64 as S3's `x-amz-checksum-crc32` header wants it.
async fn part_crc32(path: &Path, offset: u64, len: u64) -> std::io::Result<String> {
    use base64::Engine as _;
    use std::os::unix::fs::FileExt as _;
    let path = path.to_path_buf();
    let crc = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        let mut buf = vec![0u8; READ_BUFFER.min(len as usize)];
        let mut hasher = crc32fast::Hasher::new();
        let mut at = 0;
        while at < len {
            let n = (len - at).min(buf.len() as u64) as usize;
            file.read_exact_at(&mut buf[..n], offset + at)?;
            hasher.update(&buf[..n]);
            at += n as u64;
        }
        Ok::<_, std::io::Error>(hasher.finalize())
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes()))
}

/// Whether an endpoint URL names this machine (`localhost`, `127.0.0.1`, `[::1]`).
fn on_this_machine(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Prints a line at every tenth of a large transfer.
struct Meter {
    progress: Progress,
    verb: &'static str,
    total: u64,
    done: u64,
    started: Instant,
}

impl Meter {
    fn new(progress: Progress, verb: &'static str, total: u64) -> Self {
        Meter { progress, verb, total, done: 0, started: Instant::now() }
    }

    fn add(&mut self, n: u64, path: &Path, url: &str) {
        let before = self.done * 10 / self.total.max(1);
        self.done += n;
        if self.progress == Progress::Print && self.done * 10 / self.total.max(1) != before {
            let mib = |b: u64| b as f64 / 1_048_576.0;
            let secs = self.started.elapsed().as_secs_f64().max(1e-6);
            crate::runtime::progress(&format!(
                "{} {:.0}/{:.0} MiB ({:.0} MiB/s) {} {url}",
                self.verb,
                mib(self.done),
                mib(self.total),
                mib(self.done) / secs,
                path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_that_are_md5s_are_read_and_others_are_not() {
        assert_eq!(
            parse_etag("\"9E107D9D372BB6826BD81D3542A419D6\""),
            Some(("9e107d9d372bb6826bd81d3542a419d6".into(), None))
        );
        assert_eq!(
            parse_etag("\"6e5f4f7c2e5aaaec7bb3384c492fc71f-3\""),
            Some(("6e5f4f7c2e5aaaec7bb3384c492fc71f".into(), Some(3)))
        );
        for other in ["\"abc\"", "\"6e5f4f7c2e5aaaec7bb3384c492fc71f-0\"", "\"6e5f4f7c2e5aaaec7bb3384c492fc71f-x\"", ""]
        {
            assert_eq!(parse_etag(other), None, "{other}");
        }
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }

    #[tokio::test]
    async fn part_checksums_are_crc32_of_the_slice_in_base64() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.bin");
        std::fs::write(&path, b"xx123456789yy").unwrap();
        // The CRC-32 check value of "123456789" is 0xCBF43926.
        assert_eq!(part_crc32(&path, 2, 9).await.unwrap(), "y/Q5Jg==");
        let big: Vec<u8> = (0..3 * READ_BUFFER + 5).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &big).unwrap();
        let whole = crc32fast::hash(&big[7..]).to_be_bytes();
        use base64::Engine as _;
        let expected = base64::engine::general_purpose::STANDARD.encode(whole);
        assert_eq!(part_crc32(&path, 7, big.len() as u64 - 7).await.unwrap(), expected, "across several reads");
        assert!(part_crc32(&path, 7, big.len() as u64).await.is_err(), "past the end of the file");
    }

    #[test]
    fn endpoints_on_this_machine() {
        for local in
            ["http://127.0.0.1:5000", "http://localhost:5000/", "http://[::1]:9000", "http://127.0.0.2", "localhost"]
        {
            assert!(on_this_machine(local), "{local}");
        }
        for remote in [
            "https://s3.us-east-1.amazonaws.com",
            "http://10.0.0.5:9000",
            "http://minio.lan:9000",
            "http://localhost.example.com",
        ] {
            assert!(!on_this_machine(remote), "{remote}");
        }
    }

    #[test]
    fn bucket_names_s3_would_refuse_are_refused_with_the_rule() {
        for ok in ["de-c2w1lab3-123456789012", "abc", "a.b-c1"] {
            check_bucket_name(ok).unwrap();
        }
        for (bad, rule) in [
            ("ab", "3 to 63"),
            ("My_Bucket", "lower-case"),
            ("-abc", "begin and end"),
            ("a..b", "next to each other"),
            ("192.168.1.1", "IP address"),
            ("xn--abc", "reserved"),
        ] {
            let e = check_bucket_name(bad).unwrap_err().to_string();
            assert!(e.contains(rule) && e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn malformed_policies_name_the_path() {
        let good = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/images/*"}]});
        check_policy(&good).unwrap();
        let mut p = good.clone();
        p["Statement"][0]["Effect"] = "Permit".into();
        assert!(check_policy(&p).unwrap_err().to_string().contains("at $.Statement[0].Effect"));
        let mut p = good.clone();
        p["Statement"][0]["Resource"] = "images/*".into();
        assert!(check_policy(&p).unwrap_err().to_string().contains("at $.Statement[0].Resource"));
        assert!(
            check_policy(&serde_json::json!({"Statement": []})).unwrap_err().to_string().contains("at $.Statement")
        );
        assert!(check_policy(&serde_json::json!("x")).is_err());
    }

    #[test]
    fn sql_over_a_csv_like_s3_select() {
        let csv =
            b"\"city\",\"productline\"\r\n\"Lyon\",\"Trains\"\r\n\"Cork\",\"Ships\"\r\n\"Auckland  \",\"Trains\"\r\n"
                .to_vec();
        let df = csv_frame(csv, "test").unwrap();
        let trains =
            query_frame(&df, "SELECT * FROM s3object AS s WHERE s.\"productline\" = 'Trains' LIMIT 20").unwrap();
        assert_eq!(trains.height(), 2);
        let e = query_frame(&csv_frame(b"a\n1\n".to_vec(), "t").unwrap(), "SELECT nope FROM s3object").unwrap_err();
        assert!(e.to_string().contains("run SQL over s3object"), "{e}");
    }
}
