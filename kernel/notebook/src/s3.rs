//! S3 (`sourcelab::s3`): buckets, objects, multipart transfers, listings, versions, policies, presigned URLs and
//! SQL over CSV objects. An [`S3`] is the library's client; listings come back as [`Table`]s.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::client::{self, Shared, call, id};
use crate::config::EnvFile;
use crate::error::Result;
use crate::frame::{Emptied, Shown, Table, Transfer};
use crate::wire::bytes_from_json;

/// Every bucket of the env file's account (`name`, `created`).
pub fn list_buckets(env: &EnvFile) -> Result<Table> {
    Table::from_reply(call("s3.list_buckets_env", json!({"env": env.arg()}))?)
}

/// The path of one of lab 3's files (`ratings::CSV_PATH` → `data/s3/csv/…`).
pub fn data_file(path: &str) -> PathBuf {
    client::or_report(call("s3.data_file", json!({"path": path})).map(|p| client::text(&p).into()), path.into())
}

/// Reads a local CSV file (with a header) into a table.
pub fn read_csv_file(path: impl AsRef<Path>) -> Result<Table> {
    Table::from_reply(call("s3.read_csv_file", json!({"path": path.as_ref().to_string_lossy()}))?)
}

/// SQL over a table, which the query calls `s3object` (as S3 Select did). The table is borrowed: a cell that
/// moved a variable into a call would make evcxr show the answer as text instead of a table.
pub fn query_frame(table: &Table, sql: &str) -> Result<Table> {
    Table::from_reply(call("s3.query_frame", json!({"frame": table.arg(), "sql": sql}))?)
}

/// An S3 connection (the library's SDK client and transfer settings). Cheap to clone.
#[derive(Clone)]
pub struct S3 {
    h: Shared,
    text: String,
    region: String,
}

fn shown(v: Value) -> Shown {
    Shown::from_reply(v)
}

impl S3 {
    fn call(&self, name: &str, mut args: Value) -> Result<Value> {
        args["s3"] = json!(id(&self.h));
        call(name, args)
    }

    fn object(&self, name: &str, bucket: &str, key: &str) -> Result<Value> {
        self.call(name, json!({"bucket": bucket, "key": key}))
    }

    fn listing(&self, name: &str, bucket: &str, prefix: &str) -> Result<Table> {
        Table::from_reply(self.call(name, json!({"bucket": bucket, "prefix": prefix}))?)
    }

    pub(crate) fn arg(&self) -> Value {
        json!(id(&self.h))
    }

    /// A client for the env file's S3 (the local stack's moto, or AWS).
    pub fn connect(env: &EnvFile) -> Result<S3> {
        let v = call("s3.connect", json!({"env": env.arg()}))?;
        Ok(S3 { h: client::handle(&v)?, text: client::text(&v["text"]), region: client::text(&v["region"]) })
    }

    /// The region buckets are created in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Every bucket (`name`, `created`).
    pub fn list_buckets(&self) -> Result<Table> {
        Table::from_reply(self.call("s3.list_buckets", json!({}))?)
    }

    /// Creates a bucket in the connection's region; its location.
    pub fn create_bucket(&self, bucket: &str) -> Result<String> {
        Ok(client::text(&self.call("s3.create_bucket", json!({"bucket": bucket}))?))
    }

    /// Uploads a file (multipart above 8 MiB, with progress); what was moved.
    pub fn upload_file(&self, path: impl AsRef<Path>, bucket: &str, key: &str) -> Result<Transfer> {
        let args = json!({"path": path.as_ref().to_string_lossy(), "bucket": bucket, "key": key});
        Ok(shown(self.call("s3.upload_file", args)?))
    }

    /// Downloads an object into a file (written whole or not at all); what was moved.
    pub fn download_file(&self, bucket: &str, key: &str, path: impl AsRef<Path>) -> Result<Transfer> {
        let args = json!({"path": path.as_ref().to_string_lossy(), "bucket": bucket, "key": key});
        Ok(shown(self.call("s3.download_file", args)?))
    }

    /// Writes an object from bytes; its version id in a versioned bucket.
    pub fn put_bytes(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<Option<String>> {
        let args = json!({"bucket": bucket, "key": key, "bytes": crate::wire::bytes_to_json(&bytes)});
        Ok(self.call("s3.put_bytes", args)?.as_str().map(str::to_string))
    }

    /// An object's bytes.
    pub fn get_bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        bytes_from_json(&self.object("s3.get_bytes", bucket, key)?)
    }

    /// Writes a JSON value as an object; its version id in a versioned bucket.
    pub fn put_json(&self, bucket: &str, key: &str, value: &Value) -> Result<Option<String>> {
        Ok(self
            .call("s3.put_json", json!({"bucket": bucket, "key": key, "value": value}))?
            .as_str()
            .map(str::to_string))
    }

    /// An object read as JSON.
    pub fn get_json(&self, bucket: &str, key: &str) -> Result<Value> {
        self.object("s3.get_json", bucket, key)
    }

    /// The objects under `prefix`, all pages (`key`, `size`, `modified`, …).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Table> {
        self.listing("s3.list", bucket, prefix)
    }

    /// One "folder" level under `prefix`: objects and sub-folders (with the `/` delimiter).
    pub fn list_folder(&self, bucket: &str, prefix: &str) -> Result<Table> {
        self.listing("s3.list_folder", bucket, prefix)
    }

    /// An object's size, type, ETag, time, version and metadata (`HeadObject`) as JSON.
    pub fn head(&self, bucket: &str, key: &str) -> Result<Value> {
        self.object("s3.head", bucket, key)
    }

    /// Turns versioning on; the bucket's status.
    pub fn enable_versioning(&self, bucket: &str) -> Result<String> {
        Ok(client::text(&self.call("s3.enable_versioning", json!({"bucket": bucket}))?))
    }

    /// Every version and delete marker under `prefix`.
    pub fn versions(&self, bucket: &str, prefix: &str) -> Result<Table> {
        self.listing("s3.versions", bucket, prefix)
    }

    /// Deletes an object (in a versioned bucket: adds a delete marker); the marker's version id.
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<String>> {
        Ok(self.object("s3.delete_object", bucket, key)?.as_str().map(str::to_string))
    }

    /// The bucket's public access block as JSON.
    pub fn public_access_block(&self, bucket: &str) -> Result<Value> {
        self.call("s3.public_access_block", json!({"bucket": bucket}))
    }

    /// Sets all four public-access-block flags to `block`; the new settings.
    pub fn set_public_access_block(&self, bucket: &str, block: bool) -> Result<Value> {
        self.call("s3.set_public_access_block", json!({"bucket": bucket, "block": block}))
    }

    /// Puts a bucket policy (checked before it is sent).
    pub fn put_policy(&self, bucket: &str, policy: &Value) -> Result<()> {
        self.call("s3.put_policy", json!({"bucket": bucket, "policy": policy})).map(drop)
    }

    /// The bucket policy as JSON.
    pub fn get_policy(&self, bucket: &str) -> Result<Value> {
        self.call("s3.get_policy", json!({"bucket": bucket}))
    }

    /// Removes the bucket policy.
    pub fn delete_policy(&self, bucket: &str) -> Result<()> {
        self.call("s3.delete_policy", json!({"bucket": bucket})).map(drop)
    }

    /// A presigned GET URL valid for `seconds`.
    pub fn presigned_get(&self, bucket: &str, key: &str, seconds: u64) -> Result<String> {
        Ok(client::text(&self.call("s3.presigned_get", json!({"bucket": bucket, "key": key, "seconds": seconds}))?))
    }

    /// Deletes every version, every delete marker, then the bucket; what was removed.
    pub fn delete_bucket(&self, bucket: &str) -> Result<Emptied> {
        Ok(shown(self.call("s3.delete_bucket", json!({"bucket": bucket}))?))
    }

    /// A CSV object read into a table.
    pub fn read_csv(&self, bucket: &str, key: &str) -> Result<Table> {
        Table::from_reply(self.object("s3.read_csv", bucket, key)?)
    }

    /// SQL over a CSV object, which the query calls `s3object`.
    pub fn query_csv(&self, bucket: &str, key: &str, sql: &str) -> Result<Table> {
        Table::from_reply(self.call("s3.query_csv", json!({"bucket": bucket, "key": key, "sql": sql}))?)
    }

    /// [`S3::delete_bucket`] when the bucket exists; `None` when there was none.
    pub fn remove_bucket_if_exists(&self, bucket: &str) -> Result<Option<Emptied>> {
        let v = self.call("s3.remove_bucket_if_exists", json!({"bucket": bucket}))?;
        Ok(if v.is_null() { None } else { Some(shown(v)) })
    }
}

impl fmt::Debug for S3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
