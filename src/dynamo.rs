//! DynamoDB, a key-value and document store: tables of items, each found by its key.
//!
//! Clients come from the env file: with `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_DYNAMODB`) set they talk to that
//! endpoint, otherwise to real DynamoDB in `AWS_REGION`.

use crate::config::EnvFile;
use crate::error::{Error, Result};

/// A DynamoDB client for the env file's settings.
pub async fn client(env: &EnvFile) -> aws_sdk_dynamodb::Client {
    let aws = env.aws();
    let sdk = aws.sdk_config().await;
    let mut conf = aws_sdk_dynamodb::config::Builder::from(&sdk);
    if let Some(ep) = aws.dynamodb_endpoint() {
        conf = conf.endpoint_url(ep);
    }
    aws_sdk_dynamodb::Client::from_conf(conf.build())
}

/// The names of every table, following pagination to the end.
pub async fn list_tables(env: &EnvFile) -> Result<Vec<String>> {
    let env = env.clone();
    crate::on_runtime(async move { list_tables_here(&env).await }).await
}

async fn list_tables_here(env: &EnvFile) -> Result<Vec<String>> {
    let aws = env.aws();
    let client = client(env).await;
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let out = client
            .list_tables()
            .set_exclusive_start_table_name(start.take())
            .send()
            .await
            .map_err(|e| Error::aws("list DynamoDB tables", aws.dynamodb_endpoint(), e))?;
        names.extend(out.table_names().iter().cloned());
        match out.last_evaluated_table_name() {
            Some(last) => start = Some(last.to_string()),
            None => return Ok(names),
        }
    }
}
