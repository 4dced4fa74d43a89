//! A small HTTP proxy between our AWS clients and the stack's moto, for what a real server does not do on demand:
//! it counts every request by a label and lets a rule fail, drop, corrupt or answer it instead (the one fake the
//! tests need: AWS's own refusals that moto does not make, a 5xx, a dropped connection).
//!
//! A request's label is what it asks for: the action of a JSON-protocol call (`CreateQueue`, from
//! `X-Amz-Target`), of a query-protocol call (`CreateUser`, from the form's `Action=`), or for S3 the method with
//! the part (`PUT part 2`, `DELETE upload`, `GET`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What the proxy does with one request.
#[derive(Clone, PartialEq, Debug)]
pub enum Act {
    Forward,
    /// Answer 500 InternalError (S3's "try again").
    Fail,
    /// Read the request, then close the connection without an answer.
    Drop,
    /// Forward, then flip a byte of the answer's body.
    Corrupt,
    /// Answer this instead of the server: status, content type, body.
    Answer(u16, &'static str, String),
}

/// Decides what to do with the `attempt`-th request (from 1) of a label, given its body.
pub type Rule = dyn Fn(&str, usize, &[u8]) -> Act + Send + Sync;

/// A running proxy.
pub struct Proxy {
    pub port: u16,
    /// Requests seen, by label.
    pub seen: Arc<Mutex<HashMap<String, usize>>>,
}

impl Proxy {
    /// Starts a proxy in front of `127.0.0.1:upstream`.
    pub fn start(upstream: u16, rule: Arc<Rule>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let counts = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (rule, counts) = (rule.clone(), counts.clone());
                std::thread::spawn(move || serve(client, upstream, &*rule, &counts));
            }
        });
        Proxy { port, seen }
    }

    /// A proxy that forwards everything and only counts.
    pub fn counting(upstream: u16) -> Proxy {
        Proxy::start(upstream, Arc::new(|_: &str, _, _: &[u8]| Act::Forward))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests it has seen in all.
    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().values().sum()
    }

    /// How many requests of this label it has seen.
    pub fn count(&self, label: &str) -> usize {
        self.seen.lock().unwrap().get(label).copied().unwrap_or(0)
    }
}

/// The port of an `http://host:port` endpoint.
pub fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap()
}

fn label(head: &str, body: &[u8]) -> String {
    let line = head.lines().next().unwrap_or("");
    let method = line.split(' ').next().unwrap_or("");
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    if let Some(target) = header("x-amz-target") {
        return target.rsplit('.').next().unwrap_or_default().to_string();
    }
    if header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")) {
        let form = String::from_utf8_lossy(body);
        if let Some(action) = form.split('&').find_map(|p| p.strip_prefix("Action=")) {
            return action.to_string();
        }
    }
    let part = line.split(['?', '&', ' ']).find_map(|p| p.strip_prefix("partNumber="));
    match part {
        Some(n) => format!("{method} part {n}"),
        None if line.contains("uploadId=") => format!("{method} upload"),
        None => method.to_string(),
    }
}

/// One request per connection: read it, act, answer with `Connection: close`.
fn serve(mut client: TcpStream, upstream: u16, rule: &Rule, counts: &Mutex<HashMap<String, usize>>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let lower = head.to_ascii_lowercase();
    let length: usize =
        lower.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    if lower.contains("expect: 100-continue") {
        let _ = client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let mut body = vec![0u8; length];
    if client.read_exact(&mut body).is_err() {
        return;
    }
    let what = label(&head, &body);
    let attempt = {
        let mut c = counts.lock().unwrap();
        let n = c.entry(what.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let answer = |status: u16, reason: &str, content_type: &str, text: &str| {
        format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        )
    };
    let act = rule(&what, attempt, &body);
    match act {
        Act::Drop => {}
        Act::Fail => {
            let xml = "<Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>";
            let _ = client.write_all(answer(500, "Internal Server Error", "application/xml", xml).as_bytes());
        }
        Act::Answer(status, content_type, text) => {
            let _ = client.write_all(answer(status, "Injected", content_type, &text).as_bytes());
        }
        Act::Forward | Act::Corrupt => {
            let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
            let forwarded: String = head
                .split("\r\n")
                .filter(|l| {
                    let l = l.to_ascii_lowercase();
                    !l.starts_with("connection:") && !l.starts_with("expect:")
                })
                .collect::<Vec<_>>()
                .join("\r\n");
            let forwarded = forwarded.trim_end().to_string() + "\r\nConnection: close\r\n\r\n";
            if up.write_all(forwarded.as_bytes()).and_then(|_| up.write_all(&body)).is_err() {
                return;
            }
            let mut answer = Vec::new();
            let _ = up.read_to_end(&mut answer);
            if act == Act::Corrupt
                && let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n")
                && answer.len() > end + 4
            {
                answer[end + 4] ^= 0xff;
            }
            let _ = client.write_all(&answer);
        }
    }
}
