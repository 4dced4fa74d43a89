//! S3, object storage: buckets hold objects under keys; "folders" are only key prefixes.
//!
//! Clients come from the env file: with `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) set they talk to that
//! endpoint with path-style addressing (`http://host/bucket/key`), which local servers need; without it they
//! talk to real S3.

use polars::prelude::{Column, DataFrame};

use crate::config::EnvFile;
use crate::error::{Error, ErrorKind, Result};

/// An S3 client for the env file's settings.
pub async fn client(env: &EnvFile) -> aws_sdk_s3::Client {
    let aws = env.aws();
    let sdk = aws.sdk_config().await;
    let mut conf = aws_sdk_s3::config::Builder::from(&sdk);
    if let Some(ep) = aws.s3_endpoint() {
        conf = conf.endpoint_url(ep).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(conf.build())
}

/// Every bucket of the account, as a DataFrame (`name`, `created`).
pub async fn list_buckets(env: &EnvFile) -> Result<DataFrame> {
    let env = env.clone();
    crate::on_runtime(async move { list_buckets_here(&env).await }).await
}

async fn list_buckets_here(env: &EnvFile) -> Result<DataFrame> {
    let aws = env.aws();
    let out = client(env)
        .await
        .list_buckets()
        .send()
        .await
        .map_err(|e| Error::aws("list S3 buckets", aws.s3_endpoint(), e))?;
    let buckets = out.buckets();
    let names: Vec<String> = buckets.iter().map(|b| b.name().unwrap_or_default().to_string()).collect();
    let created: Vec<Option<String>> = buckets.iter().map(|b| b.creation_date().map(|d| d.to_string())).collect();
    DataFrame::new_infer_height(vec![Column::new("name".into(), names), Column::new("created".into(), created)])
        .map_err(|e| Error::new(ErrorKind::Input, "build the bucket table", e.to_string()))
}
