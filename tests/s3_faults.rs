//! S3 transfers under faults a real server does not make on demand, injected by a small proxy between our client
//! and the stack's moto (the one fake this needs): a part that fails once, with a 500 or a dropped connection,
//! is sent again and the object is whole; a part that always fails ends in an error and an aborted upload — no
//! incomplete upload left; a download whose bytes were changed on the way is an error and leaves no file.

mod common;

use std::sync::Arc;

use common::proxy::{Act, Proxy, port_of};

use sourcelab::config::EnvFile;
use sourcelab::rentio::Rng;
use sourcelab::s3::S3;

/// The local stack's settings with S3 going through `proxy`.
fn env_through(proxy: &Proxy, dir: &std::path::Path) -> EnvFile {
    let local = common::stack().local_env_path();
    let mut text = std::fs::read_to_string(local).unwrap();
    text.push_str(&format!("\nAWS_ENDPOINT_URL_S3=http://127.0.0.1:{}\n", proxy.port));
    let path = dir.join("through-proxy.env");
    std::fs::write(&path, text).unwrap();
    EnvFile::load(&path).unwrap()
}

fn moto_port() -> u16 {
    let env = common::env();
    port_of(&env.aws().endpoint(sourcelab::config::Service::S3).unwrap())
}

/// A file of `len` seeded random bytes.
fn random_file(dir: &std::path::Path, name: &str, len: usize) -> std::path::PathBuf {
    let mut rng = Rng(len as u64);
    let bytes: Vec<u8> = (0..len.div_ceil(8)).flat_map(|_| rng.next_u64().to_le_bytes()).take(len).collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const MIB: usize = 1024 * 1024;

#[test]
fn a_part_that_fails_once_is_sent_again_and_one_that_always_fails_aborts_the_upload() {
    let dir = tempfile::tempdir().unwrap();
    let direct = S3::connect(&common::env()).unwrap();
    let bucket = "s3-faults-upload";
    direct.remove_bucket_if_exists(bucket).unwrap();
    direct.create_bucket(bucket).unwrap();
    let file = random_file(dir.path(), "big.bin", 20 * MIB);

    // Part 2 answers 500 the first time, part 3 loses its connection the first time.
    let flaky = Proxy::start(
        moto_port(),
        Arc::new(|what: &str, attempt: usize, _: &[u8]| match (what, attempt) {
            ("PUT part 2", 1) => Act::Fail,
            ("PUT part 3", 1) => Act::Drop,
            _ => Act::Forward,
        }),
    );
    let s3 = S3::connect(&env_through(&flaky, dir.path())).unwrap().with_parts(5 * MIB as u64, 2);
    let t = s3.upload_file(&file, bucket, "whole.bin").unwrap();
    assert_eq!(t.parts, 4);
    let seen = flaky.seen.lock().unwrap().clone();
    assert_eq!(
        (seen["PUT part 1"], seen["PUT part 2"], seen["PUT part 3"], seen["PUT part 4"]),
        (1, 2, 2, 1),
        "{seen:?}"
    );
    assert_eq!(direct.get_bytes(bucket, "whole.bin").unwrap(), std::fs::read(&file).unwrap(), "the object is whole");

    // Part 2 always answers 500: the SDK's attempts run out, the upload is aborted.
    let broken = Proxy::start(
        moto_port(),
        Arc::new(|what: &str, _, _: &[u8]| if what == "PUT part 2" { Act::Fail } else { Act::Forward }),
    );
    let s3 = S3::connect(&env_through(&broken, dir.path())).unwrap().with_parts(5 * MIB as u64, 2);
    let e = s3.upload_file(&file, bucket, "never.bin").unwrap_err().to_string();
    assert!(e.contains("never.bin") && e.contains("part 2") && e.contains("InternalError"), "{e}");
    assert!(broken.seen.lock().unwrap()["PUT part 2"] >= 2, "the part was tried again before giving up");
    assert_eq!(broken.seen.lock().unwrap().get("DELETE upload"), Some(&1), "the upload was aborted");
    assert_eq!(direct.incomplete_uploads(bucket).unwrap(), Vec::<String>::new(), "no incomplete upload left");
    assert!(direct.get_bytes(bucket, "never.bin").is_err(), "no object");
    direct.delete_bucket(bucket).unwrap();
}

#[test]
fn a_download_changed_on_the_way_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let direct = S3::connect(&common::env()).unwrap().with_parts(5 * MIB as u64, 2);
    let bucket = "s3-faults-download";
    direct.remove_bucket_if_exists(bucket).unwrap();
    direct.create_bucket(bucket).unwrap();
    let small = random_file(dir.path(), "small.bin", 100_000);
    let big = random_file(dir.path(), "big.bin", 12 * MIB);
    direct.upload_file(&small, bucket, "small.bin").unwrap();
    direct.upload_file(&big, bucket, "big.bin").unwrap();

    let corrupting = Proxy::start(
        moto_port(),
        Arc::new(|what: &str, _, _: &[u8]| if what == "GET" { Act::Corrupt } else { Act::Forward }),
    );
    let s3 = S3::connect(&env_through(&corrupting, dir.path())).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    for key in ["small.bin", "big.bin"] {
        let target = out.join(key);
        let e = s3.download_file(bucket, key, &target).unwrap_err().to_string();
        assert!(e.contains("do not match the object's checksum (ETag "), "{key}: {e}");
        assert!(!target.exists(), "{key}: a wrong file was left");
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "no partial file either");
    // The same downloads, unchanged: checked and written.
    for (key, original) in [("small.bin", &small), ("big.bin", &big)] {
        direct.download_file(bucket, key, out.join(key)).unwrap();
        assert_eq!(std::fs::read(out.join(key)).unwrap(), std::fs::read(original).unwrap());
    }
    direct.delete_bucket(bucket).unwrap();
}
