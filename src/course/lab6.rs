//! Lab 6's scenario: a data bucket on the IAM lab's moto (which enforces policies), and the names of the users,
//! group, role and policies the notebook makes — all starting with [`PREFIX`], so [`reset`] finds them.
//!
//! | what | name |
//! |---|---|
//! | data bucket | [`BUCKET`]: `raw/2024/`, `raw/2023/`, `curated/`, `secret/` objects |
//! | a person | user [`ANALYST`] |
//! | their team | group [`READERS`], with the managed policy [`READ_POLICY`] |
//! | a pipeline | role [`PIPELINE_ROLE`], assumed through STS |

use crate::config::EnvFile;
use crate::error::Result;
use crate::iam::Iam;
use crate::s3::S3;

pub use sourcelab_notebook::lab6::{ANALYST, BUCKET, OBJECTS, PIPELINE_ROLE, PREFIX, READ_POLICY, READERS};

/// Removes everything lab 6 made (users, groups, roles, policies, the data bucket), then creates the data bucket
/// with its objects again, as the administrator; the administrator's connection.
pub fn setup(env: &EnvFile) -> Result<Iam> {
    let iam = Iam::connect(env)?;
    clean(&iam)?;
    let s3 = S3::connect(&iam.env()?)?;
    s3.create_bucket(BUCKET)?;
    for key in OBJECTS {
        s3.put_bytes(BUCKET, key, format!("lab 6 object {key}\n").into_bytes())?;
    }
    Ok(iam)
}

fn clean(iam: &Iam) -> Result<Vec<String>> {
    let mut removed = iam.remove_all(PREFIX)?;
    let s3 = S3::connect(&iam.env()?)?;
    if let Some(emptied) = s3.remove_bucket_if_exists(BUCKET)? {
        removed.push(emptied.to_string());
    }
    Ok(removed)
}

/// Removes everything lab 6 made; what it removed.
pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
    clean(&Iam::connect(env)?)
}
