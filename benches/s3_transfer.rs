//! S3 transfers for benches/s3.sh: `s3_transfer <env file> big <file>` uploads the file and downloads it again;
//! `s3_transfer <env file> small <dir>` uploads every file of the folder and downloads them all. Prints
//! `sourcelab_<what> <rate>` lines (MB/s or objects/s); the script measures peak memory around the process.

use std::time::Instant;

use sourcelab::Progress;
use sourcelab::config::EnvFile;
use sourcelab::s3::S3;

fn main() -> sourcelab::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(env), Some(mode), Some(path)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: s3_transfer <env file> big|small <file|dir>");
        std::process::exit(2);
    };
    let s3 = S3::connect(&EnvFile::load(env)?)?.with_progress(Progress::Quiet);
    let bucket = format!("bench-sourcelab-{mode}");
    s3.remove_bucket_if_exists(&bucket)?;
    s3.create_bucket(&bucket)?;
    let out = tempfile_dir(&bucket);
    if mode == "big" {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        let start = Instant::now();
        s3.upload_file(path, &bucket, "big.bin")?;
        println!("sourcelab_upload_MB/s {:.1}", size / start.elapsed().as_secs_f64());
        let start = Instant::now();
        s3.download_file(&bucket, "big.bin", out.join("big.bin"))?;
        println!("sourcelab_download_MB/s {:.1}", size / start.elapsed().as_secs_f64());
    } else {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| sourcelab::Error::io("read", std::path::Path::new(path), e))?
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        let start = Instant::now();
        for f in &files {
            s3.upload_file(f, &bucket, &format!("small/{}", f.file_name().unwrap().to_string_lossy()))?;
        }
        println!("sourcelab_upload_objects/s {:.0}", files.len() as f64 / start.elapsed().as_secs_f64());
        let start = Instant::now();
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            s3.download_file(&bucket, &format!("small/{name}"), out.join(&name))?;
        }
        println!("sourcelab_download_objects/s {:.0}", files.len() as f64 / start.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_dir_all(&out);
    s3.delete_bucket(&bucket)?;
    Ok(())
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}
