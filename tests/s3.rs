//! S3 helpers against the stack's moto server: buckets, uploads and downloads below and above the multipart
//! threshold, listings with and without a delimiter across pages, versions and delete markers, policies and the
//! public access block, presigned URLs, CSV and SQL, a bucket deletion that leaves nothing behind, and bad input.

mod common;

use std::io::Write;

use aws_sdk_s3::types::ChecksumMode;
use base64::Engine as _;
use serde_json::json;
use sourcelab::ErrorKind;
use sourcelab::Progress;
use sourcelab::s3::{self, S3};

fn s3() -> S3 {
    S3::connect(&common::env()).unwrap().with_progress(Progress::Quiet)
}

/// A bucket name of its own per test, so tests can run side by side on one moto server.
fn bucket(test: &str) -> String {
    format!("t{}-{test}", std::process::id())
}

fn strs(df: &polars::prelude::DataFrame, col: &str) -> Vec<String> {
    let c = df.column(col).unwrap();
    (0..c.len()).map(|i| c.get(i).unwrap().get_str().unwrap_or("").to_string()).collect()
}

fn bools(df: &polars::prelude::DataFrame, col: &str) -> Vec<bool> {
    let c = df.column(col).unwrap();
    (0..c.len()).map(|i| matches!(c.get(i).unwrap(), polars::prelude::AnyValue::Boolean(true))).collect()
}

#[test]
fn lab_three_end_to_end() {
    let s3 = s3();
    let b = bucket("lab3");
    assert!(s3.create_bucket(&b).unwrap().contains(&b));
    assert!(strs(&s3.list_buckets().unwrap(), "name").contains(&b));
    assert_eq!(s3.list(&b, "").unwrap().height(), 0);

    // Structured, semi-structured and unstructured data under their prefixes.
    let csv = s3::data_file(sourcelab::ratings::CSV_PATH);
    let t = s3.upload_file(&csv, &b, "csv/ratings_ml_training_dataset.csv").unwrap();
    assert_eq!((t.bytes, t.parts), (std::fs::metadata(&csv).unwrap().len(), 1));
    s3.upload_file(s3::data_file(sourcelab::ratings::JSON_PATH), &b, "json/delivery-stream-one-record.json").unwrap();
    s3.upload_file(s3::data_file(sourcelab::ratings::IMAGE_V1_PATH), &b, "images/logo.png").unwrap();
    let top = s3.list_folder(&b, "").unwrap();
    assert_eq!(strs(&top, "key"), ["csv/", "images/", "json/"]);
    assert_eq!(strs(&top, "kind"), ["folder", "folder", "folder"]);
    assert_eq!(strs(&s3.list(&b, "csv/").unwrap(), "key"), ["csv/ratings_ml_training_dataset.csv"]);

    // Query the CSV: SQL over the object (what S3 Select did), and the same by filtering after download.
    let trains = s3
        .query_csv(
            &b,
            "csv/ratings_ml_training_dataset.csv",
            "SELECT * FROM s3object AS s WHERE s.\"productline\" = 'Trains' LIMIT 20",
        )
        .unwrap();
    assert!(trains.height() > 0 && trains.height() <= 20);
    assert!(strs(&trains, "productline").iter().all(|l| l == "Trains"));
    let all = s3.read_csv(&b, "csv/ratings_ml_training_dataset.csv").unwrap();
    assert_eq!((all.height(), all.width()), (sourcelab::ratings::RATING_ROWS, 13));

    // Download the JSON and read it; the same through get_json.
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("record.json");
    s3.download_file(&b, "json/delivery-stream-one-record.json", &local).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&local).unwrap()).unwrap();
    assert_eq!(v["browse_history"].as_array().unwrap().len(), 3);
    assert_eq!(s3.get_json(&b, "json/delivery-stream-one-record.json").unwrap(), v);

    // Public access: unblock, then a policy that lets everyone GET images/.
    s3.set_public_access_block(&b, false).unwrap();
    assert_eq!(s3.public_access_block(&b).unwrap()["BlockPublicPolicy"], false);
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{b}/images/*")}]});
    s3.put_policy(&b, &policy).unwrap();
    assert_eq!(s3.get_policy(&b).unwrap()["Statement"][0]["Resource"], policy["Statement"][0]["Resource"]);
    let url = s3.presigned_get(&b, "images/logo.png", 300).unwrap();
    assert!(url.contains("X-Amz-Signature") && url.contains("images/logo.png"), "{url}");

    // Versioning: the image uploaded before it has version "null"; a second upload makes a new latest version.
    assert!(s3.enable_versioning(&b).unwrap().ends_with("Enabled"));
    let v2 = s3.upload_file(s3::data_file(sourcelab::ratings::IMAGE_V2_PATH), &b, "images/logo.png").unwrap();
    assert!(v2.version_id.as_deref().is_some_and(|v| v != "null"), "{v2}");
    let versions = s3.versions(&b, "images/").unwrap();
    assert_eq!(versions.height(), 2);
    let ids = strs(&versions, "version_id");
    assert!(ids.contains(&"null".to_string()), "{ids:?}");
    assert_eq!(bools(&versions, "is_latest").iter().filter(|l| **l).count(), 1);
    let got = s3.get_bytes(&b, "images/logo.png").unwrap();
    assert_eq!(got, std::fs::read(s3::data_file(sourcelab::ratings::IMAGE_V2_PATH)).unwrap());

    // A delete in a versioned bucket adds a delete marker; the versions stay.
    s3.delete_object(&b, "images/logo.png").unwrap();
    let versions = s3.versions(&b, "images/").unwrap();
    assert_eq!(bools(&versions, "delete_marker").iter().filter(|d| **d).count(), 1);
    assert_eq!(s3.list(&b, "images/").unwrap().height(), 0);

    // Deleting the bucket removes every version and marker first, and then nothing is left.
    let emptied = s3.delete_bucket(&b).unwrap();
    assert_eq!((emptied.versions, emptied.delete_markers), (4, 1), "{emptied}");
    assert!(!strs(&s3.list_buckets().unwrap(), "name").contains(&b));
    let e = s3.list(&b, "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[test]
fn multipart_above_the_threshold_and_ranged_downloads() {
    let ranged = s3().with_parts(5 * 1024 * 1024, 3).with_ranged_downloads(true);
    let b = bucket("multipart");
    ranged.create_bucket(&b).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 18 MiB + 7 bytes: four 5 MiB parts, the last one short; content varies so a misplaced part shows.
    let size = 18 * 1024 * 1024 + 7;
    let data: Vec<u8> = (0..size).map(|i| (i * 7 + i / 4096) as u8).collect();
    let big = dir.path().join("big.bin");
    std::fs::File::create(&big).unwrap().write_all(&data).unwrap();
    let up = ranged.upload_file(&big, &b, "big/big.bin").unwrap();
    assert_eq!((up.bytes, up.parts), (size as u64, 4), "{up}");
    assert!(ranged.head(&b, "big/big.bin").unwrap().etag.unwrap().ends_with("-4\""));
    // Every part went up with its CRC-32, so the object carries S3's composite checksum: the CRC-32 of the parts'
    // CRC-32s (S3 adds "-4"; moto's HeadObject leaves the suffix out).
    let parts: Vec<u8> = data.chunks(5 * 1024 * 1024).flat_map(|p| crc32fast::hash(p).to_be_bytes()).collect();
    let expected = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(&parts).to_be_bytes());
    let sdk = ranged.sdk().unwrap();
    let head = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sdk.head_object().bucket(&b).key("big/big.bin").checksum_mode(ChecksumMode::Enabled).send())
        .unwrap();
    assert_eq!(head.checksum_crc32().map(|c| c.trim_end_matches("-4")), Some(expected.as_str()));
    let back = dir.path().join("back.bin");
    let down = ranged.download_file(&b, "big/big.bin", &back).unwrap();
    assert_eq!(down.parts, 4);
    assert!(std::fs::read(&back).unwrap() == data, "the downloaded bytes differ");
    // From a server on this machine (the stack's moto) the default is one stream.
    let whole = dir.path().join("whole.bin");
    let one = s3().download_file(&b, "big/big.bin", &whole).unwrap();
    assert_eq!(one.parts, 1, "{one}");
    assert!(std::fs::read(&whole).unwrap() == data, "the downloaded bytes differ");
    // Exactly at the threshold: one request each way.
    let small = dir.path().join("small.bin");
    std::fs::write(&small, vec![1u8; s3::MULTIPART_THRESHOLD as usize]).unwrap();
    assert_eq!(ranged.upload_file(&small, &b, "small.bin").unwrap().parts, 1);
    assert_eq!(ranged.download_file(&b, "small.bin", dir.path().join("small2.bin")).unwrap().parts, 1);
    ranged.delete_bucket(&b).unwrap();
}

#[test]
fn listings_follow_pages_and_group_by_delimiter() {
    let s3 = s3();
    let b = bucket("pages");
    s3.create_bucket(&b).unwrap();
    // More keys than one page (1000): 1,030 under logs/, in 3 "folders", plus one top-level object.
    for i in 0..1030 {
        s3.put_bytes(&b, &format!("logs/{}/{i:05}.txt", ["a", "b", "c"][i % 3]), vec![b'x'; i % 5]).unwrap();
    }
    s3.put_bytes(&b, "readme.txt", b"hi".to_vec()).unwrap();
    let all = s3.list(&b, "logs/").unwrap();
    assert_eq!(all.height(), 1030);
    let top = s3.list_folder(&b, "").unwrap();
    assert_eq!(strs(&top, "key"), ["logs/", "readme.txt"]);
    assert_eq!(strs(&top, "kind"), ["folder", "object"]);
    let logs = s3.list_folder(&b, "logs/").unwrap();
    assert_eq!(strs(&logs, "key"), ["logs/a/", "logs/b/", "logs/c/"]);
    assert_eq!(s3.list(&b, "logs/b/").unwrap().height(), 343);
    let emptied = s3.delete_bucket(&b).unwrap();
    assert_eq!(emptied.versions, 1031);
}

#[test]
fn bad_input_gets_clear_errors_and_leaves_no_partial_files() {
    let s3 = s3();
    let b = bucket("errors");
    let e = s3.create_bucket("Bad_Name").unwrap_err().to_string();
    assert!(e.contains("\"Bad_Name\"") && e.contains("lower-case"), "{e}");
    s3.create_bucket(&b).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A missing key: named, NotFound, and no file (or temporary file) left behind.
    let target = dir.path().join("out.csv");
    let e = s3.download_file(&b, "csv/missing.csv", &target).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains(&format!("s3://{b}/csv/missing.csv")), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left behind");
    // A missing bucket.
    let e = s3.get_bytes(&format!("{b}-nope"), "k").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // A local file that does not exist, and a folder that does not exist for a download.
    let e = s3.upload_file(dir.path().join("nope.csv"), &b, "k").unwrap_err();
    assert!(e.to_string().contains("nope.csv") && e.kind() == ErrorKind::NotFound, "{e}");
    s3.put_bytes(&b, "k", b"data".to_vec()).unwrap();
    let e = s3.download_file(&b, "k", dir.path().join("no/such/dir/k")).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    // A target that cannot be written (a folder where the file should go): nothing half-written.
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    let e = s3.download_file(&b, "k", dir.path().join("taken")).unwrap_err();
    assert!(e.to_string().contains("taken"), "{e}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, ["taken"], "only the folder remains");
    // A malformed policy is refused before sending, with the path of the problem.
    let e = s3.put_policy(&b, &json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})).unwrap_err();
    assert!(e.to_string().contains("$.Statement[0].Principal"), "{e}");
    s3.delete_bucket(&b).unwrap();
}
