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
            Error::new(ErrorKind::Connect, what, format!("{cause}{at}"))
                .hint("is the local stack running? try `sourcelab status` / `sourcelab up`; for AWS check your network")
        }
        SdkError::TimeoutError(_) => Error::new(ErrorKind::Timeout, what, format!("no answer{at}")),
        other => Error::new(ErrorKind::Service, what, other.to_string())
            .hint("check AWS_REGION and the credentials in the env file"),
    };
    e.with_source(err)
}
