//! Lab 6's scenario: a data bucket on the IAM lab's moto (which enforces policies), and the names of the users,
//! group, role and policies the notebook makes — all starting with [`PREFIX`], so [`reset`] finds them.
//!
//! | what | name |
//! |---|---|
//! | data bucket | [`data_bucket`]: `lab6-data-ACCOUNT-REGION`, objects under `raw/2024/`, `raw/2023/`, `curated/`, `secret/` |
//! | a person | user [`ANALYST`] |
//! | their team | group [`READERS`], with the managed policy [`READ_POLICY`] |
//! | a pipeline | role [`PIPELINE_ROLE`], assumed through STS |

use crate::config::EnvFile;
use crate::error::Result;
use crate::iam::Iam;
use crate::s3::S3;

pub use sourcelab_notebook::lab6::{ANALYST, BUCKET_PREFIX, OBJECTS, PIPELINE_ROLE, PREFIX, READ_POLICY, READERS};

/// Removes everything lab 6 made (users, groups, roles, policies, the data bucket), then creates the data bucket
/// with its objects again, as the administrator; the administrator's connection.
pub fn setup(env: &EnvFile) -> Result<Iam> {
    let iam = Iam::connect(env)?;
    clean(&iam)?;
    let s3 = S3::connect(&iam.env()?)?;
    let bucket = s3.account_bucket(BUCKET_PREFIX)?;
    s3.create_bucket(&bucket)?;
    for key in OBJECTS {
        s3.put_bytes(&bucket, key, format!("lab 6 object {key}\n").into_bytes())?;
    }
    Ok(iam)
}

/// The lab's data bucket, `lab6-data-ACCOUNT-REGION`: bucket names are shared by every AWS account, so the name
/// carries your account id ([`S3::account_bucket`]).
pub fn data_bucket(iam: &Iam) -> Result<String> {
    S3::connect(&iam.env()?)?.account_bucket(BUCKET_PREFIX)
}

fn clean(iam: &Iam) -> Result<Vec<String>> {
    let mut removed = iam.remove_all(PREFIX)?;
    let s3 = S3::connect(&iam.env()?)?;
    for bucket in s3.buckets_starting_with(&format!("{BUCKET_PREFIX}-"))? {
        if let Some(emptied) = s3.remove_bucket_if_exists(&bucket)? {
            removed.push(emptied.to_string());
        }
    }
    Ok(removed)
}

/// Removes everything lab 6 made; what it removed.
pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
    clean(&Iam::connect(env)?)
}
