//! Errors: the one public [`Error`] type (defined in the notebook crate, so it crosses the notebook boundary
//! unchanged; see `sourcelab_notebook::error`), and the constructors for AWS SDK errors.
//!
//! A learner sees an error through its `Display` only, so every error says what failed (the operation and the
//! thing it touched), why in one line, and what to do next. The SDK's own error stays as `source()`.

pub use sourcelab_notebook::error::{Error, ErrorKind, Result};

/// [`aws`] as a `map_err` adapter: `.send().map_err(error::aws_fn("describe_vpcs", endpoint))`.
pub fn aws_fn<E, R>(
    what: String,
    endpoint: Option<&str>,
) -> impl FnOnce(aws_sdk_s3::error::SdkError<E, R>) -> Error + use<E, R>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let endpoint = endpoint.map(str::to_string);
    move |e| aws(what, endpoint.as_deref(), e)
}

/// An AWS service client of ours (SQS, Kinesis, IAM): [`AwsClient::run`] runs one SDK request on the library's
/// runtime, and its error names `what`, the endpoint and the service's code and message ([`aws`]), plus the
/// client's own hint.
pub(crate) trait AwsClient {
    /// The endpoint the env file names (`None`: AWS itself).
    fn endpoint(&self) -> Option<&str>;

    /// Adds what to do for this service's common errors (a queue or stream that does not exist).
    fn hint(&self, e: Error) -> Error {
        e
    }

    /// Runs `request` and waits for it.
    fn run<T, E, R>(
        &self,
        what: impl Into<String>,
        request: impl std::future::Future<Output = std::result::Result<T, aws_sdk_s3::error::SdkError<E, R>>> + Send,
    ) -> Result<T>
    where
        T: Send,
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        crate::block_on(request)?.map_err(|e| self.hint(aws(what, self.endpoint(), e)))
    }
}

/// Whether `url` points at this machine (`http://127.0.0.1:5000`, `http://localhost:…`, `[::1]`).
pub(crate) fn is_local_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|h| rest.starts_with(h))
}

/// Wraps an AWS SDK error (any service): the operation, the service's code and message, and a hint.
pub fn aws<E, R>(what: impl Into<String>, endpoint: Option<&str>, err: aws_sdk_s3::error::SdkError<E, R>) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_s3::error::SdkError;
    let what = what.into();
    let at = endpoint.map(|e| format!(" at {e}")).unwrap_or_default();
    let e = match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("error");
            let msg = se.err().message().unwrap_or("no message");
            Error::new(ErrorKind::Service, what, format!("{code}: {msg}"))
        }
        SdkError::DispatchFailure(d) => {
            let cause = if d.is_timeout() { "timed out" } else { "could not connect" };
            if endpoint.is_some_and(is_local_url) {
                // The labs' AWS on this machine is moto: name it, and what a restart means.
                Error::new(ErrorKind::Connect, what, format!("{cause}{at}: the local moto (the labs' S3, DynamoDB, IAM, EC2, SQS, Kinesis) is down"))
                    .hint("run `sourcelab up`: it starts what is down, and the clients you made work again without restarting the kernel (moto starts empty: run the lab's setup cells again)")
            } else {
                Error::new(ErrorKind::Connect, what, format!("{cause}{at}")).hint(
                    "check your network and AWS_REGION; with the local stack, `sourcelab status` / `sourcelab up`",
                )
            }
        }
        SdkError::TimeoutError(_) => Error::new(ErrorKind::Timeout, what, format!("no answer{at}")),
        other => Error::new(ErrorKind::Service, what, other.to_string())
            .hint("check AWS_REGION and the credentials in the env file"),
    };
    e.with_source(err)
}
