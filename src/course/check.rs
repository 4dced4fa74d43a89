//! Exercise checks: each lab's check cells call one function here.
//!
//! A check returns [`Passed`] (its Display is a one-line "✓ …") or an [`Error`] whose message says what was
//! expected, what came back, and a hint. In a notebook the cell then shows either the tick or the red message; in
//! the headless runs the error fails the cell, so a solution notebook with a wrong answer fails its tests.
//! Checks test shape and meaning (columns, row counts, totals), not one dataset's exact values, so they pass on
//! the generated Rentio data and on the official Sakila dump alike.

use crate::frame::TableExt;
use std::fmt;

use polars::prelude::{AnyValue, DataFrame};

use crate::dynamo::{BatchReport, Dynamo, Response};
use crate::error::{Error, ErrorKind, Result};
use crate::s3::S3;
use crate::sql::Db;

/// A passed check; shows as `✓ <what>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed(String);

impl fmt::Display for Passed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "✓ {}", self.0)
    }
}

/// Shows its text when it ends a notebook cell.
impl crate::frame::Show for Passed {}

fn fail(exercise: &str, expected: impl fmt::Display, got: impl fmt::Display, hint: &str) -> Error {
    Error::new(ErrorKind::Input, format!("check {exercise}"), format!("expected {expected}, got {got}")).hint(hint)
}

fn columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names().iter().map(|c| c.to_string()).collect()
}

/// The result has exactly these columns, in this order.
fn expect_columns(exercise: &str, df: &DataFrame, want: &[&str], hint: &str) -> Result<()> {
    let got = columns(df);
    if got != want {
        return Err(fail(exercise, format!("columns {want:?}"), format!("{got:?}"), hint));
    }
    Ok(())
}

fn expect_rows(exercise: &str, df: &DataFrame, want: usize, hint: &str) -> Result<()> {
    if df.height() != want {
        return Err(fail(exercise, format!("{want} rows"), format!("{} rows", df.height()), hint));
    }
    Ok(())
}

/// A check on a result's columns and row count only.
fn shape(exercise: &str, df: &DataFrame, want: &[&str], rows: usize, hint: &str, passed: &str) -> Result<Passed> {
    expect_columns(exercise, df, want, hint)?;
    expect_rows(exercise, df, rows, hint)?;
    Ok(Passed(format!("{exercise}: {passed}")))
}

fn as_i64(v: AnyValue<'_>) -> Option<i64> {
    match v {
        AnyValue::Int8(x) => Some(x.into()),
        AnyValue::Int16(x) => Some(x.into()),
        AnyValue::Int32(x) => Some(x.into()),
        AnyValue::Int64(x) => Some(x),
        AnyValue::UInt8(x) => Some(x.into()),
        AnyValue::UInt16(x) => Some(x.into()),
        AnyValue::UInt32(x) => Some(x.into()),
        AnyValue::UInt64(x) => i64::try_from(x).ok(),
        _ => None,
    }
}

fn ints(df: &DataFrame, col: &str) -> Vec<i64> {
    df.column(col).map(|c| (0..c.len()).filter_map(|i| c.get(i).ok().and_then(as_i64)).collect()).unwrap_or_default()
}

fn strs(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .map(|c| (0..c.len()).filter_map(|i| c.get(i).ok().and_then(|v| v.get_str().map(str::to_string))).collect())
        .unwrap_or_default()
}

/// Exercise 1: `category_copy` exists with `category_id` (integer), `name` (VARCHAR(25)), `last_update` (TIMESTAMP).
pub fn lab1_ex1(db: &Db) -> Result<Passed> {
    let hint = "CREATE TABLE category_copy (category_id INTEGER, name VARCHAR(25), last_update TIMESTAMP)";
    let cols = db.describe("category_copy").map_err(|e| e.hint(hint))?;
    let got: Vec<String> =
        strs(&cols, "column").into_iter().zip(strs(&cols, "type")).map(|(c, t)| format!("{c} {t}")).collect();
    let want = ["category_id int(11)", "name varchar(25)", "last_update timestamp"];
    if got != want {
        return Err(fail("exercise 1", format!("{want:?}"), format!("{got:?}"), hint));
    }
    Ok(Passed("exercise 1: category_copy has the three columns".into()))
}

/// Exercise 2: title, length and release year of 4 films.
pub fn lab1_ex2(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 2",
        df,
        &["title", "length", "release_year"],
        4,
        "SELECT title, length, release_year FROM film LIMIT 4",
        "4 films with title, length and release year",
    )
}

/// Exercise 3: every column of `store`.
pub fn lab1_ex3(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 3",
        df,
        &["store_id", "manager_staff_id", "address_id", "last_update"],
        2,
        "SELECT * FROM store",
        "both stores, all columns",
    )
}

/// Exercise 4: name and email of the active staff.
pub fn lab1_ex4(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 4",
        df,
        &["first_name", "last_name", "email"],
        2,
        "SELECT first_name, last_name, email FROM staff WHERE active",
        "the 2 active staff members",
    )
}

fn category_copy(db: &Db) -> Result<(Vec<i64>, Vec<String>, Vec<String>)> {
    let df = db.query(
        "SELECT category_id, name, CAST(last_update AS CHAR) AS last_update FROM category_copy ORDER BY category_id",
    )?;
    Ok((ints(&df, "category_id"), strs(&df, "name"), strs(&df, "last_update")))
}

/// Exercise 5: three rows inserted into `category_copy`.
pub fn lab1_ex5(db: &Db, inserted: &[u64]) -> Result<Passed> {
    let hint = "INSERT INTO category_copy VALUES (1,'Horror','2006-02-15 09:46:27'), (10,'Animation',…), (20,'Pop',…)";
    let (ids, names, _) = category_copy(db)?;
    if inserted != [3] || ids != [1, 10, 20] || names != ["Horror", "Animation", "Pop"] {
        return Err(fail(
            "exercise 5",
            "[3] rows inserted: 1 Horror, 10 Animation, 20 Pop",
            format!("{inserted:?}: {ids:?} {names:?}"),
            hint,
        ));
    }
    Ok(Passed("exercise 5: 3 rows inserted".into()))
}

/// The rows each statement of a SQL cell changed, from what `%%sql name <<` kept (`statement`, `rows_affected`).
fn rows_affected(exercise: &str, kept: &DataFrame) -> Result<Vec<u64>> {
    let column = kept.column("rows_affected").and_then(|c| c.cast(&polars::prelude::DataType::UInt64));
    let counts: Option<Vec<u64>> =
        column.ok().and_then(|c| c.u64().ok().map(|c| c.iter().map(|n| n.unwrap_or(0)).collect()));
    counts.ok_or_else(|| {
        fail(
            exercise,
            "the counts a SQL cell keeps (columns statement, rows_affected)",
            format!("a table with columns {:?}", kept.get_column_names()),
            "run the statements in a cell that keeps their counts: `%%sql name <<` then the statements",
        )
    })
}

/// Exercise 6: the three UPDATEs (3, 1 and 1 rows), as the SQL cell kept them.
pub fn lab1_ex6(db: &Db, updated: &DataFrame) -> Result<Passed> {
    let updated = &rows_affected("exercise 6", updated)?[..];
    let hint = "three statements: set every last_update to '2020-09-12 08:00:00'; set category_id = 2 where name is \
                'Animation'; set name = 'Action' where category_id = 1";
    let (ids, names, stamps) = category_copy(db)?;
    let ok = updated == [3, 1, 1]
        && ids == [1, 2, 20]
        && names == ["Action", "Animation", "Pop"]
        && stamps.iter().all(|s| s == "2020-09-12 08:00:00");
    if !ok {
        return Err(fail(
            "exercise 6",
            "[3, 1, 1] rows changed: 1 Action, 2 Animation, 20 Pop, all at 2020-09-12 08:00:00",
            format!("{updated:?}: {ids:?} {names:?} {stamps:?}"),
            hint,
        ));
    }
    Ok(Passed("exercise 6: 3, 1 and 1 rows updated".into()))
}

/// Exercise 7: the row with `category_id` 20 deleted, as the SQL cell kept it.
pub fn lab1_ex7(db: &Db, deleted: &DataFrame) -> Result<Passed> {
    let deleted = &rows_affected("exercise 7", deleted)?[..];
    let hint = "DELETE FROM category_copy WHERE category_id = 20";
    let (ids, _, _) = category_copy(db)?;
    if deleted != [1] || ids != [1, 2] {
        return Err(fail("exercise 7", "[1] row deleted, ids [1, 2] left", format!("{deleted:?}, ids {ids:?}"), hint));
    }
    Ok(Passed("exercise 7: 1 row deleted".into()))
}

/// Exercise 8: aliases `film_title`, `film_length`, `film_release_year`, 10 rows.
pub fn lab1_ex8(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 8",
        df,
        &["film_title", "film_length", "film_release_year"],
        10,
        "SELECT title AS film_title, length AS film_length, release_year AS film_release_year FROM film LIMIT 10",
        "10 films under their new names",
    )
}

/// Exercise 9: city, address and district of 5 addresses (a join of address and city).
pub fn lab1_ex9(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 9",
        df,
        &["city", "address", "district"],
        5,
        "SELECT city, address, district FROM address JOIN city ON address.city_id = city.city_id LIMIT 5",
        "5 addresses with their city",
    )
}

/// Exercise 10: country, city and address of the active staff (three joins).
pub fn lab1_ex10(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 10",
        df,
        &["country", "city", "address"],
        2,
        "join address, staff, city and country; keep WHERE staff.active",
        "where the 2 active staff members live",
    )
}

/// Exercise 11: films per rating: 5 ratings, 1000 films in all.
pub fn lab1_ex11(df: &DataFrame) -> Result<Passed> {
    let hint = "SELECT rating, COUNT(film_id) AS films_count FROM film GROUP BY rating";
    expect_columns("exercise 11", df, &["rating", "films_count"], hint)?;
    expect_rows("exercise 11", df, 5, hint)?;
    let total: i64 = ints(df, "films_count").iter().sum();
    if total != 1000 {
        return Err(fail("exercise 11", "counts adding up to 1000 films", total, hint));
    }
    Ok(Passed("exercise 11: 5 ratings, 1000 films".into()))
}

/// Exercise 12: films per category, ascending: 16 categories, 1000 films.
pub fn lab1_ex12(df: &DataFrame) -> Result<Passed> {
    let hint = "join film, film_category and category; GROUP BY category.name ORDER BY films_count";
    expect_columns("exercise 12", df, &["category", "films_count"], hint)?;
    expect_rows("exercise 12", df, 16, hint)?;
    let counts = ints(df, "films_count");
    if counts.windows(2).any(|w| w[0] > w[1]) {
        return Err(fail("exercise 12", "counts in ascending order", format!("{counts:?}"), hint));
    }
    if counts.iter().sum::<i64>() != 1000 {
        return Err(fail("exercise 12", "counts adding up to 1000 films", counts.iter().sum::<i64>(), hint));
    }
    Ok(Passed("exercise 12: 16 categories, smallest first".into()))
}

// ---------------------------------------------------------------------------------------------------------------
// Lab 2: DynamoDB
// ---------------------------------------------------------------------------------------------------------------

/// Exercise 1: the four tables exist, ACTIVE, with the lab's keys.
pub fn lab2_ex1(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
    let want = [
        ("ProductCatalog", vec![("Id", "HASH", "N")]),
        ("Forum", vec![("Name", "HASH", "S")]),
        ("Thread", vec![("ForumName", "HASH", "S"), ("Subject", "RANGE", "S")]),
        ("Reply", vec![("Id", "HASH", "S"), ("ReplyDateTime", "RANGE", "S")]),
    ];
    let hint = "TableSpec::new(name).hash(\"Id\", \"N\").capacity(10, 5) — and .range(...) for Thread and Reply";
    for (table, keys) in want {
        let name = format!("{prefix}-{table}");
        let d = ddb.describe_table(&name).map_err(|e| e.hint(hint))?;
        let types: std::collections::HashMap<&str, &str> = d["AttributeDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| Some((a["AttributeName"].as_str()?, a["AttributeType"].as_str()?)))
            .collect();
        let got: Vec<(String, String, String)> = d["KeySchema"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                let n = k["AttributeName"].as_str().unwrap_or_default();
                (
                    n.to_string(),
                    k["KeyType"].as_str().unwrap_or_default().to_string(),
                    types.get(n).unwrap_or(&"").to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String, String)> =
            keys.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        if got != want || d["TableStatus"] != "ACTIVE" {
            return Err(fail(
                "exercise 1",
                format!("{name} keyed by {want:?}, ACTIVE"),
                format!("{got:?}, {}", d["TableStatus"]),
                hint,
            ));
        }
    }
    Ok(Passed("exercise 1: the four tables are ACTIVE with the lab's keys".into()))
}

fn expect_count(ddb: &Dynamo, exercise: &str, table: &str, n: i64, hint: &str) -> Result<()> {
    let got = ddb.scan_all(table, &serde_json::Value::Null)?.count.unwrap_or(0);
    if got != n {
        return Err(fail(exercise, format!("{n} items in {table}"), got, hint));
    }
    Ok(())
}

/// Exercise 2: ProductCatalog and Thread loaded item by item (8 and 3 items).
pub fn lab2_ex2(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
    let hint = "ddb.put_item(&table, &item, &json!({}))? inside the loop";
    expect_count(ddb, "exercise 2", &format!("{prefix}-ProductCatalog"), 8, hint)?;
    expect_count(ddb, "exercise 2", &format!("{prefix}-Thread"), 3, hint)?;
    Ok(Passed("exercise 2: 8 products and 3 threads, put one by one".into()))
}

/// Exercise 3: Reply and Forum loaded as batches (4 and 2 items), nothing left unprocessed.
pub fn lab2_ex3(ddb: &Dynamo, prefix: &str, reports: &[BatchReport]) -> Result<Passed> {
    let hint = "ddb.batch_write_file(dynamo::data_file(name), Progress::Print)? for Reply and Forum";
    expect_count(ddb, "exercise 3", &format!("{prefix}-Reply"), 4, hint)?;
    expect_count(ddb, "exercise 3", &format!("{prefix}-Forum"), 2, hint)?;
    let total: usize = reports.iter().map(BatchReport::total).sum();
    if total != 6 {
        return Err(fail("exercise 3", "6 items written by the two batch loads", total, hint));
    }
    Ok(Passed("exercise 3: 4 replies and 2 forums, written in batches".into()))
}

/// Exercise 4: a full scan of ProductCatalog.
pub fn lab2_ex4(r: &Response) -> Result<Passed> {
    let hint = "ddb.scan(&catalog, &json!({}))?";
    if r.count != Some(8) || r.scanned_count != Some(8) || r.items.len() != 8 {
        return Err(fail(
            "exercise 4",
            "Count 8, ScannedCount 8",
            format!("{:?}, {:?}", r.count, r.scanned_count),
            hint,
        ));
    }
    Ok(Passed("exercise 4: Count 8, ScannedCount 8".into()))
}

fn plain_items(r: &Response) -> Result<Vec<serde_json::Value>> {
    Ok(r.plain()?.as_array().cloned().unwrap_or_default())
}

/// Exercise 5: the product with Id 101.
pub fn lab2_ex5(r: &Response) -> Result<Passed> {
    let hint = "ddb.get_item(&catalog, &json!({\"Id\": {\"N\": \"101\"}}), &json!({}))?";
    let item = r.item()?;
    if item["Id"] != serde_json::json!(101) || item["ProductCategory"] != "Book" {
        return Err(fail("exercise 5", "the item with Id 101 (a book)", item, hint));
    }
    Ok(Passed("exercise 5: item 101".into()))
}

fn one_reply(exercise: &str, r: &Response, when: &str, hint: &str) -> Result<Passed> {
    let items = plain_items(r)?;
    let got: Vec<&str> = items.iter().filter_map(|i| i["ReplyDateTime"].as_str()).collect();
    if got != [when] || r.count != Some(1) || r.last_evaluated_key.is_none() {
        return Err(fail(
            exercise,
            format!("one reply from {when}, with a LastEvaluatedKey"),
            format!("{got:?}"),
            hint,
        ));
    }
    Ok(Passed(format!("{exercise}: the reply of {when}")))
}

/// Exercise 6: only the first reply to thread 1 (`Limit` 1, ascending).
pub fn lab2_ex6(r: &Response) -> Result<Passed> {
    one_reply("exercise 6", r, "2015-09-15T19:58:22.947Z", "add \"Limit\": 1 and \"ScanIndexForward\": true")
}

/// Exercise 7: only the latest reply to thread 1 (`Limit` 1, descending).
pub fn lab2_ex7(r: &Response) -> Result<Passed> {
    one_reply("exercise 7", r, "2015-09-22T19:58:22.947Z", "add \"Limit\": 1 and \"ScanIndexForward\": false")
}

fn colors(ddb: &Dynamo, prefix: &str) -> Result<serde_json::Value> {
    let key = serde_json::json!({"Id": {"N": "201"}});
    Ok(ddb.get_item(&format!("{prefix}-ProductCatalog"), &key, &serde_json::Value::Null)?.item()?["Color"].clone())
}

/// Exercise 8: two colours appended to bike 201.
pub fn lab2_ex8(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
    let got = colors(ddb, prefix)?;
    if got != serde_json::json!(["Red", "Black", "Blue", "Yellow"]) {
        return Err(fail(
            "exercise 8",
            "Color [Red, Black, Blue, Yellow]",
            got,
            "update_item on key {\"Id\": {\"N\": \"201\"}} with the kwargs above",
        ));
    }
    Ok(Passed("exercise 8: Blue and Yellow appended".into()))
}

/// Exercise 9: the two colours removed again.
pub fn lab2_ex9(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
    let got = colors(ddb, prefix)?;
    if got != serde_json::json!(["Red", "Black"]) {
        return Err(fail(
            "exercise 9",
            "Color [Red, Black]",
            got,
            "\"UpdateExpression\": \"REMOVE #Color[2], #Color[3]\"",
        ));
    }
    Ok(Passed("exercise 9: back to Red and Black".into()))
}

/// Exercise 10: the new reply deleted.
pub fn lab2_ex10(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
    let hint = "ddb.delete_item(&reply, &key, &json!({}))? with both key attributes";
    expect_count(ddb, "exercise 10", &format!("{prefix}-Reply"), 4, hint)?;
    Ok(Passed("exercise 10: the reply from User C is gone".into()))
}

/// Exercise 11: the transaction added the reply and counted it (Messages 5).
pub fn lab2_ex11(ddb: &Dynamo, prefix: &str) -> Result<Passed> {
    let hint = "ddb.transact_write(&actions, \"TRANSACTION1\")?";
    expect_count(ddb, "exercise 11", &format!("{prefix}-Reply"), 5, hint)?;
    let key = serde_json::json!({"Name": {"S": "Amazon DynamoDB"}});
    let messages =
        ddb.get_item(&format!("{prefix}-Forum"), &key, &serde_json::Value::Null)?.item()?["Messages"].clone();
    if messages != serde_json::json!(5) {
        return Err(fail("exercise 11", "Messages 5", messages, hint));
    }
    Ok(Passed("exercise 11: reply added and counted in one transaction".into()))
}

// ---------------------------------------------------------------------------------------------------------------
// Lab 3: S3
// ---------------------------------------------------------------------------------------------------------------

/// Exercise 1: the bucket exists.
pub fn lab3_ex1(s3: &S3, bucket: &str) -> Result<Passed> {
    let names = strs(&s3.list_buckets()?, "name");
    if !names.iter().any(|n| n == bucket) {
        return Err(fail(
            "exercise 1",
            format!("bucket {bucket}"),
            format!("buckets {names:?}"),
            "s3.create_bucket(&bucket)?",
        ));
    }
    Ok(Passed(format!("exercise 1: bucket {bucket} exists")))
}

/// The object at `key` has the size of the local lab file `file`.
fn same_size(s3: &S3, exercise: &str, bucket: &str, key: &str, file: &str, hint: &str) -> Result<()> {
    let want = std::fs::metadata(crate::s3::data_file(file)).map(|m| m.len()).unwrap_or(0);
    match s3.head(bucket, key) {
        Ok(info) if info.size == want => Ok(()),
        Ok(info) => Err(fail(exercise, format!("{key} of {want} bytes"), format!("{} bytes", info.size), hint)),
        Err(e) => Err(fail(exercise, format!("an object at {key}"), e.cause(), hint)),
    }
}

/// Exercise 2: the JSON record uploaded under `json/`.
pub fn lab3_ex2(s3: &S3, bucket: &str) -> Result<Passed> {
    let hint = "s3.upload_file(s3::data_file(ratings::JSON_PATH), &bucket, \"json/delivery-stream-one-record.json\")?";
    same_size(s3, "exercise 2", bucket, "json/delivery-stream-one-record.json", crate::ratings::JSON_PATH, hint)?;
    Ok(Passed("exercise 2: the JSON record is in json/".into()))
}

/// Exercise 3: the listing of the `json/` prefix.
pub fn lab3_ex3(listing: &DataFrame) -> Result<Passed> {
    let keys = strs(listing, "key");
    if keys != ["json/delivery-stream-one-record.json"] {
        return Err(fail(
            "exercise 3",
            "one key, json/delivery-stream-one-record.json",
            format!("{keys:?}"),
            "s3.list(&bucket, \"json/\")?",
        ));
    }
    Ok(Passed("exercise 3: json/ holds the record".into()))
}

/// Exercise 4: the first image uploaded to `images/logo.png`.
pub fn lab3_ex4(s3: &S3, bucket: &str) -> Result<Passed> {
    let hint = "s3.upload_file(s3::data_file(ratings::IMAGE_V1_PATH), &bucket, \"images/logo.png\")?";
    same_size(s3, "exercise 4", bucket, "images/logo.png", crate::ratings::IMAGE_V1_PATH, hint)?;
    Ok(Passed("exercise 4: the image is in images/".into()))
}

// ---------------------------------------------------------------------------------------------------------------
// Lab 4
// ---------------------------------------------------------------------------------------------------------------

/// Exercise 1: the /24 block of the lab VPC that holds the database's address.
pub fn lab4_ex1(block: &crate::net::Cidr) -> Result<Passed> {
    if block.to_string() != "10.0.2.0/24" {
        return Err(fail(
            "exercise 1",
            "10.0.2.0/24",
            block,
            "vpc.subnets(24)?.into_iter().find(|s| s.contains(db_ip)) — the /24 whose range holds 10.0.2.10",
        ));
    }
    Ok(Passed("exercise 1: 10.0.2.10 lies in 10.0.2.0/24 (256 addresses, 251 usable on AWS)".into()))
}

/// Exercise 2: working from the bastion in the database's VPC.
pub fn lab4_ex2(lab: &crate::lab4::Lab4) -> Result<Passed> {
    let client = lab.client()?;
    if client != crate::lab4::BASTION {
        return Err(fail("exercise 2", crate::lab4::BASTION, &client, "lab.use_client(lab4::BASTION)?"));
    }
    Ok(Passed(format!("exercise 2: working from {client}, in the database's VPC")))
}

/// Exercise 3: the database's security group admits the bastion's group on 5432 (and not the whole internet).
pub fn lab4_ex3(lab: &crate::lab4::Lab4) -> Result<Passed> {
    let hint = "lab.allow_tcp(lab4::DATABASE_GROUP, 5432, lab4::BASTION_GROUP)?";
    if let Err(b) = lab.reachability()? {
        return Err(fail("exercise 3", "the EC2 network to let the bastion reach the database", b, hint));
    }
    let net = lab.network()?;
    let open_to_all = net
        .security_groups
        .iter()
        .filter(|g| g.name == crate::lab4::DATABASE_GROUP)
        .flat_map(|g| &g.ingress)
        .any(|p| p.cidrs.iter().any(|c| c.prefix() == 0));
    if open_to_all {
        return Err(fail(
            "exercise 3",
            "a rule whose source is the bastion's security group",
            "a rule open to 0.0.0.0/0 (every address on the internet)",
            "works, but is the insecure choice: remove it in the console, or run `lab.reset()` and use the group",
        ));
    }
    Ok(Passed("exercise 3: TCP 5432 is allowed from the bastion's security group".into()))
}

/// Exercise 4: connected as the master user.
pub fn lab4_ex4(db: &Db) -> Result<Passed> {
    let df = db.query("SELECT current_user::text AS who, current_database()::text AS db")?;
    let got = (strs(&df, "who"), strs(&df, "db"));
    let want = (vec![crate::lab4::MASTER_USER.to_string()], vec![crate::lab4::DATABASE_NAME.to_string()]);
    if got != want {
        return Err(fail(
            "exercise 4",
            format!("{want:?}"),
            format!("{got:?}"),
            "Db::connect(&lab.database(&lab.ask_devops()?)?)?",
        ));
    }
    Ok(Passed(format!("exercise 4: connected as {} to {}", crate::lab4::MASTER_USER, crate::lab4::DATABASE_NAME)))
}

/// Exercise 5: the bucket policy lets the CSV be read (a download succeeds).
pub fn lab4_ex5(s3: &S3, bucket: &str) -> Result<Passed> {
    let hint = "s3.put_policy(lab.bucket(), &json!({...\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::BUCKET/csv/*\"...}))?";
    if let Err(e) = s3.get_bytes(bucket, crate::lab4::DATA_KEY) {
        return Err(fail("exercise 5", "the CSV to download", e.cause(), hint));
    }
    Ok(Passed("exercise 5: the bucket policy allows reading csv/".into()))
}

/// Exercise 6: every row of the CSV loaded.
pub fn lab4_ex6(db: &Db) -> Result<Passed> {
    let df = db.query("SELECT count(*)::bigint AS n FROM ratings_training")?;
    let n = match df.column("n").ok().and_then(|c| c.get(0).ok()) {
        Some(AnyValue::Int64(n)) => n,
        _ => -1,
    };
    if n != 2532 {
        return Err(fail(
            "exercise 6",
            "2532 rows in ratings_training",
            format!("{n} rows"),
            "db.copy_csv(\"ratings_training\", &local)?",
        ));
    }
    Ok(Passed("exercise 6: COPY 2532".into()))
}

/// One integer a query returns (its first row, column `n`), or an error naming the exercise.
fn lab5_number(exercise: &str, df: &DataFrame, column: &str) -> Result<i64> {
    df.value(0, column)?.as_i64().ok_or_else(|| {
        Error::new(ErrorKind::Input, format!("check {exercise}"), format!("no number in column {column}"))
            .hint("run acid::restock(&db)? and try again")
    })
}

/// The balances of alice and bob in lab 5's `account` table.
fn lab5_balances(db: &Db) -> Result<(i64, i64)> {
    let df = db.query(
        "SELECT CAST(SUM(CASE WHEN owner = 'alice' THEN balance END) AS SIGNED) AS alice, \
         CAST(SUM(CASE WHEN owner = 'bob' THEN balance END) AS SIGNED) AS bob FROM account",
    )?;
    Ok((lab5_number("the balances", &df, "alice")?, lab5_number("the balances", &df, "bob")?))
}

/// Lab 5, exercise 1: 30 moved from alice to bob in one transaction (from 100 and 50).
pub fn lab5_ex1(db: &Db) -> Result<Passed> {
    let (alice, bob) = lab5_balances(db)?;
    if (alice, bob) != (70, 80) {
        return Err(fail(
            "exercise 1",
            "alice 70 and bob 80",
            format!("alice {alice} and bob {bob}"),
            "db.transaction(&[debit alice 30, credit bob 30])? — after acid::restock(&db)? if you ran it twice",
        ));
    }
    Ok(Passed("exercise 1: 30 moved in one transaction; the total is still 150".into()))
}

/// Lab 5, exercise 2: a rule that refuses a purchase of fewer than one copy.
pub fn lab5_ex2(db: &Db) -> Result<Passed> {
    let hint = "ALTER TABLE purchase ADD CONSTRAINT quantity_positive CHECK (quantity >= 1)";
    let zero = "INSERT INTO purchase (customer_id, product_id, quantity) VALUES (1, 1, 0)";
    match db.execute(zero) {
        Ok(_) => {
            db.execute("DELETE FROM purchase WHERE quantity < 1")?;
            return Err(fail("exercise 2", "a purchase of 0 copies refused", "it was stored", hint));
        }
        Err(e) if !e.cause().to_lowercase().contains("constraint") => {
            return Err(fail("exercise 2", "a CHECK constraint's refusal", e.cause(), hint));
        }
        Err(_) => {}
    }
    let one = db.transaction(&[
        "INSERT INTO purchase (customer_id, product_id, quantity) VALUES (1, 1, 1)",
        "DELETE FROM purchase WHERE customer_id = 1 AND product_id = 1 AND quantity = 1",
    ]);
    if let Err(e) = one {
        return Err(fail("exercise 2", "a purchase of 1 copy accepted", e.cause(), "the rule is quantity >= 1"));
    }
    Ok(Passed("exercise 2: the table refuses a purchase of 0 copies and takes one of 1".into()))
}

/// Lab 5, exercise 3: `read` is a read that makes a read-modify-write safe (no lost update) on product 2.
pub fn lab5_ex3(db: &Db, read: &str) -> Result<Passed> {
    db.execute("UPDATE product SET stock = 10 WHERE id = 2")?;
    let (a, b) = (db.session("check A")?, db.session("check B")?);
    let sell = |s: &crate::sql::Session, seen: i64| {
        s.execute(&format!("UPDATE product SET stock = {} WHERE id = 2", seen - 1))
    };
    a.begin()?;
    let seen_a = lab5_number("exercise 3", &a.query(read)?, "stock")?;
    b.begin()?;
    b.submit(read)?;
    let waited = b.busy();
    sell(&a, seen_a)?;
    a.commit()?;
    let seen_b = lab5_number("exercise 3", &b.wait()?, "stock")?;
    sell(&b, seen_b)?;
    b.commit()?;
    let stock = lab5_number("exercise 3", &db.query("SELECT stock FROM product WHERE id = 2")?, "stock")?;
    if stock != 8 {
        return Err(fail(
            "exercise 3",
            "stock 8 after two sales from 10",
            format!("stock {stock}: B read {seen_b} before A's sale was committed, and wrote over it"),
            "lock the row as you read it: SELECT stock FROM product WHERE id = 2 FOR UPDATE",
        ));
    }
    let how = if waited { "B's read waited for A's lock" } else { "B read after A" };
    Ok(Passed(format!("exercise 3: two sales, stock 10 → 8, no update lost ({how})")))
}

/// Lab 5, exercise 4: `take_one` takes the last copy of product 3 in exactly one of two racing sessions.
pub fn lab5_ex4(db: &Db, take_one: &str) -> Result<Passed> {
    let hint = "UPDATE product SET stock = stock - 1 WHERE id = 3 AND stock > 0";
    db.execute("UPDATE product SET stock = 1 WHERE id = 3")?;
    let (a, b) = (db.session("check A")?, db.session("check B")?);
    a.begin()?;
    let won_a: u64 = a.execute(take_one)?.iter().sum();
    b.begin()?;
    b.submit(take_one)?;
    a.commit()?;
    let b_result = b.wait();
    b.commit()?;
    let won_b = match b_result {
        Ok(df) => lab5_number("exercise 4", &df, "rows_affected")?,
        Err(e) => return Err(fail("exercise 4", "the second buyer to get 0 rows", e.cause(), hint)),
    };
    let stock = lab5_number("exercise 4", &db.query("SELECT stock FROM product WHERE id = 3")?, "stock")?;
    if (won_a, won_b, stock) != (1, 0, 0) {
        return Err(fail(
            "exercise 4",
            "buyer A takes the copy (1 row), buyer B gets 0 rows, stock 0",
            format!("A {won_a} row(s), B {won_b} row(s), stock {stock}"),
            hint,
        ));
    }
    Ok(Passed("exercise 4: two buyers, one copy: exactly one got it, the stock stopped at 0".into()))
}

/// Lab 5, exercise 5: the weakest isolation level with neither dirty nor non-repeatable reads, in `session`.
pub fn lab5_ex5(session: &crate::sql::Session) -> Result<Passed> {
    let df = session
        .query("SELECT @@SESSION.tx_isolation AS level")
        .or_else(|_| session.query("SELECT @@SESSION.transaction_isolation AS level"))?;
    let level = df.value(0, "level")?.as_str().unwrap_or_default().replace('-', " ");
    if level != "REPEATABLE READ" {
        return Err(fail(
            "exercise 5",
            "REPEATABLE READ",
            &level,
            "READ COMMITTED still lets a second read see another session's commit; SERIALIZABLE is stronger \
             than needed: c.isolation(\"…\")?",
        ));
    }
    Ok(Passed("exercise 5: REPEATABLE READ — no dirty reads, and a row reads the same twice".into()))
}

/// Lab 5, exercise 6: 30 moved from alice to bob in DynamoDB (from 100 and 50), in one transaction.
pub fn lab5_ex6(ddb: &Dynamo) -> Result<Passed> {
    let balance = |owner: &str| -> Result<i64> {
        let r = ddb.get_item(
            crate::acid::DYNAMO_TABLE,
            &serde_json::json!({"owner": {"S": owner}}),
            &serde_json::json!({}),
        )?;
        Ok(r.item()?["balance"].as_i64().unwrap_or(-1))
    };
    let (alice, bob) = (balance("alice")?, balance("bob")?);
    if (alice, bob) != (70, 80) {
        return Err(fail(
            "exercise 6",
            "alice 70 and bob 80",
            format!("alice {alice} and bob {bob}"),
            "two Update actions in one ddb.transact_write, the first with ConditionExpression \"balance >= :amount\"",
        ));
    }
    Ok(Passed("exercise 6: 30 moved in one DynamoDB transaction".into()))
}

/// Compares each request's answers (the server's and the explainer's) with the one expected: `(action, key,
/// allowed)` on lab 6's bucket. An error names the first request that came out otherwise.
fn lab6_expect(
    exercise: &str,
    iam: &crate::iam::Iam,
    keys: &crate::iam::Credentials,
    want: &[(&str, &str, bool)],
    hint: &str,
) -> Result<()> {
    let bucket = crate::lab6::data_bucket(iam)?;
    let requests: Vec<(&str, &str, &str)> = want.iter().map(|(a, k, _)| (*a, bucket.as_str(), *k)).collect();
    let table = iam.compare(keys, &requests)?;
    let server = table.column_values("server")?;
    let explained = table.column_values("explained")?;
    for (i, (action, key, allowed)) in want.iter().enumerate() {
        let said = server[i].as_str().unwrap_or_default();
        if said.starts_with("allowed") != *allowed {
            let want = if *allowed { "allowed" } else { "denied" };
            return Err(fail(
                exercise,
                format!("{action} on {key} {want}"),
                format!("{said} — explained: {}", explained[i]),
                hint,
            ));
        }
    }
    Ok(())
}

/// Lab 6, exercise 1: `keys` are an access key of the user lab6-analyst, and they work.
pub fn lab6_ex1(iam: &crate::iam::Iam, keys: &crate::iam::Credentials) -> Result<Passed> {
    let who = iam.whoami(Some(keys))?;
    if !who.ends_with(&format!(":user/{}", crate::lab6::ANALYST)) {
        return Err(fail(
            "exercise 1",
            format!("keys of user {}", crate::lab6::ANALYST),
            &who,
            "iam.create_user(lab6::ANALYST)?, then iam.create_access_key(lab6::ANALYST)?",
        ));
    }
    Ok(Passed(format!("exercise 1: STS says these keys are {who}")))
}

/// Lab 6, exercise 2: the analyst reads through the group: list and get allowed, put still denied.
pub fn lab6_ex2(iam: &crate::iam::Iam, keys: &crate::iam::Credentials) -> Result<Passed> {
    let hint = "attach lab6::READ_POLICY's ARN to the group (attach_group_policy) and add the analyst to it (add_user_to_group)";
    lab6_expect(
        "exercise 2",
        iam,
        keys,
        &[
            ("s3:ListBucket", "", true),
            ("s3:GetObject", "raw/2024/orders.csv", true),
            ("s3:PutObject", "uploads/check.txt", false),
        ],
        hint,
    )?;
    let d = iam.explain(
        &keys.principal,
        "s3:GetObject",
        &crate::iam::s3_arn(&crate::lab6::data_bucket(iam)?, "raw/2024/orders.csv"),
    )?;
    if !d.why.contains(&format!("group {}", crate::lab6::READERS)) {
        return Err(fail(
            "exercise 2",
            format!("the read allowed through group {}", crate::lab6::READERS),
            &d.why,
            hint,
        ));
    }
    Ok(Passed("exercise 2: the group's policy lets the analyst list and read, and nothing more".into()))
}

/// Lab 6, exercise 3: the analyst may write under `uploads/` and nowhere else.
pub fn lab6_ex3(iam: &crate::iam::Iam, keys: &crate::iam::Credentials) -> Result<Passed> {
    let hint = "an Allow of s3:PutObject on the bucket's uploads/* (iam::s3_arn(&bucket, \"uploads/*\"))";
    lab6_expect(
        "exercise 3",
        iam,
        keys,
        &[("s3:PutObject", "uploads/report.txt", true), ("s3:PutObject", "raw/2024/forged.csv", false)],
        hint,
    )?;
    Ok(Passed("exercise 3: writes under uploads/ go through, writes elsewhere are still denied".into()))
}

/// Lab 6, exercise 4: an explicit deny keeps the analyst out of `secret/` although the group allows reading.
pub fn lab6_ex4(iam: &crate::iam::Iam, keys: &crate::iam::Credentials) -> Result<Passed> {
    let hint = "put_user_policy with {\"Effect\": \"Deny\", \"Action\": \"s3:GetObject\", \"Resource\": s3_arn(&bucket, \"secret/*\")}";
    lab6_expect(
        "exercise 4",
        iam,
        keys,
        &[("s3:GetObject", "secret/salaries.csv", false), ("s3:GetObject", "raw/2024/orders.csv", true)],
        hint,
    )?;
    let d = iam.explain(
        &keys.principal,
        "s3:GetObject",
        &crate::iam::s3_arn(&crate::lab6::data_bucket(iam)?, "secret/salaries.csv"),
    )?;
    if d.by != "explicit deny" {
        return Err(fail("exercise 4", "an explicit deny", &d.by, hint));
    }
    Ok(Passed("exercise 4: secret/ is denied explicitly, which beats the group's allow".into()))
}

/// Lab 6, exercise 5: `document` lets a pipeline read `raw/2024/` and nothing else. Tried for real on a user made
/// for the check (removed afterwards).
pub fn lab6_ex5(iam: &crate::iam::Iam, document: &serde_json::Value) -> Result<Passed> {
    let user = format!("{}check-pipeline", crate::lab6::PREFIX);
    let _ = iam.remove_all(&user);
    iam.create_user(&user)?;
    let outcome = (|| {
        iam.put_user_policy(&user, "pipeline", document)?;
        let keys = iam.create_access_key(&user)?;
        let hint = "one statement: Allow s3:GetObject on iam::s3_arn(&bucket, \"raw/2024/*\")";
        lab6_expect(
            "exercise 5",
            iam,
            &keys,
            &[
                ("s3:GetObject", "raw/2024/orders.csv", true),
                ("s3:GetObject", "raw/2023/orders.csv", false),
                ("s3:GetObject", "secret/salaries.csv", false),
                ("s3:PutObject", "raw/2024/forged.csv", false),
                ("s3:DeleteObject", "raw/2024/orders.csv", false),
                ("s3:ListAllMyBuckets", "", false),
            ],
            hint,
        )
    })();
    iam.remove_all(&user)?;
    outcome?;
    Ok(Passed("exercise 5: the pipeline reads raw/2024/ and nothing else — least privilege".into()))
}

/// Lab 6, exercise 6: `keys` are temporary credentials of the role lab6-pipeline.
pub fn lab6_ex6(iam: &crate::iam::Iam, keys: &crate::iam::Credentials) -> Result<Passed> {
    let who = iam.whoami(Some(keys))?;
    let hint = "iam.assume_role(&analyst_keys, &role_arn, \"nightly-load\", 900)?";
    if !who.contains(&format!(":assumed-role/{}/", crate::lab6::PIPELINE_ROLE)) || keys.session_token.is_none() {
        return Err(fail("exercise 6", format!("a session of role {}", crate::lab6::PIPELINE_ROLE), &who, hint));
    }
    let expires = keys.expires.as_deref().unwrap_or("?");
    Ok(Passed(format!("exercise 6: STS says these keys are {who}; they expire at {expires}")))
}

/// Lab 7, exercise 1: the queue `lab7::ORDERS` exists with a 2-second visibility timeout and holds three orders.
pub fn lab7_ex1(sqs: &crate::sqs::Sqs) -> Result<Passed> {
    let hint = "sqs.create_queue(lab7::ORDERS, 2)?, then sqs.send(lab7::ORDERS, …)? three times";
    let attrs = sqs.attributes(crate::lab7::ORDERS).map_err(|e| e.hint(hint))?;
    let timeout = attrs.get("VisibilityTimeout").cloned().unwrap_or_default();
    if timeout != "2" {
        return Err(fail("exercise 1", "a visibility timeout of 2 seconds", format!("{timeout:?}"), hint));
    }
    let counts = sqs.counts(crate::lab7::ORDERS)?;
    if counts.visible + counts.in_flight != 3 {
        return Err(fail("exercise 1", "3 messages in the queue", counts, hint));
    }
    Ok(Passed(format!("exercise 1: {} holds {counts}", crate::lab7::ORDERS)))
}

/// Lab 7, exercise 2: the three orders were received and deleted, and the queue is empty.
pub fn lab7_ex2(sqs: &crate::sqs::Sqs, processed: &crate::sqs::Messages) -> Result<Passed> {
    let hint = "receive the orders (sqs.receive(lab7::ORDERS, 10)?), then delete what you received (sqs.delete)";
    if processed.messages.len() != 3 || processed.queue != crate::lab7::ORDERS {
        let got = format!("{} message(s) from {}", processed.messages.len(), processed.queue);
        return Err(fail("exercise 2", format!("the 3 orders received from {}", crate::lab7::ORDERS), got, hint));
    }
    let counts = sqs.counts(crate::lab7::ORDERS)?;
    if counts != (crate::sqs::Counts { visible: 0, in_flight: 0 }) {
        return Err(fail("exercise 2", "an empty queue (nothing waiting, nothing in flight)", counts, hint));
    }
    Ok(Passed("exercise 2: three orders processed and deleted; none will come back".into()))
}

/// Lab 7, exercise 3: `lab7::ORDERS_DLQ` is the dead-letter queue of `lab7::ORDERS`, after two receives.
pub fn lab7_ex3(sqs: &crate::sqs::Sqs) -> Result<Passed> {
    use crate::lab7::{ORDERS, ORDERS_DLQ};
    let hint =
        "sqs.create_queue(lab7::ORDERS_DLQ, 30)?, then sqs.set_dead_letter_queue(lab7::ORDERS, lab7::ORDERS_DLQ, 2)?";
    let policy = sqs.attributes(ORDERS)?.get("RedrivePolicy").cloned().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&policy).unwrap_or_default();
    let target = v["deadLetterTargetArn"].as_str().unwrap_or_default().to_string();
    let max = v["maxReceiveCount"].to_string().trim_matches('"').to_string();
    if !target.ends_with(&format!(":{ORDERS_DLQ}")) || max != "2" {
        let want = format!("a redrive policy to {ORDERS_DLQ} after 2 receives");
        return Err(fail("exercise 3", want, if policy.is_empty() { "none".into() } else { policy }, hint));
    }
    Ok(Passed(format!("exercise 3: an order received twice without being deleted moves to {ORDERS_DLQ}")))
}

/// Lab 7, exercise 4: the five payments came out of the FIFO queue once each, in order.
pub fn lab7_ex4(received: &crate::sqs::Messages) -> Result<Passed> {
    let want: Vec<&str> = sourcelab_notebook::lab7::PAYMENT_EVENTS.iter().map(|(_, b)| *b).collect();
    let got = received.bodies();
    if got != want {
        let ids = |bodies: &[&str]| {
            bodies
                .iter()
                .map(|b| {
                    serde_json::from_str::<serde_json::Value>(b)
                        .ok()
                        .map_or("?".into(), |v| v["payment_id"].to_string())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let got: Vec<&str> = got.iter().map(String::as_str).collect();
        return Err(fail(
            "exercise 4",
            format!("the payments {}", ids(&want)),
            format!("{} message(s): {}", got.len(), ids(&got)),
            "send each payment with send_fifo(lab7::PAYMENTS, body, \"customer-42\", id) — the retry with the same id — then receive up to 10",
        ));
    }
    Ok(Passed("exercise 4: five payments, in order, the retried one delivered once".into()))
}

/// Lab 7, exercise 5: the stream `lab7::STREAM` exists with two shards.
pub fn lab7_ex5(kinesis: &crate::kinesis::Kinesis) -> Result<Passed> {
    let hint = "kinesis.create_stream(lab7::STREAM, 2)?";
    let shards = kinesis.shards(crate::lab7::STREAM).map_err(|e| e.hint(hint))?;
    if shards.height() != 2 {
        return Err(fail("exercise 5", "2 shards", shards.height(), hint));
    }
    let hours = kinesis.retention_hours(crate::lab7::STREAM)?;
    Ok(Passed(format!("exercise 5: {} has 2 shards and keeps records for {hours} hours", crate::lab7::STREAM)))
}

/// Lab 7, exercise 6: `replay` holds every record of one shard after sequence number `after`, in order.
pub fn lab7_ex6(kinesis: &crate::kinesis::Kinesis, replay: &DataFrame, after: &str) -> Result<Passed> {
    let hint = "kinesis.shard_reader(lab7::STREAM, &shard, StartAt::AfterSequence(after.clone()))?.read(10_000)?";
    let text = strs;
    let shards = text(replay, "shard");
    let Some(shard) = shards.first() else {
        return Err(fail("exercise 6", "the records after the sequence number", "no records", hint));
    };
    if shards.iter().any(|s| s != shard) {
        return Err(fail("exercise 6", "records of one shard", "records of several shards", hint));
    }
    let all = kinesis.shard_reader(crate::lab7::STREAM, shard, crate::kinesis::StartAt::TrimHorizon)?.read(100_000)?;
    let sequences = text(&all, "sequence");
    let Some(at) = sequences.iter().position(|s| s == after) else {
        return Err(fail("exercise 6", format!("a sequence number of {shard}"), after, hint));
    };
    let want = &sequences[at + 1..];
    if text(replay, "sequence") != want {
        return Err(fail(
            "exercise 6",
            format!("the {} records after it", want.len()),
            format!("{} records", replay.height()),
            hint,
        ));
    }
    Ok(Passed(format!("exercise 6: replayed the {} records of {shard} after {after}", want.len())))
}

/// Lab 7, exercise 7: clicks per page over `clicks` — columns `page`, `clicks`, the most visited page first.
pub fn lab7_ex7(clicks: &DataFrame, per_page: &DataFrame) -> Result<Passed> {
    let hint = "clicks.sql(\"SELECT page, COUNT(*) AS clicks FROM self GROUP BY page ORDER BY clicks DESC\")?";
    expect_columns("exercise 7", per_page, &["page", "clicks"], hint)?;
    let mut want: Vec<(String, u64)> = Vec::new();
    for p in strs(clicks, "page") {
        match want.iter_mut().find(|(name, _)| *name == p) {
            Some(w) => w.1 += 1,
            None => want.push((p, 1)),
        }
    }
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let got: Vec<(String, u64)> = (0..per_page.height())
        .map(|i| {
            let page = per_page.column("page").ok().and_then(|c| c.get(i).ok().map(|v| v.str_value().to_string()));
            let n = per_page.column("clicks").ok().and_then(|c| c.get(i).ok().and_then(|v| v.extract::<u64>()));
            (page.unwrap_or_default(), n.unwrap_or(0))
        })
        .collect();
    let counts = |v: &[(String, u64)]| v.iter().map(|(p, n)| format!("{p} {n}")).collect::<Vec<_>>().join(", ");
    let same_counts = got.len() == want.len() && want.iter().all(|w| got.contains(w));
    if !same_counts {
        return Err(fail("exercise 7", counts(&want), counts(&got), hint));
    }
    if got.windows(2).any(|w| w[0].1 < w[1].1) {
        return Err(fail("exercise 7", "the most visited page first", counts(&got), "ORDER BY clicks DESC"));
    }
    Ok(Passed(format!("exercise 7: {} pages; the most visited is {} with {} clicks", got.len(), got[0].0, got[0].1)))
}

/// Lab 8: `answer` must hold the rows that `reference` (SQL over `source`, called `self`) gives: the same columns,
/// the same rows; in the same order where `ordered_by` names the column (and direction) the exercise sorts by.
fn lab8_same(
    exercise: &str,
    source: &DataFrame,
    answer: &DataFrame,
    reference: &str,
    ordered_by: Option<(&str, bool)>,
    hint: &str,
) -> Result<DataFrame> {
    let want = source.sql(reference)?;
    let names: Vec<String> = columns(&want);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    expect_columns(exercise, answer, &names, hint)?;
    let rows = |df: &DataFrame| -> Result<Vec<String>> {
        Ok(df.rows()?.as_array().cloned().unwrap_or_default().iter().map(|r| r.to_string()).collect())
    };
    let (mut got_rows, mut want_rows) = (rows(answer)?, rows(&want)?);
    let in_order = got_rows == want_rows;
    got_rows.sort();
    want_rows.sort();
    if got_rows != want_rows {
        let show = |r: &[String]| {
            if r.len() > 6 { format!("{} rows: {} …", r.len(), r[..6].join(", ")) } else { r.join(", ") }
        };
        return Err(fail(exercise, show(&want_rows), show(&got_rows), hint));
    }
    match ordered_by {
        None if !in_order => Err(fail(exercise, "the rows in log order", "another order", hint)),
        Some((col, desc)) => {
            let keys = ints(answer, col);
            let sorted = keys.windows(2).all(|w| if desc { w[0] >= w[1] } else { w[0] <= w[1] });
            if sorted {
                Ok(want)
            } else {
                Err(fail(exercise, format!("the rows ordered by {col}"), "another order", hint))
            }
        }
        None => Ok(want),
    }
}

/// Lab 8, exercise 1: every statement MariaDB ran (`Query` or `Execute`) that mentions `film`: `thread`, `argument`.
pub fn lab8_ex1(general: &DataFrame, answer: &DataFrame) -> Result<Passed> {
    let sql = "SELECT thread, argument FROM self WHERE command IN ('Query', 'Execute') AND argument LIKE '%film%'";
    let want = lab8_same("exercise 1", general, answer, sql, None, &format!("general.rows.sql(\"{sql}\")?"))?;
    if want.height() == 0 {
        return Err(fail(
            "exercise 1",
            "at least one statement about films",
            "none in this log",
            "run lab8::setup(&env) first: it queries the film table",
        ));
    }
    Ok(Passed(format!("exercise 1: {} statements about films, found in MariaDB's own log", want.height())))
}

/// Lab 8, exercise 2: PostgreSQL's refused passwords per user: `user`, `failures`, the most first.
pub fn lab8_ex2(postgres: &DataFrame, answer: &DataFrame) -> Result<Passed> {
    let sql = "SELECT \"user\", COUNT(*) AS failures FROM self WHERE severity = 'FATAL' AND message LIKE 'password authentication failed%' GROUP BY \"user\" ORDER BY failures DESC";
    let want = lab8_same(
        "exercise 2",
        postgres,
        answer,
        sql,
        Some(("failures", true)),
        "severity 'FATAL', messages starting 'password authentication failed', grouped by \"user\" (quoted: user is an SQL word)",
    )?;
    let total: i64 = ints(&want, "failures").iter().sum();
    Ok(Passed(format!("exercise 2: {total} refused passwords, for {} user(s)", want.height())))
}

/// Lab 8, exercise 3: the shop's requests per status code: `status`, `requests`, by status.
pub fn lab8_ex3(access: &DataFrame, answer: &DataFrame) -> Result<Passed> {
    let sql = "SELECT status, COUNT(*) AS requests FROM self GROUP BY status ORDER BY status";
    let want =
        lab8_same("exercise 3", access, answer, sql, Some(("status", false)), "GROUP BY status ORDER BY status")?;
    Ok(Passed(format!("exercise 3: {} status codes in the access log", want.height())))
}

/// Lab 8, exercise 4: failed logins per client: `client`, `failures`, the most first — the attacker on top.
pub fn lab8_ex4(auth: &DataFrame, answer: &DataFrame) -> Result<Passed> {
    let sql =
        "SELECT client, COUNT(*) AS failures FROM self WHERE outcome = 'failed' GROUP BY client ORDER BY failures DESC";
    let hint = "WHERE outcome = 'failed' GROUP BY client ORDER BY failures DESC";
    let want = lab8_same("exercise 4", auth, answer, sql, Some(("failures", true)), hint)?;
    let top = strs(&want, "client").first().cloned().unwrap_or_default();
    let n = ints(&want, "failures").first().copied().unwrap_or(0);
    Ok(Passed(format!("exercise 4: {top} failed {n} logins — far more than any shopper")))
}

/// Lab 8, exercise 5: every log's entries per level: `level`, `lines`, the most first.
pub fn lab8_ex5(all: &DataFrame, answer: &DataFrame) -> Result<Passed> {
    let sql = "SELECT level, COUNT(*) AS lines FROM self GROUP BY level ORDER BY lines DESC";
    let want = lab8_same("exercise 5", all, answer, sql, Some(("lines", true)), "GROUP BY level ORDER BY lines DESC")?;
    Ok(Passed(format!("exercise 5: {} levels over {} entries", want.height(), all.height())))
}
