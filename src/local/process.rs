//! Small process tools for the local stack: find a program, spawn a daemon, check a pid, stop it, wait for a port.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// Whether this process runs as root (CI does; then missing packages are installed with apt).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Finds `program` on `PATH` or in `extra` folders (first match wins).
pub fn find_program(program: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain(extra.iter().cloned()).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// Finds `program`, installing Debian `package` with apt when missing and running as root.
pub fn require_program(program: &str, package: &str, extra: &[PathBuf]) -> Result<PathBuf> {
    if let Some(p) = find_program(program, extra) {
        return Ok(p);
    }
    if is_root() && find_program("apt-get", &[]).is_some() {
        apt_install(&[package])?;
        if let Some(p) = find_program(program, extra) {
            return Ok(p);
        }
    }
    Err(missing_program(program, package))
}

fn missing_program(program: &str, package: &str) -> Error {
    Error::new(ErrorKind::Setup, format!("find the program `{program}`"), "it is not installed")
        .hint(format!("install the Debian package: sudo apt-get install {package}"))
}

/// Runs `apt-get install -y` for `packages` (after one `apt-get update`), showing apt's output.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("sourcelab: installing {} with apt-get", packages.join(" "));
    let update = Command::new("apt-get").args(["update", "-qq"]).status();
    if let Err(e) = update {
        return Err(Error::new(ErrorKind::Setup, "run apt-get update", e.to_string()));
    }
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| Error::new(ErrorKind::Setup, "run apt-get install", e.to_string()))?;
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Setup,
            format!("install {} with apt-get", packages.join(" ")),
            format!("apt-get exited with {status}"),
        )
        .hint("run the same apt-get command by hand to see why"));
    }
    Ok(())
}

/// The `sourcelab` program (it runs lab 4's gateway, a class's private moto, a class's kernels): `$SOURCELAB_BIN` (set by the notebook kernel), this program
/// when it is `sourcelab`, or the `sourcelab` next to the build folder of a test binary.
pub fn sourcelab_bin() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("SOURCELAB_BIN").filter(|p| !p.is_empty()) {
        return Ok(p.into());
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::new(ErrorKind::Setup, "find the sourcelab program", e.to_string()))?;
    let exe = PathBuf::from(exe.to_string_lossy().trim_end_matches(" (deleted)"));
    let candidates = [Some(exe.clone()), exe.parent().and_then(|d| d.parent()).map(|d| d.join("sourcelab"))];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.file_name().is_some_and(|n| n == "sourcelab") && p.is_file())
        .ok_or_else(|| {
            Error::new(ErrorKind::Setup, "find the sourcelab program", "neither $SOURCELAB_BIN nor a built sourcelab")
                .hint("build it (cargo build --bin sourcelab) or set SOURCELAB_BIN to its path")
        })
}

/// Runs a command to completion; on failure the error names the command and shows its output's tail.
pub fn run(what: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(ErrorKind::Setup, what, format!("could not start {:?}: {e}", cmd.get_program())))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        let tail: Vec<&str> = text.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(Error::new(ErrorKind::Setup, what, format!("{} ({})", tail.join(" | "), out.status)))
    }
}

/// Starts `cmd` detached from this process (own process group, output appended to `log`) and returns its pid.
pub fn spawn_daemon(what: &str, cmd: &mut Command, log: &Path) -> Result<u32> {
    use std::os::unix::process::CommandExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| Error::io("open log file", log, e))?;
    let err_file = file.try_clone().map_err(|e| Error::io("open log file", log, e))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err_file)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::new(ErrorKind::Setup, what, format!("could not start {:?}: {e}", cmd.get_program())))?;
    Ok(child.id())
}

/// Whether a process with this pid runs and its command line mentions `program`.
pub fn is_running(pid: u32, program: &str) -> bool {
    let Some(p) = rustix::process::Pid::from_raw(pid as i32) else { return false };
    if rustix::process::test_kill_process(p).is_err() {
        return false;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        // Empty while the process is between `execve`'s old and new program (a kernel's `launch` becoming
        // `serve`), and for a zombie: which of the two, its state tells.
        Ok(cmdline) if cmdline.is_empty() => !is_gone(pid),
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains(program),
        Err(_) => true,
    }
}

/// Whether the pid is a zombie (exited, not yet reaped) or gone.
pub(crate) fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// Sends `signal` to `pid` and waits up to `timeout` for it to exit; then SIGKILL.
pub fn stop(pid: u32, signal: rustix::process::Signal, timeout: Duration) -> Result<()> {
    let Some(p) = rustix::process::Pid::from_raw(pid as i32) else { return Ok(()) };
    if rustix::process::kill_process(p, signal).is_err() {
        return Ok(()); // already gone
    }
    let start = Instant::now();
    while start.elapsed() < timeout {
        if is_gone(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
    Ok(())
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_answers(port: u16) -> bool {
    tcp_answers("127.0.0.1", port)
}

/// Whether something accepts TCP connections on `host`:`port` within a second.
pub fn tcp_answers(host: &str, port: u16) -> bool {
    use std::net::ToSocketAddrs;
    let Ok(addrs) = (host, port).to_socket_addrs() else { return false };
    addrs.into_iter().any(|a: SocketAddr| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
}

/// One HTTP/1.1 request to a server of ours on 127.0.0.1:`port` (moto, the class's hub): `headers` are whole
/// lines without the line end; the answer's status and body (a chunked body joined). `wait` bounds the connect
/// and each read. The services we start speak plain HTTP on loopback, which needs no HTTP client crate.
pub fn http_local(
    port: u16,
    method: &str,
    path: &str,
    headers: &[String],
    body: &str,
    wait: Duration,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), wait)?;
    stream.set_read_timeout(Some(wait))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .strip_prefix("HTTP/1.")
        .and_then(|h| h.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "the answer is not HTTP"))?;
    let chunked = head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding: chunked"));
    Ok((status, if chunked { dechunk(rest) } else { rest.to_string() }))
}

/// The body of a chunked HTTP answer.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// Whether 127.0.0.1:`port` is free to listen on.
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A port that is free now: `preferred` if it is, otherwise one the kernel picks.
pub fn free_port(preferred: Option<u16>) -> Result<u16> {
    if let Some(p) = preferred.filter(|p| port_is_free(*p)) {
        return Ok(p);
    }
    let l = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| Error::new(ErrorKind::Setup, "find a free TCP port on 127.0.0.1", e.to_string()))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::new(ErrorKind::Setup, "find a free TCP port on 127.0.0.1", e.to_string()))
}

/// Waits until `ready()` is true, the process `pid` dies, or `timeout` passes; errors name the log file.
pub fn wait_until(
    service: &str,
    pid: Option<u32>,
    log: &Path,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(pid) = pid.filter(|p| is_gone(*p)) {
            return Err(Error::new(
                ErrorKind::Setup,
                format!("start {service}"),
                format!("the process (pid {pid}) exited during start-up; last log lines: {}", log_tail(log, 3)),
            )
            .hint(format!("read the log: {}", log.display())));
        }
        if start.elapsed() >= timeout {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("start {service}"),
                format!("it did not answer within {} s", timeout.as_secs()),
            )
            .hint(format!("read the log: {}", log.display())));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The last `n` non-empty lines of a log file, joined with " | ".
pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// A random password of 24 URL-safe characters, from the kernel's random source.
pub fn random_password() -> Result<String> {
    use std::io::Read;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("read random bytes from", Path::new("/dev/urandom"), e))?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk("4\r\n[1, \r\n3\r\n2]\n\r\n0\r\n\r\n"), "[1, 2]\n");
    }

    #[test]
    fn a_service_that_never_answers_times_out_naming_its_log() {
        let log = Path::new("/tmp/sourcelab-test-never.log");
        let err = wait_until("NeverUp", None, log, Duration::from_millis(300), || false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        let shown = err.to_string();
        assert!(shown.starts_with("start NeverUp: it did not answer within 0 s"), "{shown}");
        assert!(shown.contains("/tmp/sourcelab-test-never.log"), "{shown}");
    }

    #[test]
    fn a_service_that_dies_during_start_up_shows_its_last_log_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("dies.log");
        let pid = spawn_daemon("start dier", Command::new("sh").args(["-c", "echo fatal: bad config; exit 3"]), &log)
            .unwrap();
        let err = wait_until("Dier", Some(pid), &log, Duration::from_secs(20), || false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Setup, "{err}");
        assert!(err.to_string().contains("fatal: bad config"), "{err}");
        assert!(err.to_string().contains(&log.display().to_string()), "{err}");
    }

    #[test]
    fn a_missing_program_names_its_debian_package() {
        let err = missing_program("surely-not-installed-xyz", "xyz-server");
        assert_eq!(err.kind(), ErrorKind::Setup);
        assert_eq!(
            err.to_string(),
            "find the program `surely-not-installed-xyz`: it is not installed\n  \
             hint: install the Debian package: sudo apt-get install xyz-server"
        );
    }

    #[test]
    fn free_port_skips_a_taken_one() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        assert!(!port_is_free(port));
        assert_ne!(free_port(Some(port)).unwrap(), port);
    }

    #[test]
    fn random_passwords_differ_and_need_no_quoting() {
        let (a, b) = (random_password().unwrap(), random_password().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 24);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
