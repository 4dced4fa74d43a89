// Generated from the library's items by src/kernel/declare.rs: do not edit. After changing a declared item,
// run `SOURCELAB_BLESS=1 cargo test --lib kernel::declare`.

use super::boundary::Reply;
use super::calls::Call;
use crate::config::Secret;
use crate::frame::TableExt;
use crate::sql::SqlValue;

/// The declared calls, by name.
pub(super) const DECLARED: &[(&str, Call)] = &[
    ("sqs.connect", |a| crate::prelude::Sqs::connect(&*a.env("env")?)?.reply()),
    ("sqs.url", |a| a.sqs("sqs")?.url(a.str("name")?)?.reply()),
    ("sqs.create_queue", |a| a.sqs("sqs")?.create_queue(a.str("name")?, a.u32("visibility_seconds")?)?.reply()),
    ("sqs.list_queues", |a| a.sqs("sqs")?.list_queues(a.str("prefix")?)?.reply()),
    ("sqs.attributes", |a| a.sqs("sqs")?.attributes(a.str("queue")?)?.reply()),
    ("sqs.counts", |a| a.sqs("sqs")?.counts(a.str("queue")?)?.reply()),
    ("sqs.set_dead_letter_queue", |a| {
        a.sqs("sqs")?.set_dead_letter_queue(a.str("queue")?, a.str("dead_letter")?, a.u32("max_receives")?)?.reply()
    }),
    ("sqs.send", |a| a.sqs("sqs")?.send(a.str("queue")?, a.str("body")?)?.reply()),
    ("sqs.send_fifo", |a| {
        a.sqs("sqs")?.send_fifo(a.str("queue")?, a.str("body")?, a.str("group")?, a.str("dedup_id")?)?.reply()
    }),
    ("sqs.send_all", |a| {
        a.sqs("sqs")?
            .send_all(a.str("queue")?, &a.get::<Vec<String>>("bodies", "a list of texts")?, a.progress("progress")?)?
            .reply()
    }),
    ("sqs.receive", |a| a.sqs("sqs")?.receive(a.str("queue")?, a.u32("max")?)?.reply()),
    ("sqs.delete", |a| a.sqs("sqs")?.delete(a.str("queue")?, &*a.messages("messages")?)?.reply()),
    ("sqs.consume_all", |a| {
        a.sqs("sqs")?.consume_all(a.str("queue")?, a.u32("consumers")?, a.progress("progress")?)?.reply()
    }),
    ("sqs.delete_queue", |a| a.sqs("sqs")?.delete_queue(a.str("queue")?)?.reply()),
    ("sqs.remove_all", |a| a.sqs("sqs")?.remove_all(a.str("prefix")?)?.reply()),
    ("kinesis.connect", |a| crate::prelude::Kinesis::connect(&*a.env("env")?)?.reply()),
    ("kinesis.list_streams", |a| a.kinesis("kinesis")?.list_streams()?.reply()),
    ("kinesis.create_stream", |a| a.kinesis("kinesis")?.create_stream(a.str("name")?, a.u32("shards")?)?.reply()),
    ("kinesis.shards", |a| a.kinesis("kinesis")?.shards(a.str("stream")?)?.reply()),
    ("kinesis.retention_hours", |a| a.kinesis("kinesis")?.retention_hours(a.str("stream")?)?.reply()),
    ("kinesis.put", |a| a.kinesis("kinesis")?.put(a.str("stream")?, a.str("key")?, a.str("data")?)?.reply()),
    ("kinesis.put_events", |a| {
        a.kinesis("kinesis")?
            .put_events(
                a.str("stream")?,
                &a.get::<Vec<String>>("events", "a list of texts")?,
                a.str("key_field")?,
                a.progress("progress")?,
            )?
            .reply()
    }),
    ("kinesis.reader", |a| a.kinesis("kinesis")?.reader(a.str("stream")?, a.start_at("start")?)?.reply()),
    ("kinesis.shard_reader", |a| {
        a.kinesis("kinesis")?.shard_reader(a.str("stream")?, a.str("shard")?, a.start_at("start")?)?.reply()
    }),
    ("kinesis.delete_stream", |a| a.kinesis("kinesis")?.delete_stream(a.str("stream")?)?.reply()),
    ("kinesis.remove_all", |a| a.kinesis("kinesis")?.remove_all(a.str("prefix")?)?.reply()),
    ("reader.read", |a| a.reader("reader")?.read(a.get::<usize>("max", "a whole number")?)?.reply()),
    ("iam.connect", |a| crate::prelude::Iam::connect(&*a.env("env")?)?.reply()),
    ("iam.env", |a| a.iam("iam")?.env()?.reply()),
    ("iam.env_for", |a| a.iam("iam")?.env_for(&*a.credentials("keys")?)?.reply()),
    ("iam.whoami", |a| a.iam("iam")?.whoami(a.optional_credentials("keys")?.as_deref())?.reply()),
    ("iam.create_user", |a| a.iam("iam")?.create_user(a.str("name")?)?.reply()),
    ("iam.create_access_key", |a| a.iam("iam")?.create_access_key(a.str("user")?)?.reply()),
    ("iam.create_group", |a| a.iam("iam")?.create_group(a.str("name")?)?.reply()),
    ("iam.add_user_to_group", |a| a.iam("iam")?.add_user_to_group(a.str("user")?, a.str("group")?)?.reply()),
    ("iam.create_policy", |a| a.iam("iam")?.create_policy(a.str("name")?, a.json("document")?)?.reply()),
    ("iam.attach_group_policy", |a| a.iam("iam")?.attach_group_policy(a.str("group")?, a.str("policy_arn")?)?.reply()),
    ("iam.attach_user_policy", |a| a.iam("iam")?.attach_user_policy(a.str("user")?, a.str("policy_arn")?)?.reply()),
    ("iam.put_user_policy", |a| {
        a.iam("iam")?.put_user_policy(a.str("user")?, a.str("name")?, a.json("document")?)?.reply()
    }),
    ("iam.create_role", |a| a.iam("iam")?.create_role(a.str("name")?, a.json("trust")?)?.reply()),
    ("iam.attach_role_policy", |a| a.iam("iam")?.attach_role_policy(a.str("role")?, a.str("policy_arn")?)?.reply()),
    ("iam.assume_role", |a| {
        a.iam("iam")?
            .assume_role(&*a.credentials("keys")?, a.str("role_arn")?, a.str("session")?, a.u32("seconds")?)?
            .reply()
    }),
    ("iam.explain", |a| a.iam("iam")?.explain(a.str("principal")?, a.str("action")?, a.str("resource")?)?.reply()),
    ("iam.compare", |a| {
        a.iam("iam")?
            .compare(
                &*a.credentials("keys")?,
                &a.text_triples("requests")?
                    .iter()
                    .map(|(x, y, z)| (x.as_str(), y.as_str(), z.as_str()))
                    .collect::<Vec<_>>(),
            )?
            .reply()
    }),
    ("iam.remove_all", |a| a.iam("iam")?.remove_all(a.str("prefix")?)?.reply()),
    ("s3.connect", |a| crate::prelude::S3::connect(&*a.env("env")?)?.reply()),
    ("s3.account_bucket", |a| a.s3("s3")?.account_bucket(a.str("prefix")?)?.reply()),
    ("s3.list_buckets", |a| a.s3("s3")?.list_buckets()?.reply()),
    ("s3.create_bucket", |a| a.s3("s3")?.create_bucket(a.str("bucket")?)?.reply()),
    ("s3.upload_file", |a| a.s3("s3")?.upload_file(a.path("path")?, a.str("bucket")?, a.str("key")?)?.reply()),
    ("s3.download_file", |a| a.s3("s3")?.download_file(a.str("bucket")?, a.str("key")?, a.path("path")?)?.reply()),
    ("s3.put_bytes", |a| a.s3("s3")?.put_bytes(a.str("bucket")?, a.str("key")?, a.bytes("bytes")?)?.reply()),
    ("s3.get_bytes", |a| a.s3("s3")?.get_bytes(a.str("bucket")?, a.str("key")?)?.reply()),
    ("s3.put_json", |a| a.s3("s3")?.put_json(a.str("bucket")?, a.str("key")?, a.json("value")?)?.reply()),
    ("s3.get_json", |a| a.s3("s3")?.get_json(a.str("bucket")?, a.str("key")?)?.reply()),
    ("s3.list", |a| a.s3("s3")?.list(a.str("bucket")?, a.str("prefix")?)?.reply()),
    ("s3.list_folder", |a| a.s3("s3")?.list_folder(a.str("bucket")?, a.str("prefix")?)?.reply()),
    ("s3.head", |a| a.s3("s3")?.head(a.str("bucket")?, a.str("key")?)?.reply()),
    ("s3.enable_versioning", |a| a.s3("s3")?.enable_versioning(a.str("bucket")?)?.reply()),
    ("s3.versions", |a| a.s3("s3")?.versions(a.str("bucket")?, a.str("prefix")?)?.reply()),
    ("s3.delete_object", |a| a.s3("s3")?.delete_object(a.str("bucket")?, a.str("key")?)?.reply()),
    ("s3.public_access_block", |a| a.s3("s3")?.public_access_block(a.str("bucket")?)?.reply()),
    ("s3.set_public_access_block", |a| {
        a.s3("s3")?.set_public_access_block(a.str("bucket")?, a.bool("block")?)?.reply()
    }),
    ("s3.put_policy", |a| a.s3("s3")?.put_policy(a.str("bucket")?, a.json("policy")?)?.reply()),
    ("s3.get_policy", |a| a.s3("s3")?.get_policy(a.str("bucket")?)?.reply()),
    ("s3.delete_policy", |a| a.s3("s3")?.delete_policy(a.str("bucket")?)?.reply()),
    ("s3.presigned_get", |a| a.s3("s3")?.presigned_get(a.str("bucket")?, a.str("key")?, a.u64("seconds")?)?.reply()),
    ("s3.delete_bucket", |a| a.s3("s3")?.delete_bucket(a.str("bucket")?)?.reply()),
    ("s3.read_csv", |a| a.s3("s3")?.read_csv(a.str("bucket")?, a.str("key")?)?.reply()),
    ("s3.query_csv", |a| a.s3("s3")?.query_csv(a.str("bucket")?, a.str("key")?, a.str("sql")?)?.reply()),
    ("s3.incomplete_uploads", |a| a.s3("s3")?.incomplete_uploads(a.str("bucket")?)?.reply()),
    ("s3.remove_bucket_if_exists", |a| a.s3("s3")?.remove_bucket_if_exists(a.str("bucket")?)?.reply()),
    ("dynamo.connect", |a| crate::prelude::Dynamo::connect(&*a.env("env")?)?.reply()),
    ("dynamo.list_tables", |a| a.dynamo("dynamo")?.list_tables()?.reply()),
    ("dynamo.create_table", |a| a.dynamo("dynamo")?.create_table(&a.table_spec("spec")?)?.reply()),
    ("dynamo.describe_table", |a| a.dynamo("dynamo")?.describe_table(a.str("table")?)?.reply()),
    ("dynamo.put_item", |a| a.dynamo("dynamo")?.put_item(a.str("table")?, a.json("item")?, a.json("params")?)?.reply()),
    ("dynamo.get_item", |a| a.dynamo("dynamo")?.get_item(a.str("table")?, a.json("key")?, a.json("params")?)?.reply()),
    ("dynamo.scan", |a| a.dynamo("dynamo")?.scan(a.str("table")?, a.json("params")?)?.reply()),
    ("dynamo.scan_all", |a| a.dynamo("dynamo")?.scan_all(a.str("table")?, a.json("params")?)?.reply()),
    ("dynamo.query", |a| a.dynamo("dynamo")?.query(a.str("table")?, a.json("params")?)?.reply()),
    ("dynamo.query_all", |a| a.dynamo("dynamo")?.query_all(a.str("table")?, a.json("params")?)?.reply()),
    ("dynamo.update_item", |a| {
        a.dynamo("dynamo")?.update_item(a.str("table")?, a.json("key")?, a.json("params")?)?.reply()
    }),
    ("dynamo.delete_item", |a| {
        a.dynamo("dynamo")?.delete_item(a.str("table")?, a.json("key")?, a.json("params")?)?.reply()
    }),
    ("dynamo.transact_write", |a| a.dynamo("dynamo")?.transact_write(a.json("actions")?, a.str("token")?)?.reply()),
    ("dynamo.delete_table", |a| a.dynamo("dynamo")?.delete_table(a.str("table")?)?.reply()),
    ("dynamo.delete_tables_starting_with", |a| {
        a.dynamo("dynamo")?.delete_tables_starting_with(a.str("prefix")?)?.reply()
    }),
    ("dynamo.batch_write_file", |a| {
        a.dynamo("dynamo")?.batch_write_file(a.path("path")?, a.progress("progress")?)?.reply()
    }),
    ("response.plain", |a| a.response("response")?.plain()?.reply()),
    ("response.marshal", |a| a.response("response")?.marshal()?.reply()),
    ("response.item", |a| a.response("response")?.item()?.reply()),
    ("response.attributes", |a| a.response("response")?.attributes()?.reply()),
    ("response.last_key", |a| a.response("response")?.last_key()?.reply()),
    ("response.counts", |a| a.response("response")?.counts().reply()),
    ("response.capacity_units", |a| a.response("response")?.capacity_units().reply()),
    ("response.frame", |a| a.response("response")?.frame()?.reply()),
    ("db.connect", |a| crate::prelude::Db::connect(&a.config("cfg")?)?.reply()),
    ("db.connect_mysql", |a| crate::prelude::Db::connect_mysql(&*a.env("env")?)?.reply()),
    ("db.connect_postgres", |a| crate::prelude::Db::connect_postgres(&*a.env("env")?)?.reply()),
    ("db.query", |a| a.db("db")?.query(a.str("sql")?)?.reply()),
    ("db.server_version", |a| a.db("db")?.server_version()?.reply()),
    ("db.execute", |a| a.db("db")?.execute(a.str("sql")?)?.reply()),
    ("db.session", |a| a.db("db")?.session(a.str("name")?)?.reply()),
    ("db.run_file", |a| a.db("db")?.run_file(a.path("path")?)?.reply()),
    ("db.copy_csv", |a| a.db("db")?.copy_csv(a.str("table")?, a.path("path")?)?.reply()),
    ("db.transaction", |a| a.db("db")?.transaction(&a.strings("statements")?)?.reply()),
    ("db.tables", |a| a.db("db")?.tables()?.reply()),
    ("db.has_table", |a| a.db("db")?.has_table(a.str("table")?)?.reply()),
    ("db.describe", |a| a.db("db")?.describe(a.str("table")?)?.reply()),
    ("db.insert", |a| a.db("db")?.insert(a.str("table")?, &a.strings("columns")?, &a.sql_rows("rows")?)?.reply()),
    ("db.update_where", |a| {
        a.db("db")?
            .update_where(
                a.str("table")?,
                &a.sql_pairs("set")?.iter().map(|(c, v)| (c.as_str(), v.clone())).collect::<Vec<_>>(),
                a.str("where_column")?,
                SqlValue::from_json(a.json("where_value")?),
            )?
            .reply()
    }),
    ("db.delete_where", |a| {
        a.db("db")?.delete_where(a.str("table")?, a.str("column")?, SqlValue::from_json(a.json("value")?))?.reply()
    }),
    ("session.execute", |a| a.session("session")?.execute(a.str("sql")?)?.reply()),
    ("session.query", |a| a.session("session")?.query(a.str("sql")?)?.reply()),
    ("session.begin", |a| a.session("session")?.begin()?.reply()),
    ("session.commit", |a| a.session("session")?.commit()?.reply()),
    ("session.rollback", |a| a.session("session")?.rollback()?.reply()),
    ("session.isolation", |a| a.session("session")?.isolation(a.str("level")?)?.reply()),
    ("session.submit", |a| a.session("session")?.submit(a.str("sql")?)?.reply()),
    ("session.busy", |a| a.session("session")?.busy().reply()),
    ("session.wait", |a| a.session("session")?.wait()?.reply()),
    ("session.timeline", |a| {
        crate::prelude::Session::timeline(&a.sessions("sessions")?.iter().collect::<Vec<_>>())?.reply()
    }),
    ("session.views", |a| {
        crate::prelude::Session::views(&a.sessions("sessions")?.iter().collect::<Vec<_>>(), a.str("sql")?)?.reply()
    }),
    ("env.load", |a| crate::prelude::EnvFile::load(a.path("path")?)?.reply()),
    ("env.get", |a| a.env("env")?.get(a.str("key")?).reply()),
    ("env.require", |a| a.env("env")?.require(a.str("key")?)?.reply()),
    ("env.mysql", |a| a.env("env")?.mysql()?.reply()),
    ("env.postgres", |a| a.env("env")?.postgres()?.reply()),
    ("env.aws", |a| a.env("env")?.aws().reply()),
    ("env.unread_keys", |a| a.env("env")?.unread_keys().reply()),
    ("config.url", |a| a.config("config")?.url().reply()),
    ("config.from_url", |a| crate::prelude::DbConfig::from_url(a.str("url")?)?.reply()),
    ("config.endpoint", |a| a.config("config")?.endpoint().reply()),
    ("config::load", |_| crate::config::load()?.reply()),
    ("lab4.setup", |_| crate::prelude::Lab4::setup()?.reply()),
    ("lab4.open", |_| crate::prelude::Lab4::open()?.reply()),
    ("lab4.client", |a| a.lab4("lab4")?.client()?.reply()),
    ("lab4.use_client", |a| a.lab4("lab4")?.use_client(a.str("name")?)?.reply()),
    ("lab4.ask_devops", |a| a.lab4("lab4")?.ask_devops()?.reply()),
    ("lab4.rds_endpoint", |a| a.lab4("lab4")?.rds_endpoint()?.reply()),
    ("lab4.database", |a| a.lab4("lab4")?.database(&Secret::new(a.str("password")?))?.reply()),
    ("lab4.network", |a| a.lab4("lab4")?.network()?.reply()),
    ("lab4.doctor", |a| a.lab4("lab4")?.doctor(&a.config("cfg")?, a.duration("timeout")?)?.reply()),
    ("lab4.allow_tcp", |a| {
        a.lab4("lab4")?
            .allow_tcp(a.str("group")?, a.get::<u16>("port", "a port number from 0 to 65535")?, a.str("source")?)?
            .reply()
    }),
    ("lab4.reset", |a| a.lab4("lab4")?.reset()?.reply()),
    ("lab4::ddl_path", |_| crate::lab4::ddl_path().reply()),
    ("frame.value", |a| a.frame("frame")?.value(a.get::<usize>("row", "a whole number")?, a.str("column")?)?.reply()),
    ("frame.rows", |a| a.frame("frame")?.rows()?.reply()),
    ("frame.column_values", |a| a.frame("frame")?.column_values(a.str("column")?)?.reply()),
    ("frame.sql", |a| a.frame("frame")?.sql(a.str("sql")?)?.reply()),
    ("check::lab1_ex1", |a| crate::check::lab1_ex1(&a.db("db")?)?.reply()),
    ("check::lab1_ex2", |a| crate::check::lab1_ex2(&a.frame("df")?)?.reply()),
    ("check::lab1_ex3", |a| crate::check::lab1_ex3(&a.frame("df")?)?.reply()),
    ("check::lab1_ex4", |a| crate::check::lab1_ex4(&a.frame("df")?)?.reply()),
    ("check::lab1_ex5", |a| crate::check::lab1_ex5(&a.db("db")?, &a.counts("inserted")?)?.reply()),
    ("check::lab1_ex6", |a| crate::check::lab1_ex6(&a.db("db")?, &a.frame("updated")?)?.reply()),
    ("check::lab1_ex7", |a| crate::check::lab1_ex7(&a.db("db")?, &a.frame("deleted")?)?.reply()),
    ("check::lab1_ex8", |a| crate::check::lab1_ex8(&a.frame("df")?)?.reply()),
    ("check::lab1_ex9", |a| crate::check::lab1_ex9(&a.frame("df")?)?.reply()),
    ("check::lab1_ex10", |a| crate::check::lab1_ex10(&a.frame("df")?)?.reply()),
    ("check::lab1_ex11", |a| crate::check::lab1_ex11(&a.frame("df")?)?.reply()),
    ("check::lab1_ex12", |a| crate::check::lab1_ex12(&a.frame("df")?)?.reply()),
    ("check::lab2_ex1", |a| crate::check::lab2_ex1(&a.dynamo("ddb")?, a.str("prefix")?)?.reply()),
    ("check::lab2_ex2", |a| crate::check::lab2_ex2(&a.dynamo("ddb")?, a.str("prefix")?)?.reply()),
    ("check::lab2_ex3", |a| {
        crate::check::lab2_ex3(&a.dynamo("ddb")?, a.str("prefix")?, &a.batch_reports("reports")?)?.reply()
    }),
    ("check::lab2_ex4", |a| crate::check::lab2_ex4(&*a.response("r")?)?.reply()),
    ("check::lab2_ex5", |a| crate::check::lab2_ex5(&*a.response("r")?)?.reply()),
    ("check::lab2_ex6", |a| crate::check::lab2_ex6(&*a.response("r")?)?.reply()),
    ("check::lab2_ex7", |a| crate::check::lab2_ex7(&*a.response("r")?)?.reply()),
    ("check::lab2_ex8", |a| crate::check::lab2_ex8(&a.dynamo("ddb")?, a.str("prefix")?)?.reply()),
    ("check::lab2_ex9", |a| crate::check::lab2_ex9(&a.dynamo("ddb")?, a.str("prefix")?)?.reply()),
    ("check::lab2_ex10", |a| crate::check::lab2_ex10(&a.dynamo("ddb")?, a.str("prefix")?)?.reply()),
    ("check::lab2_ex11", |a| crate::check::lab2_ex11(&a.dynamo("ddb")?, a.str("prefix")?)?.reply()),
    ("check::lab3_ex1", |a| crate::check::lab3_ex1(&a.s3("s3")?, a.str("bucket")?)?.reply()),
    ("check::lab3_ex2", |a| crate::check::lab3_ex2(&a.s3("s3")?, a.str("bucket")?)?.reply()),
    ("check::lab3_ex3", |a| crate::check::lab3_ex3(&a.frame("listing")?)?.reply()),
    ("check::lab3_ex4", |a| crate::check::lab3_ex4(&a.s3("s3")?, a.str("bucket")?)?.reply()),
    ("check::lab4_ex1", |a| crate::check::lab4_ex1(&a.cidr("block")?)?.reply()),
    ("check::lab4_ex2", |a| crate::check::lab4_ex2(&a.lab4("lab")?)?.reply()),
    ("check::lab4_ex3", |a| crate::check::lab4_ex3(&a.lab4("lab")?)?.reply()),
    ("check::lab4_ex4", |a| crate::check::lab4_ex4(&a.db("db")?)?.reply()),
    ("check::lab4_ex5", |a| crate::check::lab4_ex5(&a.s3("s3")?, a.str("bucket")?)?.reply()),
    ("check::lab4_ex6", |a| crate::check::lab4_ex6(&a.db("db")?)?.reply()),
    ("check::lab5_ex1", |a| crate::check::lab5_ex1(&a.db("db")?)?.reply()),
    ("check::lab5_ex2", |a| crate::check::lab5_ex2(&a.db("db")?)?.reply()),
    ("check::lab5_ex3", |a| crate::check::lab5_ex3(&a.db("db")?, a.str("read")?)?.reply()),
    ("check::lab5_ex4", |a| crate::check::lab5_ex4(&a.db("db")?, a.str("take_one")?)?.reply()),
    ("check::lab5_ex5", |a| crate::check::lab5_ex5(&a.session("session")?)?.reply()),
    ("check::lab5_ex6", |a| crate::check::lab5_ex6(&a.dynamo("ddb")?)?.reply()),
    ("check::lab6_ex1", |a| crate::check::lab6_ex1(&a.iam("iam")?, &*a.credentials("keys")?)?.reply()),
    ("check::lab6_ex2", |a| crate::check::lab6_ex2(&a.iam("iam")?, &*a.credentials("keys")?)?.reply()),
    ("check::lab6_ex3", |a| crate::check::lab6_ex3(&a.iam("iam")?, &*a.credentials("keys")?)?.reply()),
    ("check::lab6_ex4", |a| crate::check::lab6_ex4(&a.iam("iam")?, &*a.credentials("keys")?)?.reply()),
    ("check::lab6_ex5", |a| crate::check::lab6_ex5(&a.iam("iam")?, a.json("document")?)?.reply()),
    ("check::lab6_ex6", |a| crate::check::lab6_ex6(&a.iam("iam")?, &*a.credentials("keys")?)?.reply()),
    ("check::lab7_ex1", |a| crate::check::lab7_ex1(&a.sqs("sqs")?)?.reply()),
    ("check::lab7_ex2", |a| crate::check::lab7_ex2(&a.sqs("sqs")?, &*a.messages("processed")?)?.reply()),
    ("check::lab7_ex3", |a| crate::check::lab7_ex3(&a.sqs("sqs")?)?.reply()),
    ("check::lab7_ex4", |a| crate::check::lab7_ex4(&*a.messages("received")?)?.reply()),
    ("check::lab7_ex5", |a| crate::check::lab7_ex5(&a.kinesis("kinesis")?)?.reply()),
    ("check::lab7_ex6", |a| {
        crate::check::lab7_ex6(&a.kinesis("kinesis")?, &a.frame("replay")?, a.str("after")?)?.reply()
    }),
    ("check::lab7_ex7", |a| crate::check::lab7_ex7(&a.frame("clicks")?, &a.frame("per_page")?)?.reply()),
    ("check::lab8_ex1", |a| crate::check::lab8_ex1(&a.frame("general")?, &a.frame("answer")?)?.reply()),
    ("check::lab8_ex2", |a| crate::check::lab8_ex2(&a.frame("postgres")?, &a.frame("answer")?)?.reply()),
    ("check::lab8_ex3", |a| crate::check::lab8_ex3(&a.frame("access")?, &a.frame("answer")?)?.reply()),
    ("check::lab8_ex4", |a| crate::check::lab8_ex4(&a.frame("auth")?, &a.frame("answer")?)?.reply()),
    ("check::lab8_ex5", |a| crate::check::lab8_ex5(&a.frame("all")?, &a.frame("answer")?)?.reply()),
    ("acid::connect", |a| crate::acid::connect(&*a.env("env")?)?.reply()),
    ("acid::setup", |a| crate::acid::setup(&*a.env("env")?)?.reply()),
    ("acid::restock", |a| crate::acid::restock(&a.db("db")?)?.reply()),
    ("acid::crash", |a| crate::acid::crash(&a.db("db")?)?.reply()),
    ("acid::reset", |a| crate::acid::reset(&*a.env("env")?)?.reply()),
    ("lab6::setup", |a| crate::lab6::setup(&*a.env("env")?)?.reply()),
    ("lab6::data_bucket", |a| crate::lab6::data_bucket(&a.iam("iam")?)?.reply()),
    ("lab7::clicks", |a| crate::lab7::clicks(a.get::<usize>("n", "a whole number")?).reply()),
    ("lab7::clicks_table", |a| crate::lab7::clicks_table(&a.frame("records")?)?.reply()),
    ("lab7::reset", |a| crate::lab7::reset(&*a.env("env")?)?.reply()),
    ("account::cleanup", |a| {
        crate::account::cleanup(&*a.env("env")?, a.get::<u8>("lab", "a whole number from 0 to 255")?)?.reply()
    }),
    ("account::costs", |a| {
        crate::account::costs(&*a.env("env")?, a.get::<u8>("lab", "a whole number from 0 to 255")?)?.reply()
    }),
    ("lab8::setup", |a| crate::lab8::setup(&*a.env("env")?)?.reply()),
    ("lab8::damaged_copy", |a| crate::lab8::damaged_copy(&a.path("path")?)?.reply()),
    ("lab8::traffic", |a| crate::lab8::traffic(a.str("url")?, a.u32("seconds")?, a.progress("progress")?)?.reply()),
    ("lab8::failed_logins", |a| crate::lab8::failed_logins(&*a.env("env")?, a.u32("n")?)?.reply()),
    ("logs::read_access", |a| crate::logs::read_access(a.path("path")?)?.reply()),
    ("logs::read_app", |a| crate::logs::read_app(a.path("path")?)?.reply()),
    ("logs::read_auth", |a| crate::logs::read_auth(a.path("path")?)?.reply()),
    ("logs::read_mariadb_general", |a| crate::logs::read_mariadb_general(a.path("path")?)?.reply()),
    ("logs::read_postgres", |a| crate::logs::read_postgres(a.path("path")?)?.reply()),
    ("logs::combine", |a| crate::logs::combine(&a.frames("logs")?.iter().collect::<Vec<_>>())?.reply()),
    ("plot::bars", |a| crate::plot::bars(&a.frame("table")?, a.str("x")?, a.str("y")?, a.str("title")?)?.reply()),
    ("plot::line", |a| crate::plot::line(&a.frame("table")?, a.str("x")?, a.str("y")?, a.str("title")?)?.reply()),
    ("ratings::files", |_| crate::ratings::files().reply()),
    ("doctor::database", |a| crate::doctor::database(&a.config("cfg")?, a.duration("timeout")?).reply()),
    ("doctor::s3_object", |a| crate::doctor::s3_object(&*a.env("env")?, a.str("bucket")?, a.str("key")?).reply()),
    ("s3::list_buckets", |a| crate::s3::list_buckets(&*a.env("env")?)?.reply()),
    ("s3::data_file", |a| crate::s3::data_file(a.str("path")?).reply()),
    ("s3::read_csv_file", |a| crate::s3::read_csv_file(a.path("path")?)?.reply()),
    ("s3::query_frame", |a| crate::s3::query_frame(&a.frame("table")?, a.str("sql")?)?.reply()),
    ("dynamo::list_tables", |a| crate::dynamo::list_tables(&*a.env("env")?)?.reply()),
    ("dynamo::new_token", |a| crate::dynamo::new_token(a.str("label")?).reply()),
    ("dynamo::data_file", |a| crate::dynamo::data_file(a.str("name")?).reply()),
    ("dynamo::file_items", |a| crate::dynamo::file_items(a.path("path")?)?.reply()),
    ("marshal::to_marshal", |a| crate::marshal::to_marshal(a.json("plain")?)?.reply()),
    ("marshal::to_plain", |a| crate::marshal::to_plain(a.json("marshal")?)?.reply()),
    ("marshal::to_plain_canonical", |a| crate::marshal::to_plain_canonical(a.json("marshal")?)?.reply()),
    ("marshal::read_json", |a| crate::marshal::read_json(&a.path("path")?)?.reply()),
];
