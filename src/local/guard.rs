//! A learner's private moto on a shared server: moto behind a door only the learner's key opens.
//!
//! moto takes any key, and any user of a machine can connect to any port on 127.0.0.1. On a class server
//! (`sourcelab class`) that would let one learner read another's buckets and queues. So there the labs' moto runs
//! behind this guard ([`super::moto::PRIVATE_VAR`]):
//!
//! - moto listens on a Unix socket inside the learner's own labs folder, which only they can open (their home is
//!   `0700`);
//! - the guard listens on 127.0.0.1 and passes a connection on to moto only when its first request is signed with
//!   the learner's access key id (the `Credential=` of its `Authorization` header, or `X-Amz-Credential` of a
//!   presigned URL). The key id is random, and only the learner's env file (`0600`) and the guard's environment
//!   hold it. Anything else — another key, no key — gets AWS's answer to an unknown key (`InvalidAccessKeyId`,
//!   or `UnrecognizedClientException` from the JSON services; HTTP 403) and the connection is closed.
//!
//! Why not moto's own key checks (the IAM lab's moto uses them)? moto re-encodes a form body before it checks the
//! signature, and the Rust SDK encodes a space as `%20` where Python writes `+`: every EC2 call with a space in a
//! value (lab 4's security group descriptions) is refused as `AuthFailure`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};

use crate::error::{Error, ErrorKind, Result};

/// The environment variable the guard reads its key id from (never the command line: other users can read that).
pub const KEY_VAR: &str = "SOURCELAB_GUARD_KEY_ID";

/// The most bytes of a request's head the guard reads before it decides.
const HEAD_LIMIT: usize = 64 * 1024;

/// Runs the guard: `listen` on 127.0.0.1, moto at `socket`, admitting `key_id`. Returns when the listener fails.
pub async fn serve(listen: u16, socket: PathBuf, key_id: String) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", listen)).await.map_err(|e| {
        Error::new(ErrorKind::Setup, format!("start moto's guard on 127.0.0.1:{listen}"), e.to_string())
    })?;
    loop {
        let (client, _) = listener
            .accept()
            .await
            .map_err(|e| Error::new(ErrorKind::Setup, "accept a connection for moto", e.to_string()))?;
        let (socket, key_id) = (socket.clone(), key_id.clone());
        tokio::spawn(async move {
            let _ = pass(client, &socket, &key_id).await;
        });
    }
}

/// One connection: read the first request's head, check its key, then forward both ways.
async fn pass(mut client: TcpStream, socket: &Path, key_id: &str) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), client.read(&mut buf)).await??;
        if n == 0 || head.len() > HEAD_LIMIT {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head_text = String::from_utf8_lossy(&head);
    if key_of(&head_text).as_deref() != Some(key_id) {
        client.write_all(refusal(&head_text).as_bytes()).await?;
        return client.shutdown().await;
    }
    let mut moto = UnixStream::connect(socket).await?;
    moto.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut client, &mut moto).await?;
    Ok(())
}

/// The answer AWS gives a key it does not know, in the request's protocol: JSON for the services that name their
/// operation in `X-Amz-Target` (DynamoDB, Kinesis, SQS), S3's XML otherwise.
fn refusal(head: &str) -> String {
    let json = head.lines().any(|l| l.to_ascii_lowercase().starts_with("x-amz-target:"));
    let (kind, body) = if json {
        (
            "application/x-amz-json-1.0",
            r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
        )
    } else {
        (
            "application/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key \
             Id you provided does not exist in our records.</Message></Error>",
        )
    };
    format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The access key id a request's head is signed with: `Credential=KEY/…` in its Authorization header, or the
/// `X-Amz-Credential=KEY%2F…` of a presigned URL.
fn key_of(head: &str) -> Option<String> {
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.trim().eq_ignore_ascii_case("authorization") {
            let after = value.split("Credential=").nth(1)?;
            return after.split('/').next().map(|k| k.trim().to_string());
        }
    }
    let query = request_line.split(' ').nth(1)?.split_once('?')?.1;
    let credential = query.split('&').find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    let decoded = percent_encoding::percent_decode_str(credential).decode_utf8_lossy().into_owned();
    decoded.split('/').next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn the_key_id_comes_from_the_signature_or_the_presigned_url() {
        let signed = "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAME/20261205/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab\r\n\r\n";
        assert_eq!(key_of(signed).as_deref(), Some("AKIAME"));
        let presigned = "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAYOU%2F20261205%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=1 HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(key_of(presigned).as_deref(), Some("AKIAYOU"));
        assert_eq!(key_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), None);
    }
}
