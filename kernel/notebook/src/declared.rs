// Generated from the library's items by src/kernel/declare.rs: do not edit. After changing a declared item,
// run `SOURCELAB_BLESS=1 cargo test --lib kernel::declare`.

use serde_json::json;

use crate::acid::Crash;
use crate::client::{FromReply, call, or_report};
use crate::config::{AwsSettings, DbConfig, DbUrl, EnvFile};
use crate::dynamo::{Dynamo, Response, TableSpec};
use crate::error::Result;
use crate::frame::Diagnosis;
use crate::frame::{BatchReport, Emptied, Passed, Table, Transfer};
use crate::iam::{Credentials, Decision, Iam};
use crate::kinesis::{Kinesis, Placed, Reader, StartAt};
use crate::lab4::{Lab4, Network};
use crate::lab8::{LogFiles, Traffic};
use crate::logs::Parsed;
use crate::net::Cidr;
use crate::plot::Plot;
use crate::s3::S3;
use crate::sql::{Db, Session};
use crate::sqs::{Counts, Messages, Sqs};
use crate::values::Secret;
use crate::values::{Progress, SqlValue};

impl Sqs {
    /// Connects with the env file's AWS settings and checks that SQS answers.
    pub fn connect(env: &EnvFile) -> Result<Sqs> {
        FromReply::from_reply(call("sqs.connect", json!({"env": env.arg()}))?)
    }

    /// The URL of queue `name`.
    pub fn url(&self, name: &str) -> Result<String> {
        FromReply::from_reply(call("sqs.url", json!({"sqs": self.arg(), "name": name}))?)
    }

    /// Creates a standard queue (or a FIFO queue, for a name ending in `.fifo`) whose messages stay invisible
    /// for `visibility_seconds` after each receive; its URL. Creating a queue that exists with the same settings
    /// is not an error. A lab's queue is tagged `sourcelab:lab` with the lab's number ([`crate::course::account`]).
    ///
    /// AWS refuses to create a queue for 60 seconds after one of the same name was deleted
    /// (`QueueDeletedRecently`: a lab reset, then the lab run again); moto does not keep that rule. This waits
    /// and tries again for up to 65 seconds, saying why, instead of failing.
    pub fn create_queue(&self, name: &str, visibility_seconds: u32) -> Result<String> {
        FromReply::from_reply(call(
            "sqs.create_queue",
            json!({"sqs": self.arg(), "name": name, "visibility_seconds": visibility_seconds}),
        )?)
    }

    /// The names of the queues whose names start with `prefix`.
    pub fn list_queues(&self, prefix: &str) -> Result<Vec<String>> {
        FromReply::from_reply(call("sqs.list_queues", json!({"sqs": self.arg(), "prefix": prefix}))?)
    }

    /// A queue's attributes (`VisibilityTimeout`, `RedrivePolicy`, `ApproximateNumberOfMessages`, …).
    pub fn attributes(&self, queue: &str) -> Result<std::collections::HashMap<String, String>> {
        FromReply::from_reply(call("sqs.attributes", json!({"sqs": self.arg(), "queue": queue}))?)
    }

    /// How many messages wait in `queue`, and how many are in flight.
    pub fn counts(&self, queue: &str) -> Result<Counts> {
        FromReply::from_reply(call("sqs.counts", json!({"sqs": self.arg(), "queue": queue}))?)
    }

    /// Makes `dead_letter` (an existing queue) the dead-letter queue of `queue`: a message received
    /// `max_receives` times without being deleted moves there.
    pub fn set_dead_letter_queue(&self, queue: &str, dead_letter: &str, max_receives: u32) -> Result<()> {
        FromReply::from_reply(call(
            "sqs.set_dead_letter_queue",
            json!({"sqs": self.arg(), "queue": queue, "dead_letter": dead_letter, "max_receives": max_receives}),
        )?)
    }

    /// Sends one message; its id.
    pub fn send(&self, queue: &str, body: &str) -> Result<String> {
        FromReply::from_reply(call("sqs.send", json!({"sqs": self.arg(), "queue": queue, "body": body}))?)
    }

    /// Sends one message to a FIFO queue, in message group `group`, with deduplication id `dedup_id`: within five
    /// minutes, a second message with the same id is accepted and dropped. Its id.
    pub fn send_fifo(&self, queue: &str, body: &str, group: &str, dedup_id: &str) -> Result<String> {
        FromReply::from_reply(call(
            "sqs.send_fifo",
            json!({"sqs": self.arg(), "queue": queue, "body": body, "group": group, "dedup_id": dedup_id}),
        )?)
    }

    /// Sends every body, ten to a call (SendMessageBatch); how many were sent.
    pub fn send_all(&self, queue: &str, bodies: &[String], progress: Progress) -> Result<usize> {
        FromReply::from_reply(call(
            "sqs.send_all",
            json!({"sqs": self.arg(), "queue": queue, "bodies": bodies, "progress": progress == Progress::Print}),
        )?)
    }

    /// Receives up to `max` messages (1–10) that are waiting now; each becomes invisible to other consumers for
    /// the queue's visibility timeout. An empty answer means nothing is waiting.
    pub fn receive(&self, queue: &str, max: u32) -> Result<Messages> {
        FromReply::from_reply(call("sqs.receive", json!({"sqs": self.arg(), "queue": queue, "max": max}))?)
    }

    /// Deletes the received `messages` (they were processed); how many.
    pub fn delete(&self, queue: &str, messages: &Messages) -> Result<usize> {
        FromReply::from_reply(call(
            "sqs.delete",
            json!({"sqs": self.arg(), "queue": queue, "messages": messages.arg()}),
        )?)
    }

    /// Runs `consumers` consumers side by side until `queue` is empty: each receives up to ten messages, "processes"
    /// them and deletes them, again and again. A table of what each consumer took: `consumer`, `messages`,
    /// `receives` (calls that returned something).
    pub fn consume_all(&self, queue: &str, consumers: u32, progress: Progress) -> Result<Table> {
        FromReply::from_reply(call(
            "sqs.consume_all",
            json!({"sqs": self.arg(), "queue": queue, "consumers": consumers, "progress": progress == Progress::Print}),
        )?)
    }

    /// Deletes a queue and every message in it.
    pub fn delete_queue(&self, queue: &str) -> Result<()> {
        FromReply::from_reply(call("sqs.delete_queue", json!({"sqs": self.arg(), "queue": queue}))?)
    }

    /// Deletes every queue whose name starts with `prefix`; their names.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        FromReply::from_reply(call("sqs.remove_all", json!({"sqs": self.arg(), "prefix": prefix}))?)
    }
}

impl Kinesis {
    /// Connects with the env file's AWS settings and checks that Kinesis answers.
    pub fn connect(env: &EnvFile) -> Result<Kinesis> {
        FromReply::from_reply(call("kinesis.connect", json!({"env": env.arg()}))?)
    }

    /// The names of every stream.
    pub fn list_streams(&self) -> Result<Vec<String>> {
        FromReply::from_reply(call("kinesis.list_streams", json!({"kinesis": self.arg()}))?)
    }

    /// Creates a stream with `shards` shards and waits until it is active: up to 3 minutes, as the AWS SDKs'
    /// `StreamExists` waiter, saying every 10 seconds that it still waits (on AWS a stream takes seconds to a
    /// minute or more). A stream of that name that exists already (an earlier run, or a creation that timed out)
    /// is waited for and used. A lab's stream is tagged `sourcelab:lab` with the lab's number
    /// ([`crate::course::account`]).
    pub fn create_stream(&self, name: &str, shards: u32) -> Result<()> {
        FromReply::from_reply(call(
            "kinesis.create_stream",
            json!({"kinesis": self.arg(), "name": name, "shards": shards}),
        )?)
    }

    /// The stream's shards: `shard`, `hash_from`, `hash_to` (the partition-key hashes it takes), `first_sequence`.
    pub fn shards(&self, stream: &str) -> Result<Table> {
        FromReply::from_reply(call("kinesis.shards", json!({"kinesis": self.arg(), "stream": stream}))?)
    }

    /// How many hours records stay readable.
    pub fn retention_hours(&self, stream: &str) -> Result<u32> {
        FromReply::from_reply(call("kinesis.retention_hours", json!({"kinesis": self.arg(), "stream": stream}))?)
    }

    /// Appends one record with partition key `key`; where it went.
    pub fn put(&self, stream: &str, key: &str, data: &str) -> Result<Placed> {
        FromReply::from_reply(call(
            "kinesis.put",
            json!({"kinesis": self.arg(), "stream": stream, "key": key, "data": data}),
        )?)
    }

    /// Appends JSON events, 500 to a call (PutRecords); each event's field `key_field` is its partition key. How
    /// many were written.
    pub fn put_events(&self, stream: &str, events: &[String], key_field: &str, progress: Progress) -> Result<usize> {
        FromReply::from_reply(call(
            "kinesis.put_events",
            json!({"kinesis": self.arg(), "stream": stream, "events": events, "key_field": key_field, "progress": progress == Progress::Print}),
        )?)
    }

    /// A consumer of `stream` that starts in every shard at `start`.
    pub fn reader(&self, stream: &str, start: StartAt) -> Result<Reader> {
        FromReply::from_reply(call(
            "kinesis.reader",
            json!({"kinesis": self.arg(), "stream": stream, "start": start.to_json()}),
        )?)
    }

    /// A consumer of one shard that starts at `start` (to replay from a sequence number of that shard).
    pub fn shard_reader(&self, stream: &str, shard: &str, start: StartAt) -> Result<Reader> {
        FromReply::from_reply(call(
            "kinesis.shard_reader",
            json!({"kinesis": self.arg(), "stream": stream, "shard": shard, "start": start.to_json()}),
        )?)
    }

    /// Deletes a stream and its records.
    pub fn delete_stream(&self, stream: &str) -> Result<()> {
        FromReply::from_reply(call("kinesis.delete_stream", json!({"kinesis": self.arg(), "stream": stream}))?)
    }

    /// Deletes every stream whose name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        FromReply::from_reply(call("kinesis.remove_all", json!({"kinesis": self.arg(), "prefix": prefix}))?)
    }
}

impl Reader {
    /// Reads what is there from its position on, shard after shard, up to `max` records in all, and moves the
    /// position past them: a table `shard`, `sequence`, `key`, `arrived`, `data` (the record as text). An empty
    /// table means the reader is at the end of every shard.
    pub fn read(&self, max: usize) -> Result<Table> {
        FromReply::from_reply(call("reader.read", json!({"reader": self.arg(), "max": max}))?)
    }
}

impl Iam {
    /// Connects as the lab's administrator and checks who that is (STS `GetCallerIdentity`).
    ///
    /// An env file that points the AWS SDKs at a local server but has no `IAM_AWS_*` keys is refused: the labs'
    /// moto checks no permissions at all, so every request would pass and the lab would teach nothing.
    pub fn connect(env: &EnvFile) -> Result<Iam> {
        FromReply::from_reply(call("iam.connect", json!({"env": env.arg()}))?)
    }

    /// The administrator's settings, for the other helpers: `S3::connect(&iam.env()?)`. (Never fails here; a
    /// `Result` so that a notebook cell, where the settings live in the library, reads the same.)
    pub fn env(&self) -> Result<EnvFile> {
        FromReply::from_reply(call("iam.env", json!({"iam": self.arg()}))?)
    }

    /// Settings that act as `keys`' principal: `S3::connect(&iam.env_for(&keys)?)` is S3 as that user or role.
    pub fn env_for(&self, keys: &Credentials) -> Result<EnvFile> {
        FromReply::from_reply(call("iam.env_for", json!({"iam": self.arg(), "keys": keys.arg()}))?)
    }

    /// Who the administrator's keys (or `keys`) belong to: the ARN STS `GetCallerIdentity` answers.
    pub fn whoami(&self, keys: Option<&Credentials>) -> Result<String> {
        FromReply::from_reply(call("iam.whoami", json!({"iam": self.arg(), "keys": keys.map(Credentials::arg)}))?)
    }

    /// Creates an IAM user; its ARN. Users, roles and policies of a lab are tagged `sourcelab:lab` with the lab's
    /// number ([`crate::course::account`]; IAM groups take no tags).
    pub fn create_user(&self, name: &str) -> Result<String> {
        FromReply::from_reply(call("iam.create_user", json!({"iam": self.arg(), "name": name}))?)
    }

    /// Creates an access key for `user`: the keys that program or person signs requests with.
    pub fn create_access_key(&self, user: &str) -> Result<Credentials> {
        FromReply::from_reply(call("iam.create_access_key", json!({"iam": self.arg(), "user": user}))?)
    }

    /// Creates a group; its ARN.
    pub fn create_group(&self, name: &str) -> Result<String> {
        FromReply::from_reply(call("iam.create_group", json!({"iam": self.arg(), "name": name}))?)
    }

    /// Puts `user` into `group`: the user gets every permission of the group's policies.
    pub fn add_user_to_group(&self, user: &str, group: &str) -> Result<()> {
        FromReply::from_reply(call("iam.add_user_to_group", json!({"iam": self.arg(), "user": user, "group": group}))?)
    }

    /// Creates a managed policy from a document (checked first, see [`Policy::parse`]); its ARN.
    pub fn create_policy(&self, name: &str, document: &serde_json::Value) -> Result<String> {
        FromReply::from_reply(call(
            "iam.create_policy",
            json!({"iam": self.arg(), "name": name, "document": document}),
        )?)
    }

    /// Attaches a managed policy to a group.
    pub fn attach_group_policy(&self, group: &str, policy_arn: &str) -> Result<()> {
        FromReply::from_reply(call(
            "iam.attach_group_policy",
            json!({"iam": self.arg(), "group": group, "policy_arn": policy_arn}),
        )?)
    }

    /// Attaches a managed policy to a user.
    pub fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        FromReply::from_reply(call(
            "iam.attach_user_policy",
            json!({"iam": self.arg(), "user": user, "policy_arn": policy_arn}),
        )?)
    }

    /// Writes an inline policy into a user (it lives and dies with the user).
    pub fn put_user_policy(&self, user: &str, name: &str, document: &serde_json::Value) -> Result<()> {
        FromReply::from_reply(call(
            "iam.put_user_policy",
            json!({"iam": self.arg(), "user": user, "name": name, "document": document}),
        )?)
    }

    /// Creates a role that the principals in `trust` (a trust policy) may assume; its ARN.
    pub fn create_role(&self, name: &str, trust: &serde_json::Value) -> Result<String> {
        FromReply::from_reply(call("iam.create_role", json!({"iam": self.arg(), "name": name, "trust": trust}))?)
    }

    /// Attaches a managed policy to a role.
    pub fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<()> {
        FromReply::from_reply(call(
            "iam.attach_role_policy",
            json!({"iam": self.arg(), "role": role, "policy_arn": policy_arn}),
        )?)
    }

    /// As the principal of `keys`, assumes the role `role_arn` (STS `AssumeRole`) for `seconds`: temporary keys,
    /// with a session token and an expiry.
    pub fn assume_role(&self, keys: &Credentials, role_arn: &str, session: &str, seconds: u32) -> Result<Credentials> {
        FromReply::from_reply(call(
            "iam.assume_role",
            json!({"iam": self.arg(), "keys": keys.arg(), "role_arn": role_arn, "session": session, "seconds": seconds}),
        )?)
    }

    /// Whether `principal` may do `action` on `resource`, decided from its policies as AWS documents it, with the
    /// statement that decided (see [`policy`]).
    pub fn explain(&self, principal: &str, action: &str, resource: &str) -> Result<Decision> {
        FromReply::from_reply(call(
            "iam.explain",
            json!({"iam": self.arg(), "principal": principal, "action": action, "resource": resource}),
        )?)
    }

    /// Sends each S3 request (`(action, bucket, key)`: `s3:ListAllMyBuckets`, `s3:ListBucket` (key = prefix),
    /// `s3:GetObject`, `s3:PutObject`, `s3:DeleteObject`) for real with `keys`, and lays what the server answered
    /// next to what [`Iam::explain`] decides from the policies: columns `action`, `resource`, `server`,
    /// `explained`, `agree`, `why`.
    pub fn compare(&self, keys: &Credentials, requests: &[(&str, &str, &str)]) -> Result<Table> {
        FromReply::from_reply(call(
            "iam.compare",
            json!({"iam": self.arg(), "keys": keys.arg(), "requests": requests.iter().map(|(a, b, c)| [*a, *b, *c]).collect::<Vec<_>>()}),
        )?)
    }

    /// Removes every user (with its keys, group memberships and policies), group, role and managed policy whose
    /// name starts with `prefix`; what it removed.
    pub fn remove_all(&self, prefix: &str) -> Result<Vec<String>> {
        FromReply::from_reply(call("iam.remove_all", json!({"iam": self.arg(), "prefix": prefix}))?)
    }
}

impl S3 {
    /// A client for the env file's S3 (the local stack's moto, or AWS).
    pub fn connect(env: &EnvFile) -> Result<S3> {
        FromReply::from_reply(call("s3.connect", json!({"env": env.arg()}))?)
    }

    /// A bucket name of your own: `{prefix}-{account id}-{region}`, e.g. `de-c2w1lab3-123456789012-us-east-1`.
    /// Bucket names are shared by every AWS account in the world, so a fixed name in a notebook belongs to whoever
    /// ran it first, and everyone after gets `BucketAlreadyExists`; the account id and region make the name yours.
    /// (The stack's moto serves only your account, so any free name passes here; on AWS the world shares them.)
    pub fn account_bucket(&self, prefix: &str) -> Result<String> {
        FromReply::from_reply(call("s3.account_bucket", json!({"s3": self.arg(), "prefix": prefix}))?)
    }

    /// Every bucket of the account, as a DataFrame (`name`, `created`).
    pub fn list_buckets(&self) -> Result<Table> {
        FromReply::from_reply(call("s3.list_buckets", json!({"s3": self.arg()}))?)
    }

    /// Creates a bucket in this connection's region (`us-east-1` takes no location constraint). A lab's bucket is
    /// tagged `sourcelab:lab` with the lab's number ([`crate::course::account`]).
    pub fn create_bucket(&self, bucket: &str) -> Result<String> {
        FromReply::from_reply(call("s3.create_bucket", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// Uploads a local file to `bucket`/`key`: one request up to 8 MiB, in parts (10 at a time) above.
    pub fn upload_file(&self, path: impl AsRef<std::path::Path>, bucket: &str, key: &str) -> Result<Transfer> {
        FromReply::from_reply(call(
            "s3.upload_file",
            json!({"s3": self.arg(), "path": path.as_ref().to_string_lossy(), "bucket": bucket, "key": key}),
        )?)
    }

    /// Downloads `bucket`/`key` to a local file, in ranges (10 at a time) above 8 MiB — or in one stream from a server
    /// on this machine, see [`S3::with_ranged_downloads`]. The bytes go to a temporary file beside the target,
    /// renamed into place when complete; on failure nothing is left behind.
    pub fn download_file(&self, bucket: &str, key: &str, path: impl AsRef<std::path::Path>) -> Result<Transfer> {
        FromReply::from_reply(call(
            "s3.download_file",
            json!({"s3": self.arg(), "bucket": bucket, "key": key, "path": path.as_ref().to_string_lossy()}),
        )?)
    }

    /// Stores bytes under `bucket`/`key`.
    pub fn put_bytes(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<Option<String>> {
        FromReply::from_reply(call(
            "s3.put_bytes",
            json!({"s3": self.arg(), "bucket": bucket, "key": key, "bytes": crate::wire::bytes_to_json(&bytes)}),
        )?)
    }

    /// The bytes of `bucket`/`key`.
    pub fn get_bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        FromReply::from_reply(call("s3.get_bytes", json!({"s3": self.arg(), "bucket": bucket, "key": key}))?)
    }

    /// Stores a JSON value (pretty-printed) under `bucket`/`key`.
    pub fn put_json(&self, bucket: &str, key: &str, value: &serde_json::Value) -> Result<Option<String>> {
        FromReply::from_reply(call(
            "s3.put_json",
            json!({"s3": self.arg(), "bucket": bucket, "key": key, "value": value}),
        )?)
    }

    /// The JSON value stored under `bucket`/`key`.
    pub fn get_json(&self, bucket: &str, key: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("s3.get_json", json!({"s3": self.arg(), "bucket": bucket, "key": key}))?)
    }

    /// The objects whose keys start with `prefix`, every page: `key`, `size`, `modified`.
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Table> {
        FromReply::from_reply(call("s3.list", json!({"s3": self.arg(), "bucket": bucket, "prefix": prefix}))?)
    }

    /// One level of a "folder": the common prefixes under `prefix` (as `folder` rows, like the console's
    /// folders) and the objects directly in it, every page: `key`, `kind`, `size`, `modified`.
    pub fn list_folder(&self, bucket: &str, prefix: &str) -> Result<Table> {
        FromReply::from_reply(call("s3.list_folder", json!({"s3": self.arg(), "bucket": bucket, "prefix": prefix}))?)
    }

    /// The object's metadata, without its bytes.
    pub fn head(&self, bucket: &str, key: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("s3.head", json!({"s3": self.arg(), "bucket": bucket, "key": key}))?)
    }

    /// Turns versioning on: from now on an upload to an existing key keeps the older bytes as a version.
    pub fn enable_versioning(&self, bucket: &str) -> Result<String> {
        FromReply::from_reply(call("s3.enable_versioning", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// Every version and delete marker under `prefix`, every page: `key`, `version_id`, `is_latest`,
    /// `delete_marker`, `size`, `modified` (newest first per key, as S3 lists them).
    pub fn versions(&self, bucket: &str, prefix: &str) -> Result<Table> {
        FromReply::from_reply(call("s3.versions", json!({"s3": self.arg(), "bucket": bucket, "prefix": prefix}))?)
    }

    /// Deletes the object (in a versioned bucket: adds a delete marker, the versions stay).
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<String>> {
        FromReply::from_reply(call("s3.delete_object", json!({"s3": self.arg(), "bucket": bucket, "key": key}))?)
    }

    /// The bucket's public access block settings as JSON (all four `true` when none were set: S3's default).
    pub fn public_access_block(&self, bucket: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("s3.public_access_block", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// Sets all four public access block settings to `block` (false lets a bucket policy make objects public).
    pub fn set_public_access_block(&self, bucket: &str, block: bool) -> Result<serde_json::Value> {
        FromReply::from_reply(call(
            "s3.set_public_access_block",
            json!({"s3": self.arg(), "bucket": bucket, "block": block}),
        )?)
    }

    /// Attaches a bucket policy (checked first, see [`check_policy`]).
    pub fn put_policy(&self, bucket: &str, policy: &serde_json::Value) -> Result<()> {
        FromReply::from_reply(call("s3.put_policy", json!({"s3": self.arg(), "bucket": bucket, "policy": policy}))?)
    }

    /// The bucket's policy as JSON.
    pub fn get_policy(&self, bucket: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("s3.get_policy", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// Removes the bucket's policy.
    pub fn delete_policy(&self, bucket: &str) -> Result<()> {
        FromReply::from_reply(call("s3.delete_policy", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// A URL that lets anyone GET the object for `seconds`, signed with this connection's credentials.
    pub fn presigned_get(&self, bucket: &str, key: &str, seconds: u64) -> Result<String> {
        FromReply::from_reply(call(
            "s3.presigned_get",
            json!({"s3": self.arg(), "bucket": bucket, "key": key, "seconds": seconds}),
        )?)
    }

    /// Deletes every object version and delete marker, then the bucket itself.
    pub fn delete_bucket(&self, bucket: &str) -> Result<Emptied> {
        FromReply::from_reply(call("s3.delete_bucket", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// A CSV object as a DataFrame (header row, types inferred from the data).
    pub fn read_csv(&self, bucket: &str, key: &str) -> Result<Table> {
        FromReply::from_reply(call("s3.read_csv", json!({"s3": self.arg(), "bucket": bucket, "key": key}))?)
    }

    /// Runs SQL over a CSV object, here and now with polars (the table is called `s3object`, as in S3 Select):
    /// `SELECT * FROM s3object s WHERE s."productline" = 'Trains' LIMIT 20`.
    pub fn query_csv(&self, bucket: &str, key: &str, sql: &str) -> Result<Table> {
        FromReply::from_reply(call(
            "s3.query_csv",
            json!({"s3": self.arg(), "bucket": bucket, "key": key, "sql": sql}),
        )?)
    }

    /// The multipart uploads of `bucket` that were started and neither completed nor aborted, as
    /// `key (upload id)`: S3 keeps (and bills) their parts until someone aborts them. [`S3::upload_file`] aborts
    /// its own when it cannot finish, so after it this is empty.
    pub fn incomplete_uploads(&self, bucket: &str) -> Result<Vec<String>> {
        FromReply::from_reply(call("s3.incomplete_uploads", json!({"s3": self.arg(), "bucket": bucket}))?)
    }

    /// Deletes the bucket as [`S3::delete_bucket`] does, if it exists (so a lab can start clean).
    pub fn remove_bucket_if_exists(&self, bucket: &str) -> Result<Option<Emptied>> {
        FromReply::from_reply(call("s3.remove_bucket_if_exists", json!({"s3": self.arg(), "bucket": bucket}))?)
    }
}

impl Dynamo {
    /// A client for the env file's DynamoDB (the local stack's moto, or AWS).
    pub fn connect(env: &EnvFile) -> Result<Dynamo> {
        FromReply::from_reply(call("dynamo.connect", json!({"env": env.arg()}))?)
    }

    /// Every table name, following pagination to the end.
    pub fn list_tables(&self) -> Result<Vec<String>> {
        FromReply::from_reply(call("dynamo.list_tables", json!({"dynamo": self.arg()}))?)
    }

    /// Creates the table and waits (up to 5 minutes) until it is ACTIVE; returns its description as JSON. A lab's
    /// table is tagged `sourcelab:lab` with the lab's number ([`crate::course::account`]).
    pub fn create_table(&self, spec: &TableSpec) -> Result<serde_json::Value> {
        FromReply::from_reply(call("dynamo.create_table", json!({"dynamo": self.arg(), "spec": spec.to_json()}))?)
    }

    /// The table's description (status, keys, item count, ARN) as JSON.
    pub fn describe_table(&self, table: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("dynamo.describe_table", json!({"dynamo": self.arg(), "table": table}))?)
    }

    /// Writes one item (DynamoDB JSON). Takes `ConditionExpression`, `ExpressionAttributeNames`/`Values`,
    /// `ReturnValues` and `ReturnConsumedCapacity`.
    pub fn put_item(&self, table: &str, item: &serde_json::Value, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call(
            "dynamo.put_item",
            json!({"dynamo": self.arg(), "table": table, "item": item, "params": params}),
        )?)
    }

    /// Reads one item by its full key (DynamoDB JSON). Takes `ProjectionExpression`, `ExpressionAttributeNames`,
    /// `ConsistentRead` and `ReturnConsumedCapacity`. No item is not an error: the response has no items.
    pub fn get_item(&self, table: &str, key: &serde_json::Value, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call(
            "dynamo.get_item",
            json!({"dynamo": self.arg(), "table": table, "key": key, "params": params}),
        )?)
    }

    /// One page of a scan: every item (up to 1 MB or `Limit` items), optionally filtered after reading.
    pub fn scan(&self, table: &str, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call("dynamo.scan", json!({"dynamo": self.arg(), "table": table, "params": params}))?)
    }

    /// Every page of a scan, following `LastEvaluatedKey` to the end; counts and capacity are summed.
    pub fn scan_all(&self, table: &str, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call("dynamo.scan_all", json!({"dynamo": self.arg(), "table": table, "params": params}))?)
    }

    /// One page of a query: the items of one partition key (`KeyConditionExpression`), in sort-key order
    /// (`ScanIndexForward: false` reverses it).
    pub fn query(&self, table: &str, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call("dynamo.query", json!({"dynamo": self.arg(), "table": table, "params": params}))?)
    }

    /// Every page of a query, following `LastEvaluatedKey` to the end.
    pub fn query_all(&self, table: &str, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call(
            "dynamo.query_all",
            json!({"dynamo": self.arg(), "table": table, "params": params}),
        )?)
    }

    /// Updates one item by its key: `UpdateExpression` (SET, REMOVE, ADD, DELETE, `list_append`), optional
    /// `ConditionExpression`, `ExpressionAttributeNames`/`Values`, `ReturnValues`, `ReturnConsumedCapacity`.
    pub fn update_item(&self, table: &str, key: &serde_json::Value, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call(
            "dynamo.update_item",
            json!({"dynamo": self.arg(), "table": table, "key": key, "params": params}),
        )?)
    }

    /// Deletes one item by its full key; deleting a missing item succeeds too. Takes the same parameters as put.
    pub fn delete_item(&self, table: &str, key: &serde_json::Value, params: &serde_json::Value) -> Result<Response> {
        FromReply::from_reply(call(
            "dynamo.delete_item",
            json!({"dynamo": self.arg(), "table": table, "key": key, "params": params}),
        )?)
    }

    /// Runs up to 100 writes as one all-or-nothing transaction. `actions` is the course's `TransactItems` list:
    /// `[{"Put": {"TableName": …, "Item": …}}, {"Update": {"TableName": …, "Key": …, "UpdateExpression": …}},
    /// {"Delete": {"TableName": …, "Key": …}}]`. The same `token` within 10 minutes does not apply it twice.
    pub fn transact_write(&self, actions: &serde_json::Value, token: &str) -> Result<Response> {
        FromReply::from_reply(call(
            "dynamo.transact_write",
            json!({"dynamo": self.arg(), "actions": actions, "token": token}),
        )?)
    }

    /// Deletes the table and waits until it is gone.
    pub fn delete_table(&self, table: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("dynamo.delete_table", json!({"dynamo": self.arg(), "table": table}))?)
    }

    /// Deletes every table whose name starts with `prefix` (so a lab can start clean); returns their names.
    pub fn delete_tables_starting_with(&self, prefix: &str) -> Result<Vec<String>> {
        FromReply::from_reply(call(
            "dynamo.delete_tables_starting_with",
            json!({"dynamo": self.arg(), "prefix": prefix}),
        )?)
    }

    /// Loads a batch-write file (`{"Table": [{"PutRequest": {"Item": …}}, …]}`, DynamoDB JSON) with
    /// [`Dynamo::batch_write`].
    pub fn batch_write_file(&self, path: impl AsRef<std::path::Path>, progress: Progress) -> Result<BatchReport> {
        FromReply::from_reply(call(
            "dynamo.batch_write_file",
            json!({"dynamo": self.arg(), "path": path.as_ref().to_string_lossy(), "progress": progress == Progress::Print}),
        )?)
    }
}

impl Response {
    /// The items as plain JSON (an array), numbers exact.
    pub fn plain(&self) -> Result<serde_json::Value> {
        FromReply::from_reply(call("response.plain", json!({"response": self.arg()}))?)
    }

    /// The items as DynamoDB (marshal) JSON (an array), as boto3 prints them.
    pub fn marshal(&self) -> Result<serde_json::Value> {
        FromReply::from_reply(call("response.marshal", json!({"response": self.arg()}))?)
    }

    /// The first item as plain JSON, or `null` when nothing came back.
    pub fn item(&self) -> Result<serde_json::Value> {
        FromReply::from_reply(call("response.item", json!({"response": self.arg()}))?)
    }

    /// The returned attributes (`ReturnValues`) as plain JSON, or `null`.
    pub fn attributes(&self) -> Result<serde_json::Value> {
        FromReply::from_reply(call("response.attributes", json!({"response": self.arg()}))?)
    }

    /// `LastEvaluatedKey` as marshal JSON (what `ExclusiveStartKey` takes), or `null` on the last page.
    pub fn last_key(&self) -> Result<serde_json::Value> {
        FromReply::from_reply(call("response.last_key", json!({"response": self.arg()}))?)
    }

    /// `Count` and `ScannedCount` (scan and query), `null` where the call gives none.
    pub fn counts(&self) -> serde_json::Value {
        or_report(
            call("response.counts", json!({"response": self.arg()})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }

    /// Total capacity units consumed (0 when not asked for).
    pub fn capacity_units(&self) -> f64 {
        or_report(
            call("response.capacity_units", json!({"response": self.arg()})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }

    /// The items as a DataFrame: one row per item, one column per attribute (key attributes first).
    ///
    /// Strings, booleans and whole numbers get their own column types; other numbers stay exact decimal text;
    /// lists, maps, sets and binary show as plain JSON text; an attribute an item lacks is null.
    pub fn frame(&self) -> Result<Table> {
        FromReply::from_reply(call("response.frame", json!({"response": self.arg()}))?)
    }
}

impl Db {
    /// Connects to the database `cfg` describes. One connection is made now, so bad settings fail here with the
    /// server's own reason (refused, timed out, wrong password, unknown database); the pool opens more on demand.
    pub fn connect(cfg: &DbConfig) -> Result<Db> {
        FromReply::from_reply(call("db.connect", json!({"cfg": cfg.to_json()}))?)
    }

    /// Connects to MySQL / MariaDB with the `DB*` keys of an env file.
    pub fn connect_mysql(env: &EnvFile) -> Result<Db> {
        FromReply::from_reply(call("db.connect_mysql", json!({"env": env.arg()}))?)
    }

    /// Connects to PostgreSQL with the `PG*` keys of an env file.
    pub fn connect_postgres(env: &EnvFile) -> Result<Db> {
        FromReply::from_reply(call("db.connect_postgres", json!({"env": env.arg()}))?)
    }

    /// Runs one statement that returns rows and collects them into a DataFrame.
    pub fn query(&self, sql: &str) -> Result<Table> {
        FromReply::from_reply(call("db.query", json!({"db": self.arg(), "sql": sql}))?)
    }

    /// The server's version string (`SELECT VERSION()`).
    pub fn server_version(&self) -> Result<String> {
        FromReply::from_reply(call("db.server_version", json!({"db": self.arg()}))?)
    }

    /// Runs one or several statements separated by `;` and returns the rows each one affected, in order.
    ///
    /// ```text
    /// let affected = db.execute("UPDATE t SET a = 1; DELETE FROM t WHERE b = 2")?;
    /// println!("{affected:?}"); // e.g. [3, 1]
    /// ```
    pub fn execute(&self, sql: &str) -> Result<Vec<u64>> {
        FromReply::from_reply(call("db.execute", json!({"db": self.arg(), "sql": sql}))?)
    }

    /// Opens a [`Session`]: one connection of its own, named `name`, for transactions that span several calls
    /// (see [`session`]).
    pub fn session(&self, name: &str) -> Result<Session> {
        FromReply::from_reply(call("db.session", json!({"db": self.arg(), "name": name}))?)
    }

    /// Runs every statement of a `.sql` file, like [`Db::execute`]; an error names the file.
    pub fn run_file(&self, path: impl AsRef<std::path::Path>) -> Result<Vec<u64>> {
        FromReply::from_reply(call("db.run_file", json!({"db": self.arg(), "path": path.as_ref().to_string_lossy()}))?)
    }

    /// PostgreSQL: loads a CSV file (with a header row) into `table` with `COPY … FROM STDIN`, streaming it in
    /// 64 KiB pieces; returns the rows loaded, as psql's `COPY n`. COPY is all or nothing: on a bad row the
    /// server names its line and no row is loaded.
    pub fn copy_csv(&self, table: &str, path: impl AsRef<std::path::Path>) -> Result<u64> {
        FromReply::from_reply(call(
            "db.copy_csv",
            json!({"db": self.arg(), "table": table, "path": path.as_ref().to_string_lossy()}),
        )?)
    }

    /// Runs statements in one transaction: all of them take effect, or (on the first error) none does.
    pub fn transaction(&self, statements: &[&str]) -> Result<Vec<u64>> {
        FromReply::from_reply(call("db.transaction", json!({"db": self.arg(), "statements": statements}))?)
    }

    /// The tables of the current database: `table_name` and an estimate of its `rows`.
    pub fn tables(&self) -> Result<Table> {
        FromReply::from_reply(call("db.tables", json!({"db": self.arg()}))?)
    }

    /// Whether the current database has a table called `table`.
    pub fn has_table(&self, table: &str) -> Result<bool> {
        FromReply::from_reply(call("db.has_table", json!({"db": self.arg(), "table": table}))?)
    }

    /// One row per column of `table`: `column`, `type`, `nullable`, `key`, `default`.
    pub fn describe(&self, table: &str) -> Result<Table> {
        FromReply::from_reply(call("db.describe", json!({"db": self.arg(), "table": table}))?)
    }

    /// Inserts rows into `table` with bound parameters (values never become SQL text); returns rows inserted.
    ///
    /// ```text
    /// let rows = vec![vec![SqlValue::from(1), SqlValue::from("Horror")]];
    /// db.insert("category_copy", &["category_id", "name"], &rows)?;
    /// ```
    pub fn insert(&self, table: &str, columns: &[&str], rows: &[Vec<SqlValue>]) -> Result<u64> {
        FromReply::from_reply(call(
            "db.insert",
            json!({"db": self.arg(), "table": table, "columns": columns, "rows": rows.iter().map(|r| r.iter().map(SqlValue::to_json).collect::<Vec<_>>()).collect::<Vec<_>>()}),
        )?)
    }

    /// `UPDATE table SET col = value, … WHERE where_column = where_value`, all values bound; returns rows changed.
    pub fn update_where(
        &self,
        table: &str,
        set: &[(&str, SqlValue)],
        where_column: &str,
        where_value: SqlValue,
    ) -> Result<u64> {
        FromReply::from_reply(call(
            "db.update_where",
            json!({"db": self.arg(), "table": table, "set": set.iter().map(|(c, v)| json!([c, v.to_json()])).collect::<Vec<_>>(), "where_column": where_column, "where_value": where_value.to_json()}),
        )?)
    }

    /// `DELETE FROM table WHERE column = value`, the value bound; returns rows deleted.
    pub fn delete_where(&self, table: &str, column: &str, value: SqlValue) -> Result<u64> {
        FromReply::from_reply(call(
            "db.delete_where",
            json!({"db": self.arg(), "table": table, "column": column, "value": value.to_json()}),
        )?)
    }
}

impl Session {
    /// Runs one or several statements separated by `;` and waits for them; the rows each one affected.
    pub fn execute(&self, sql: &str) -> Result<Vec<u64>> {
        FromReply::from_reply(call("session.execute", json!({"session": self.arg(), "sql": sql}))?)
    }

    /// Runs one statement that returns rows and waits for them; the rows as a DataFrame.
    pub fn query(&self, sql: &str) -> Result<Table> {
        FromReply::from_reply(call("session.query", json!({"session": self.arg(), "sql": sql}))?)
    }

    /// Starts a transaction (`BEGIN`): what follows takes effect at [`Session::commit`], or never.
    pub fn begin(&self) -> Result<()> {
        FromReply::from_reply(call("session.begin", json!({"session": self.arg()}))?)
    }

    /// Makes the transaction's changes permanent and visible to other sessions (`COMMIT`).
    pub fn commit(&self) -> Result<()> {
        FromReply::from_reply(call("session.commit", json!({"session": self.arg()}))?)
    }

    /// Undoes everything since `BEGIN` (`ROLLBACK`).
    pub fn rollback(&self) -> Result<()> {
        FromReply::from_reply(call("session.rollback", json!({"session": self.arg()}))?)
    }

    /// Sets the isolation level of this session's next transactions: one of [`ISOLATION_LEVELS`].
    pub fn isolation(&self, level: &str) -> Result<()> {
        FromReply::from_reply(call("session.isolation", json!({"session": self.arg(), "level": level}))?)
    }

    /// Sends one statement and returns without waiting for it, so that a later cell can release the lock it waits
    /// for. [`Session::busy`] tells whether it still runs; [`Session::wait`] collects its result. The session
    /// takes no other statement meanwhile.
    pub fn submit(&self, sql: &str) -> Result<()> {
        FromReply::from_reply(call("session.submit", json!({"session": self.arg(), "sql": sql}))?)
    }

    /// Whether a statement sent with [`Session::submit`] is still running (typically: waiting for a lock).
    pub fn busy(&self) -> bool {
        or_report(
            call("session.busy", json!({"session": self.arg()})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }

    /// Waits up to [`WAIT`] for the statement sent with [`Session::submit`] and returns its result: its rows, or
    /// one row with `rows_affected`. Still blocked after that: an error, and the statement keeps waiting.
    pub fn wait(&self) -> Result<Table> {
        FromReply::from_reply(call("session.wait", json!({"session": self.arg()}))?)
    }

    /// The steps of `sessions` in the order they happened: a `step` column, then one column per session with
    /// each statement and what came of it.
    pub fn timeline(sessions: &[&Session]) -> Result<Table> {
        FromReply::from_reply(call(
            "session.timeline",
            json!({"sessions": sessions.iter().map(|s| s.arg()).collect::<Vec<_>>()}),
        )?)
    }

    /// Runs the same query in each session (each sees its own snapshot) and stacks the results, with the
    /// session's name first: what every client sees at this moment, side by side.
    pub fn views(sessions: &[&Session], sql: &str) -> Result<Table> {
        FromReply::from_reply(call(
            "session.views",
            json!({"sessions": sessions.iter().map(|s| s.arg()).collect::<Vec<_>>(), "sql": sql}),
        )?)
    }
}

impl EnvFile {
    /// Reads `path`. A missing file, an unreadable one or a malformed line is an error naming the file (and line).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<EnvFile> {
        FromReply::from_reply(call("env.load", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// The value of `key`, if the file sets it (an empty value counts as set).
    pub fn get(&self, key: &str) -> Option<String> {
        or_report(
            call("env.get", json!({"env": self.arg(), "key": key})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }

    /// The value of `key`, or an error naming the key and the file.
    pub fn require(&self, key: &str) -> Result<String> {
        FromReply::from_reply(call("env.require", json!({"env": self.arg(), "key": key}))?)
    }

    /// MySQL / MariaDB settings from `DBHOST`, `DBPORT`, `DBNAME`, `DBUSER`, `DBPASSWORD`.
    pub fn mysql(&self) -> Result<DbConfig> {
        FromReply::from_reply(call("env.mysql", json!({"env": self.arg()}))?)
    }

    /// PostgreSQL settings from `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`.
    pub fn postgres(&self) -> Result<DbConfig> {
        FromReply::from_reply(call("env.postgres", json!({"env": self.arg()}))?)
    }

    /// AWS settings; every key is optional (aws-config fills the gaps from the environment and `~/.aws`).
    pub fn aws(&self) -> AwsSettings {
        or_report(call("env.aws", json!({"env": self.arg()})).and_then(FromReply::from_reply), Default::default())
    }

    /// The keys of the file that nothing here reads, with their line numbers: a typo (`AWS_ENDPOINT_URL_SQSS`),
    /// or a service the labs do not use. The known keys are [`READ_KEYS`] and every service's endpoint key.
    pub fn unread_keys(&self) -> Vec<(String, usize)> {
        or_report(
            call("env.unread_keys", json!({"env": self.arg()})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }
}

impl DbConfig {
    /// The connection URL, with user, password and database percent-encoded.
    pub fn url(&self) -> DbUrl {
        or_report(call("config.url", json!({"config": self.arg()})).and_then(FromReply::from_reply), Default::default())
    }

    /// Reads a connection URL: `postgres://user:password@host:5432/db` or `mysql://user:password@host:3306/db`
    /// (percent-encoded parts decoded; the port defaults to the engine's).
    pub fn from_url(url: &str) -> Result<DbConfig> {
        FromReply::from_reply(call("config.from_url", json!({"url": url}))?)
    }

    /// `host:port`, for messages.
    pub fn endpoint(&self) -> String {
        or_report(
            call("config.endpoint", json!({"config": self.arg()})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }
}

pub mod config {
    use super::*;

    /// Loads the env file notebooks use (see [`default_env_path`]).
    pub fn load() -> Result<EnvFile> {
        FromReply::from_reply(call("config::load", json!({}))?)
    }
}

impl Lab4 {
    /// Builds the scenario from scratch (removing an earlier one): PostgreSQL user and database, the EC2 network,
    /// the RDS instance, the data bucket, and the gateway. You start on the external bastion.
    pub fn setup() -> Result<Lab4> {
        FromReply::from_reply(call("lab4.setup", json!({}))?)
    }

    /// The scenario set up earlier (by `sourcelab lab4 setup` or [`Lab4::setup`]); starts the gateway if it stopped.
    pub fn open() -> Result<Lab4> {
        FromReply::from_reply(call("lab4.open", json!({}))?)
    }

    /// The client you are working from now.
    pub fn client(&self) -> Result<String> {
        FromReply::from_reply(call("lab4.client", json!({"lab4": self.arg()}))?)
    }

    /// Work from another client instance (on AWS: log in to that machine). The gateway follows at once.
    pub fn use_client(&self, name: &str) -> Result<()> {
        FromReply::from_reply(call("lab4.use_client", json!({"lab4": self.arg(), "name": name}))?)
    }

    /// Asks DevOps again: the password they changed it to.
    pub fn ask_devops(&self) -> Result<Secret> {
        FromReply::from_reply(call("lab4.ask_devops", json!({"lab4": self.arg()}))?)
    }

    /// The RDS instance's endpoint as `describe_db_instances` reports it: (address, port).
    pub fn rds_endpoint(&self) -> Result<(String, u16)> {
        FromReply::from_reply(call("lab4.rds_endpoint", json!({"lab4": self.arg()}))?)
    }

    /// Connection settings for the database with `password`: the RDS endpoint's port on 127.0.0.1 (the endpoint's
    /// name does not resolve outside AWS), the master user, the lab database.
    pub fn database(&self, password: &Secret) -> Result<DbConfig> {
        FromReply::from_reply(call("lab4.database", json!({"lab4": self.arg(), "password": password.expose()}))?)
    }

    /// The lab's two VPCs as the EC2 API describes them now (moto's default VPC left out).
    pub fn network(&self) -> Result<Network> {
        FromReply::from_reply(call("lab4.network", json!({"lab4": self.arg()}))?)
    }

    /// The doctor for this database, plus — when the TCP connection times out — the rule in the EC2 network that
    /// drops it.
    pub fn doctor(&self, cfg: &DbConfig, timeout: std::time::Duration) -> Result<Diagnosis> {
        FromReply::from_reply(call(
            "lab4.doctor",
            json!({"lab4": self.arg(), "cfg": cfg.to_json(), "timeout": timeout.as_millis() as u64}),
        )?)
    }

    /// Adds an inbound rule to security group `group` (name or id) for TCP `port` from `source`: another security
    /// group (name or id) or a CIDR block such as `10.0.1.0/24`. This is the console's "Edit inbound rules".
    pub fn allow_tcp(&self, group: &str, port: u16, source: &str) -> Result<()> {
        FromReply::from_reply(call(
            "lab4.allow_tcp",
            json!({"lab4": self.arg(), "group": group, "port": port, "source": source}),
        )?)
    }

    /// Puts the lab back to its starting point (same as [`Lab4::setup`]).
    pub fn reset(&self) -> Result<Lab4> {
        FromReply::from_reply(call("lab4.reset", json!({"lab4": self.arg()}))?)
    }
}

pub mod lab4 {
    use super::*;

    /// The table's DDL (`DROP TABLE IF EXISTS` + `CREATE TABLE ratings_training`).
    pub fn ddl_path() -> std::path::PathBuf {
        or_report(call("lab4::ddl_path", json!({})).and_then(FromReply::from_reply), Default::default())
    }
}

impl Table {
    /// One value as JSON (`null` for SQL NULL; numbers exact, dates as text).
    pub fn value(&self, row: usize, column: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("frame.value", json!({"frame": self.arg(), "row": row, "column": column}))?)
    }

    /// Every row as a JSON object (column → value), in order.
    pub fn rows(&self) -> Result<serde_json::Value> {
        FromReply::from_reply(call("frame.rows", json!({"frame": self.arg()}))?)
    }

    /// One column's values as a JSON array.
    pub fn column_values(&self, column: &str) -> Result<serde_json::Value> {
        FromReply::from_reply(call("frame.column_values", json!({"frame": self.arg(), "column": column}))?)
    }

    /// SQL over this table, which the query calls `self` (run by polars):
    /// `clicks.sql("SELECT page, COUNT(*) AS clicks FROM self GROUP BY page")`.
    pub fn sql(&self, sql: &str) -> Result<Table> {
        FromReply::from_reply(call("frame.sql", json!({"frame": self.arg(), "sql": sql}))?)
    }
}

pub mod check {
    use super::*;

    /// Exercise 1: `category_copy` exists with `category_id` (integer), `name` (VARCHAR(25)), `last_update` (TIMESTAMP).
    pub fn lab1_ex1(db: &Db) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex1", json!({"db": db.arg()}))?)
    }

    /// Exercise 2: title, length and release year of 4 films.
    pub fn lab1_ex2(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex2", json!({"df": df.arg()}))?)
    }

    /// Exercise 3: every column of `store`.
    pub fn lab1_ex3(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex3", json!({"df": df.arg()}))?)
    }

    /// Exercise 4: name and email of the active staff.
    pub fn lab1_ex4(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex4", json!({"df": df.arg()}))?)
    }

    /// Exercise 5: three rows inserted into `category_copy`.
    pub fn lab1_ex5(db: &Db, inserted: &[u64]) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex5", json!({"db": db.arg(), "inserted": inserted}))?)
    }

    /// Exercise 6: the three UPDATEs (3, 1 and 1 rows), as the SQL cell kept them.
    pub fn lab1_ex6(db: &Db, updated: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex6", json!({"db": db.arg(), "updated": updated.arg()}))?)
    }

    /// Exercise 7: the row with `category_id` 20 deleted, as the SQL cell kept it.
    pub fn lab1_ex7(db: &Db, deleted: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex7", json!({"db": db.arg(), "deleted": deleted.arg()}))?)
    }

    /// Exercise 8: aliases `film_title`, `film_length`, `film_release_year`, 10 rows.
    pub fn lab1_ex8(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex8", json!({"df": df.arg()}))?)
    }

    /// Exercise 9: city, address and district of 5 addresses (a join of address and city).
    pub fn lab1_ex9(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex9", json!({"df": df.arg()}))?)
    }

    /// Exercise 10: country, city and address of the active staff (three joins).
    pub fn lab1_ex10(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex10", json!({"df": df.arg()}))?)
    }

    /// Exercise 11: films per rating: 5 ratings, 1000 films in all.
    pub fn lab1_ex11(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex11", json!({"df": df.arg()}))?)
    }

    /// Exercise 12: films per category, ascending: 16 categories, 1000 films.
    pub fn lab1_ex12(df: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab1_ex12", json!({"df": df.arg()}))?)
    }

    /// Exercise 1: the four tables exist, ACTIVE, with the lab's keys.
    pub fn lab2_ex1(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex1", json!({"ddb": ddb.arg(), "prefix": prefix}))?)
    }

    /// Exercise 2: ProductCatalog and Thread loaded item by item (8 and 3 items).
    pub fn lab2_ex2(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex2", json!({"ddb": ddb.arg(), "prefix": prefix}))?)
    }

    /// Exercise 3: Reply and Forum loaded as batches (4 and 2 items), nothing left unprocessed.
    pub fn lab2_ex3(ddb: &Dynamo, prefix: &str, reports: &[BatchReport]) -> Result<Passed> {
        FromReply::from_reply(call(
            "check::lab2_ex3",
            json!({"ddb": ddb.arg(), "prefix": prefix, "reports": reports.iter().map(BatchReport::data).collect::<Vec<_>>()}),
        )?)
    }

    /// Exercise 4: a full scan of ProductCatalog.
    pub fn lab2_ex4(r: &Response) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex4", json!({"r": r.arg()}))?)
    }

    /// Exercise 5: the product with Id 101.
    pub fn lab2_ex5(r: &Response) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex5", json!({"r": r.arg()}))?)
    }

    /// Exercise 6: only the first reply to thread 1 (`Limit` 1, ascending).
    pub fn lab2_ex6(r: &Response) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex6", json!({"r": r.arg()}))?)
    }

    /// Exercise 7: only the latest reply to thread 1 (`Limit` 1, descending).
    pub fn lab2_ex7(r: &Response) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex7", json!({"r": r.arg()}))?)
    }

    /// Exercise 8: two colours appended to bike 201.
    pub fn lab2_ex8(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex8", json!({"ddb": ddb.arg(), "prefix": prefix}))?)
    }

    /// Exercise 9: the two colours removed again.
    pub fn lab2_ex9(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex9", json!({"ddb": ddb.arg(), "prefix": prefix}))?)
    }

    /// Exercise 10: the new reply deleted.
    pub fn lab2_ex10(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex10", json!({"ddb": ddb.arg(), "prefix": prefix}))?)
    }

    /// Exercise 11: the transaction added the reply and counted it (Messages 5).
    pub fn lab2_ex11(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab2_ex11", json!({"ddb": ddb.arg(), "prefix": prefix}))?)
    }

    /// Exercise 1: the bucket exists.
    pub fn lab3_ex1(s3: &S3, bucket: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab3_ex1", json!({"s3": s3.arg(), "bucket": bucket}))?)
    }

    /// Exercise 2: the JSON record uploaded under `json/`.
    pub fn lab3_ex2(s3: &S3, bucket: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab3_ex2", json!({"s3": s3.arg(), "bucket": bucket}))?)
    }

    /// Exercise 3: the listing of the `json/` prefix.
    pub fn lab3_ex3(listing: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab3_ex3", json!({"listing": listing.arg()}))?)
    }

    /// Exercise 4: the first image uploaded to `images/logo.png`.
    pub fn lab3_ex4(s3: &S3, bucket: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab3_ex4", json!({"s3": s3.arg(), "bucket": bucket}))?)
    }

    /// Exercise 1: the /24 block of the lab VPC that holds the database's address.
    pub fn lab4_ex1(block: &Cidr) -> Result<Passed> {
        FromReply::from_reply(call("check::lab4_ex1", json!({"block": block.to_string()}))?)
    }

    /// Exercise 2: working from the bastion in the database's VPC.
    pub fn lab4_ex2(lab: &Lab4) -> Result<Passed> {
        FromReply::from_reply(call("check::lab4_ex2", json!({"lab": lab.arg()}))?)
    }

    /// Exercise 3: the database's security group admits the bastion's group on 5432 (and not the whole internet).
    pub fn lab4_ex3(lab: &Lab4) -> Result<Passed> {
        FromReply::from_reply(call("check::lab4_ex3", json!({"lab": lab.arg()}))?)
    }

    /// Exercise 4: connected as the master user.
    pub fn lab4_ex4(db: &Db) -> Result<Passed> {
        FromReply::from_reply(call("check::lab4_ex4", json!({"db": db.arg()}))?)
    }

    /// Exercise 5: the bucket policy lets the CSV be read (a download succeeds).
    pub fn lab4_ex5(s3: &S3, bucket: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab4_ex5", json!({"s3": s3.arg(), "bucket": bucket}))?)
    }

    /// Exercise 6: every row of the CSV loaded.
    pub fn lab4_ex6(db: &Db) -> Result<Passed> {
        FromReply::from_reply(call("check::lab4_ex6", json!({"db": db.arg()}))?)
    }

    /// Lab 5, exercise 1: 30 moved from alice to bob in one transaction (from 100 and 50).
    pub fn lab5_ex1(db: &Db) -> Result<Passed> {
        FromReply::from_reply(call("check::lab5_ex1", json!({"db": db.arg()}))?)
    }

    /// Lab 5, exercise 2: a rule that refuses a purchase of fewer than one copy.
    pub fn lab5_ex2(db: &Db) -> Result<Passed> {
        FromReply::from_reply(call("check::lab5_ex2", json!({"db": db.arg()}))?)
    }

    /// Lab 5, exercise 3: `read` is a read that makes a read-modify-write safe (no lost update) on product 2.
    pub fn lab5_ex3(db: &Db, read: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab5_ex3", json!({"db": db.arg(), "read": read}))?)
    }

    /// Lab 5, exercise 4: `take_one` takes the last copy of product 3 in exactly one of two racing sessions.
    pub fn lab5_ex4(db: &Db, take_one: &str) -> Result<Passed> {
        FromReply::from_reply(call("check::lab5_ex4", json!({"db": db.arg(), "take_one": take_one}))?)
    }

    /// Lab 5, exercise 5: the weakest isolation level with neither dirty nor non-repeatable reads, in `session`.
    pub fn lab5_ex5(session: &Session) -> Result<Passed> {
        FromReply::from_reply(call("check::lab5_ex5", json!({"session": session.arg()}))?)
    }

    /// Lab 5, exercise 6: 30 moved from alice to bob in DynamoDB (from 100 and 50), in one transaction.
    pub fn lab5_ex6(ddb: &Dynamo) -> Result<Passed> {
        FromReply::from_reply(call("check::lab5_ex6", json!({"ddb": ddb.arg()}))?)
    }

    /// Lab 6, exercise 1: `keys` are an access key of the user lab6-analyst, and they work.
    pub fn lab6_ex1(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        FromReply::from_reply(call("check::lab6_ex1", json!({"iam": iam.arg(), "keys": keys.arg()}))?)
    }

    /// Lab 6, exercise 2: the analyst reads through the group: list and get allowed, put still denied.
    pub fn lab6_ex2(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        FromReply::from_reply(call("check::lab6_ex2", json!({"iam": iam.arg(), "keys": keys.arg()}))?)
    }

    /// Lab 6, exercise 3: the analyst may write under `uploads/` and nowhere else.
    pub fn lab6_ex3(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        FromReply::from_reply(call("check::lab6_ex3", json!({"iam": iam.arg(), "keys": keys.arg()}))?)
    }

    /// Lab 6, exercise 4: an explicit deny keeps the analyst out of `secret/` although the group allows reading.
    pub fn lab6_ex4(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        FromReply::from_reply(call("check::lab6_ex4", json!({"iam": iam.arg(), "keys": keys.arg()}))?)
    }

    /// Lab 6, exercise 5: `document` lets a pipeline read `raw/2024/` and nothing else. Tried for real on a user made
    /// for the check (removed afterwards).
    pub fn lab6_ex5(iam: &Iam, document: &serde_json::Value) -> Result<Passed> {
        FromReply::from_reply(call("check::lab6_ex5", json!({"iam": iam.arg(), "document": document}))?)
    }

    /// Lab 6, exercise 6: `keys` are temporary credentials of the role lab6-pipeline.
    pub fn lab6_ex6(iam: &Iam, keys: &Credentials) -> Result<Passed> {
        FromReply::from_reply(call("check::lab6_ex6", json!({"iam": iam.arg(), "keys": keys.arg()}))?)
    }

    /// Lab 7, exercise 1: the queue `lab7::ORDERS` exists with a 2-second visibility timeout and holds three orders.
    pub fn lab7_ex1(sqs: &Sqs) -> Result<Passed> {
        FromReply::from_reply(call("check::lab7_ex1", json!({"sqs": sqs.arg()}))?)
    }

    /// Lab 7, exercise 2: the three orders were received and deleted, and the queue is empty.
    pub fn lab7_ex2(sqs: &Sqs, processed: &Messages) -> Result<Passed> {
        FromReply::from_reply(call("check::lab7_ex2", json!({"sqs": sqs.arg(), "processed": processed.arg()}))?)
    }

    /// Lab 7, exercise 3: `lab7::ORDERS_DLQ` is the dead-letter queue of `lab7::ORDERS`, after two receives.
    pub fn lab7_ex3(sqs: &Sqs) -> Result<Passed> {
        FromReply::from_reply(call("check::lab7_ex3", json!({"sqs": sqs.arg()}))?)
    }

    /// Lab 7, exercise 4: the five payments came out of the FIFO queue once each, in order.
    pub fn lab7_ex4(received: &Messages) -> Result<Passed> {
        FromReply::from_reply(call("check::lab7_ex4", json!({"received": received.arg()}))?)
    }

    /// Lab 7, exercise 5: the stream `lab7::STREAM` exists with two shards.
    pub fn lab7_ex5(kinesis: &Kinesis) -> Result<Passed> {
        FromReply::from_reply(call("check::lab7_ex5", json!({"kinesis": kinesis.arg()}))?)
    }

    /// Lab 7, exercise 6: `replay` holds every record of one shard after sequence number `after`, in order.
    pub fn lab7_ex6(kinesis: &Kinesis, replay: &Table, after: &str) -> Result<Passed> {
        FromReply::from_reply(call(
            "check::lab7_ex6",
            json!({"kinesis": kinesis.arg(), "replay": replay.arg(), "after": after}),
        )?)
    }

    /// Lab 7, exercise 7: clicks per page over `clicks` — columns `page`, `clicks`, the most visited page first.
    pub fn lab7_ex7(clicks: &Table, per_page: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab7_ex7", json!({"clicks": clicks.arg(), "per_page": per_page.arg()}))?)
    }

    /// Lab 8, exercise 1: every statement MariaDB ran (`Query` or `Execute`) that mentions `film`: `thread`, `argument`.
    pub fn lab8_ex1(general: &Table, answer: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab8_ex1", json!({"general": general.arg(), "answer": answer.arg()}))?)
    }

    /// Lab 8, exercise 2: PostgreSQL's refused passwords per user: `user`, `failures`, the most first.
    pub fn lab8_ex2(postgres: &Table, answer: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab8_ex2", json!({"postgres": postgres.arg(), "answer": answer.arg()}))?)
    }

    /// Lab 8, exercise 3: the shop's requests per status code: `status`, `requests`, by status.
    pub fn lab8_ex3(access: &Table, answer: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab8_ex3", json!({"access": access.arg(), "answer": answer.arg()}))?)
    }

    /// Lab 8, exercise 4: failed logins per client: `client`, `failures`, the most first — the attacker on top.
    pub fn lab8_ex4(auth: &Table, answer: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab8_ex4", json!({"auth": auth.arg(), "answer": answer.arg()}))?)
    }

    /// Lab 8, exercise 5: every log's entries per level: `level`, `lines`, the most first.
    pub fn lab8_ex5(all: &Table, answer: &Table) -> Result<Passed> {
        FromReply::from_reply(call("check::lab8_ex5", json!({"all": all.arg(), "answer": answer.arg()}))?)
    }
}

pub mod acid {
    use super::*;

    /// The lab database on the MariaDB the env file names (the `DB*` keys), created when missing.
    pub fn connect(env: &EnvFile) -> Result<Db> {
        FromReply::from_reply(call("acid::connect", json!({"env": env.arg()}))?)
    }

    /// Puts the lab's tables back at their start (see the module docs) and returns the lab database.
    pub fn setup(env: &EnvFile) -> Result<Db> {
        FromReply::from_reply(call("acid::setup", json!({"env": env.arg()}))?)
    }

    /// The accounts and the products back at their start (the other tables emptied), between two experiments.
    pub fn restock(db: &Db) -> Result<()> {
        FromReply::from_reply(call("acid::restock", json!({"db": db.arg()}))?)
    }

    /// Crashes the lab's MariaDB for real and restarts it: see [`Stack::crash_mariadb`]. `db` must be the local
    /// stack's own MariaDB — a server sourcelab did not start is never touched.
    pub fn crash(db: &Db) -> Result<Crash> {
        FromReply::from_reply(call("acid::crash", json!({"db": db.arg()}))?)
    }

    /// Removes what lab 5 made: the `acid` database and the DynamoDB tables starting with [`DYNAMO_PREFIX`].
    /// Returns what it removed.
    pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
        FromReply::from_reply(call("acid::reset", json!({"env": env.arg()}))?)
    }
}

pub mod lab6 {
    use super::*;

    /// Removes everything lab 6 made (users, groups, roles, policies, the data bucket), then creates the data bucket
    /// with its objects again, as the administrator; the administrator's connection.
    pub fn setup(env: &EnvFile) -> Result<Iam> {
        FromReply::from_reply(call("lab6::setup", json!({"env": env.arg()}))?)
    }

    /// The lab's data bucket, `lab6-data-ACCOUNT-REGION`: bucket names are shared by every AWS account, so the name
    /// carries your account id ([`S3::account_bucket`]).
    pub fn data_bucket(iam: &Iam) -> Result<String> {
        FromReply::from_reply(call("lab6::data_bucket", json!({"iam": iam.arg()}))?)
    }
}

pub mod lab7 {
    use super::*;

    /// `n` click events as JSON text, in time order: `{"event_id", "user", "page", "at"}` — 40 users on the five
    /// [`PAGES`] (home most often, checkout least) over 20 minutes from [`START`], busiest around 09:12 (a newsletter
    /// went out). Seeded: the same every run.
    pub fn clicks(n: usize) -> Vec<String> {
        or_report(call("lab7::clicks", json!({"n": n})).and_then(FromReply::from_reply), Default::default())
    }

    /// The click events in `records` (a table with a `data` column of JSON events: what a Kinesis [`Reader`] read,
    /// or a table of message bodies) as typed columns: `event_id`, `user`, `page`, `at` (a datetime) and `minute`
    /// (`HH:MM`, for counting per minute). The other columns of `records` (shard, sequence…) come first.
    ///
    /// [`Reader`]: crate::kinesis::Reader
    pub fn clicks_table(records: &Table) -> Result<Table> {
        FromReply::from_reply(call("lab7::clicks_table", json!({"records": records.arg()}))?)
    }

    /// Removes every queue and stream lab 7 made (the notebook starts and ends with it); what it removed.
    pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
        FromReply::from_reply(call("lab7::reset", json!({"env": env.arg()}))?)
    }
}

pub mod account {
    use super::*;

    /// Removes what lab `lab` made in the account `env` points at; what it removed. On AWS some of it goes in the
    /// background after the call (a queue within 60 s, a table, stream or instance in seconds to minutes), so an
    /// inventory right after may still list it. Lab 4's local parts (its gateway, PostgreSQL's user) stay:
    /// `sourcelab reset connectivity` rebuilds the scenario.
    pub fn cleanup(env: &EnvFile, lab: u8) -> Result<Vec<String>> {
        FromReply::from_reply(call("account::cleanup", json!({"env": env.arg(), "lab": lab}))?)
    }

    /// Lab `lab`'s things as a table for a notebook — `kind`, `name`, `detail`, `per_hour`, `per_month` (in US
    /// dollars, as text: `$0.0046`, `$3.32`) — with a last row `total`: what leaving them for a month would cost.
    pub fn costs(env: &EnvFile, lab: u8) -> Result<Table> {
        FromReply::from_reply(call("account::costs", json!({"env": env.arg(), "lab": lab}))?)
    }
}

pub mod lab8 {
    use super::*;

    /// The log files of lab 8, with the shop running and MariaDB's general log on.
    ///
    /// MariaDB writes its general log since `sourcelab up` started it; a server started before lab 8 existed gets it
    /// switched on here (`SET GLOBAL general_log`), and runs one query on lab 1's `film` table, so the log always has
    /// a statement about films.
    pub fn setup(env: &EnvFile) -> Result<LogFiles> {
        FromReply::from_reply(call("lab8::setup", json!({"env": env.arg()}))?)
    }

    /// A copy of the log file `path` as a crash or a full disk leaves one — a line of binary noise in the middle, the
    /// last line cut in half — next to it, named `….damaged.log`; its path.
    pub fn damaged_copy(path: &std::path::Path) -> Result<std::path::PathBuf> {
        FromReply::from_reply(call("lab8::damaged_copy", json!({"path": path.to_string_lossy()}))?)
    }

    /// Sends `seconds` of traffic to the shop at `url`: eight shoppers browsing, searching, buying and logging in
    /// (now and then with a typo), a few probes for pages that do not exist, and — in the middle fifth of the time —
    /// a burst of password guesses for `admin` and `root` from [`ATTACKER`]. Seeded: the same requests every run.
    pub fn traffic(url: &str, seconds: u32, progress: Progress) -> Result<Traffic> {
        FromReply::from_reply(call(
            "lab8::traffic",
            json!({"url": url, "seconds": seconds, "progress": progress == Progress::Print}),
        )?)
    }

    /// Tries to log in `n` times to each of the env file's databases (MariaDB, PostgreSQL) as the lab user with a
    /// wrong password — each a real attempt that the server refuses and logs; how many were refused.
    pub fn failed_logins(env: &EnvFile, n: u32) -> Result<u64> {
        FromReply::from_reply(call("lab8::failed_logins", json!({"env": env.arg(), "n": n}))?)
    }
}

pub mod logs {
    use super::*;

    /// A web server's access log in the Combined Log Format; `level` from the status (5xx error, 4xx warn, else
    /// info). Fields: `client`, `user`, `method`, `path`, `protocol`, `status`, `bytes`, `referer`, `agent`.
    pub fn read_access(path: impl AsRef<std::path::Path>) -> Result<Parsed> {
        FromReply::from_reply(call("logs::read_access", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// An application's log, `2024-05-06T09:00:00.123Z LEVEL source: message`. Fields: `component`.
    pub fn read_app(path: impl AsRef<std::path::Path>) -> Result<Parsed> {
        FromReply::from_reply(call("logs::read_app", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// A security log in sshd's words: `2024-05-06T09:00:00.123Z host process[pid]: Failed password for USER from
    /// IP port P` (or `Accepted password …`); failures are `warn`. Fields: `host`, `process`, `pid`, `outcome`
    /// (`failed`, `accepted`), `user`, `client`, `port`.
    pub fn read_auth(path: impl AsRef<std::path::Path>) -> Result<Parsed> {
        FromReply::from_reply(call("logs::read_auth", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// MariaDB's general query log: one entry per connection, statement and quit; a statement over several lines
    /// stays one entry. MariaDB writes a time only when the second changes: an entry without one has the time of the
    /// entry before. A refused login (`Access denied`) is `warn`, the rest `info`. Fields: `thread`, `command`
    /// (`Connect`, `Query`, `Quit`, …), `argument` (the statement, or who connected).
    pub fn read_mariadb_general(path: impl AsRef<std::path::Path>) -> Result<Parsed> {
        FromReply::from_reply(call("logs::read_mariadb_general", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// PostgreSQL's server log with the stack's prefix (`%m [%p] %q%r %u@%d `, see `local::postgres`); lines with the
    /// default prefix (`%m [%p] `) read too, without client, user and database. `DETAIL:`, `HINT:`, `STATEMENT:` and
    /// `CONTEXT:` lines join the entry they explain. Fields: `pid`, `client`, `client_port`, `user`, `database`,
    /// `severity` (PostgreSQL's own word: `LOG`, `FATAL`, …).
    pub fn read_postgres(path: impl AsRef<std::path::Path>) -> Result<Parsed> {
        FromReply::from_reply(call("logs::read_postgres", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// The common columns (`time`, `level`, `source`, `message`) of several parsed logs in one table, in time order.
    pub fn combine(logs: &[&Table]) -> Result<Table> {
        FromReply::from_reply(call("logs::combine", json!({"logs": logs.iter().map(|t| t.arg()).collect::<Vec<_>>()}))?)
    }
}

pub mod plot {
    use super::*;

    /// A bar chart: one bar per row, `x` under it, height `y`.
    pub fn bars(table: &Table, x: &str, y: &str, title: &str) -> Result<Plot> {
        FromReply::from_reply(call("plot::bars", json!({"table": table.arg(), "x": x, "y": y, "title": title}))?)
    }

    /// A line chart: one point per row, in the table's order, joined.
    pub fn line(table: &Table, x: &str, y: &str, title: &str) -> Result<Plot> {
        FromReply::from_reply(call("plot::line", json!({"table": table.arg(), "x": x, "y": y, "title": title}))?)
    }
}

pub mod ratings {
    use super::*;

    /// Every lab 3 file: (path under `data/s3/`, bytes).
    pub fn files() -> Vec<(String, Vec<u8>)> {
        or_report(call("ratings::files", json!({})).and_then(FromReply::from_reply), Default::default())
    }
}

pub mod doctor {
    use super::*;

    /// Diagnoses a database connection step by step (each step bounded by `timeout`).
    pub fn database(cfg: &DbConfig, timeout: std::time::Duration) -> Diagnosis {
        or_report(
            call("doctor::database", json!({"cfg": cfg.to_json(), "timeout": timeout.as_millis() as u64}))
                .and_then(FromReply::from_reply),
            Default::default(),
        )
    }

    /// Diagnoses reading an S3 object: the bucket, the key, then a GET of the first byte (403 = a policy denies it).
    pub fn s3_object(env: &EnvFile, bucket: &str, key: &str) -> Diagnosis {
        or_report(
            call("doctor::s3_object", json!({"env": env.arg(), "bucket": bucket, "key": key}))
                .and_then(FromReply::from_reply),
            Default::default(),
        )
    }
}

pub mod s3 {
    use super::*;

    /// Every bucket of the account, as a DataFrame (`name`, `created`).
    pub fn list_buckets(env: &EnvFile) -> Result<Table> {
        FromReply::from_reply(call("s3::list_buckets", json!({"env": env.arg()}))?)
    }

    /// One of the lab's data files: `data/s3/<path>` in the checkout (`"csv/ratings_ml_training_dataset.csv"`, …).
    pub fn data_file(path: &str) -> std::path::PathBuf {
        or_report(call("s3::data_file", json!({"path": path})).and_then(FromReply::from_reply), Default::default())
    }

    /// A local CSV file as a DataFrame (header row, types inferred).
    pub fn read_csv_file(path: impl AsRef<std::path::Path>) -> Result<Table> {
        FromReply::from_reply(call("s3::read_csv_file", json!({"path": path.as_ref().to_string_lossy()}))?)
    }

    /// SQL over a DataFrame registered as `s3object`, run locally by polars.
    pub fn query_frame(table: &Table, sql: &str) -> Result<Table> {
        FromReply::from_reply(call("s3::query_frame", json!({"table": table.arg(), "sql": sql}))?)
    }
}

pub mod dynamo {
    use super::*;

    /// The names of every table, following pagination to the end.
    pub fn list_tables(env: &EnvFile) -> Result<Vec<String>> {
        FromReply::from_reply(call("dynamo::list_tables", json!({"env": env.arg()}))?)
    }

    /// A new idempotency token for [`Dynamo::transact_write`]: `label` (its first 12 characters) and a part that is new
    /// on every call, within the 36 characters DynamoDB allows. DynamoDB applies a transaction once per token for ten
    /// minutes and answers success for the same token again without writing; so a cell that makes its token with this
    /// writes each time it runs, while the SDK's own retries of one call keep the token and stay safe.
    pub fn new_token(label: &str) -> String {
        or_report(
            call("dynamo::new_token", json!({"label": label})).and_then(FromReply::from_reply),
            Default::default(),
        )
    }

    /// One of the lab's data files: `data/dynamodb/<name>.json` in the checkout (`"Reply"`, `"Forum"`, …).
    pub fn data_file(name: &str) -> std::path::PathBuf {
        or_report(call("dynamo::data_file", json!({"name": name})).and_then(FromReply::from_reply), Default::default())
    }

    /// The items a batch-write file puts, as (table, item in DynamoDB JSON) pairs — for loading item by item.
    pub fn file_items(path: impl AsRef<std::path::Path>) -> Result<Vec<(String, serde_json::Value)>> {
        FromReply::from_reply(call("dynamo::file_items", json!({"path": path.as_ref().to_string_lossy()}))?)
    }
}

pub mod marshal {
    use super::*;

    /// A plain-JSON item → marshal JSON, checked as DynamoDB would check it.
    ///
    /// ```text
    /// use serde_json::json;
    /// let m = sourcelab::marshal::to_marshal(&json!({"Id": 101, "Tags": {"$SS": ["a"]}})).unwrap();
    /// assert_eq!(m, json!({"Id": {"N": "101"}, "Tags": {"SS": ["a"]}}));
    /// ```
    pub fn to_marshal(plain: &serde_json::Value) -> Result<serde_json::Value> {
        FromReply::from_reply(call("marshal::to_marshal", json!({"plain": plain}))?)
    }

    /// A marshal-JSON item → plain JSON, numbers exact.
    ///
    /// ```text
    /// use serde_json::json;
    /// let p = sourcelab::marshal::to_plain(&json!({"Price": {"N": "12345678901234567890.123456789"}})).unwrap();
    /// assert_eq!(p.to_string(), r#"{"Price":12345678901234567890.123456789}"#);
    /// ```
    pub fn to_plain(marshal: &serde_json::Value) -> Result<serde_json::Value> {
        FromReply::from_reply(call("marshal::to_plain", json!({"marshal": marshal}))?)
    }

    /// A marshal-JSON item → plain JSON with numbers as DynamoDB gives them back (`{"N": "1.50"}` → `1.5`).
    pub fn to_plain_canonical(marshal: &serde_json::Value) -> Result<serde_json::Value> {
        FromReply::from_reply(call("marshal::to_plain_canonical", json!({"marshal": marshal}))?)
    }

    /// Reads a JSON file; a syntax error names the file, line and column.
    pub fn read_json(path: &std::path::Path) -> Result<serde_json::Value> {
        FromReply::from_reply(call("marshal::read_json", json!({"path": path.to_string_lossy()}))?)
    }
}
