//! The database's endpoint in lab 4: a TCP gateway in front of the private PostgreSQL that lets a client through
//! only when the VPC network described in moto's EC2 API would.
//!
//! moto stores VPCs, subnets, routes, security groups and network ACLs but moves no packets, so on its own a
//! missing security-group rule changes nothing. The gateway closes that gap. It reads the network (see
//! [`crate::vpc`]) within half a second of being told it changed (lab 4's helpers do), and every few seconds
//! anyway (for changes made with other tools), and decides whether the chosen client instance can reach the
//! database:
//!
//! * **blocked** — it stops accepting and shrinks its listen backlog to nothing, then fills that backlog with
//!   connections of its own. The kernel drops every further SYN, so a client's TCP handshake never completes and it
//!   times out — exactly what a client sees on AWS, where nothing ever answers "you are blocked".
//! * **open** — it accepts again, and every connection is forwarded byte for byte to PostgreSQL.
//!
//! Each accepted connection is checked once more against the newest model, with the client's real source port
//! (network ACLs are stateless: the reply to that port needs a rule too). A connection that fails this check is
//! held open and never forwarded, so the client waits and times out; nothing is ever forwarded while the model
//! blocks. Connections already forwarding stay up when the model changes, as established connections do on AWS.
//! No root rights, no iptables: only a listening socket.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::error::{Error, ErrorKind, Result};
use crate::vpc::{Block, Network};

/// How often the gateway looks whether its [`SceneSource`] says the scene changed (a cheap check).
pub const REFRESH: Duration = Duration::from_millis(500);
/// How often it reads the scene when nothing said it changed: reading means six EC2 calls to moto, which is
/// Python, so reading every half second kept moto busy for as long as the gateway ran.
pub const IDLE_REFRESH: Duration = Duration::from_secs(5);
/// The client port assumed when deciding whether to accept at all (Linux picks ephemeral ports from 32768).
pub const TYPICAL_CLIENT_PORT: u16 = 40000;
/// How long a connection that may not pass is held (never forwarded) before it is closed.
const HOLD: Duration = Duration::from_secs(120);
/// What the gateway logs, with its pid, once it listens.
pub const READY_LINE: &str = "gateway listening:";
/// The listen backlog while open.
const BACKLOG: i32 = 128;

/// What the gateway decides from: the network, which instance is the client, which host is the database.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The VPC network as EC2 describes it.
    pub network: Network,
    /// The name of the client instance currently in use.
    pub client: String,
    /// The name of the database's host (its network interface).
    pub database: String,
    /// The database's port as the security groups see it.
    pub port: u16,
}

impl Scene {
    /// `Ok` when the client may connect using `client_port`, else what blocks it.
    pub fn verdict(&self, client_port: u16) -> std::result::Result<(), Block> {
        let find = |name: &str| {
            self.network.host(name).ok_or_else(|| Block {
                place: crate::vpc::Place::InstancePlacement,
                reason: format!("no instance or interface named {name:?} in the EC2 model"),
                fix: "run `sourcelab lab4 setup` again, or pick an existing client".into(),
            })
        };
        self.network.connect(find(&self.client)?, find(&self.database)?, self.port, client_port)
    }
}

/// Where the gateway reads its [`Scene`] from (moto's EC2 API in the lab; a fixed one in tests of the gateway).
pub trait SceneSource: Send + Sync + 'static {
    /// Reads the current scene.
    fn read(&self) -> impl Future<Output = Result<Scene>> + Send;

    /// A cheap token that changes whenever the scene may have changed; the gateway reads the scene again when it
    /// does (and every [`IDLE_REFRESH`] regardless). A source without one is read every [`REFRESH`].
    fn stamp(&self) -> Option<u64> {
        None
    }
}

/// Shared between the refresher and the acceptor.
struct State {
    scene: Mutex<Option<Scene>>,
    /// Local addresses of the gateway's own backlog-filling connections.
    fillers: Mutex<HashSet<SocketAddr>>,
}

/// Serves `listener` forever, forwarding allowed connections to `upstream`. Logs each change of decision to
/// stderr (the gateway's log file when it runs as a daemon).
pub async fn serve(listener: TcpListener, upstream: SocketAddr, source: impl SceneSource) -> Result<()> {
    let local = listener.local_addr().map_err(|e| Error::new(ErrorKind::Io, "start the gateway", e.to_string()))?;
    let state = Arc::new(State { scene: Mutex::new(None), fillers: Mutex::new(HashSet::new()) });
    let (open_tx, open_rx) = watch::channel(false);
    let listener = Arc::new(listener);
    let mut fillers = block(&listener, local, &state)?;
    let acceptor = tokio::spawn(accept_loop(listener.clone(), upstream, state.clone(), open_rx));
    let mut open = false;
    let mut last_line = String::new();
    loop {
        let (decision, line) = match source.read().await {
            Ok(scene) => {
                let v = scene.verdict(TYPICAL_CLIENT_PORT);
                let line = match &v {
                    Ok(()) => format!("open: {} may connect to {}:{}", scene.client, scene.database, scene.port),
                    Err(b) => format!("blocked: {} cannot reach {}: {b}", scene.client, scene.database),
                };
                *state.scene.lock().unwrap_or_else(|p| p.into_inner()) = Some(scene);
                (v.is_ok(), line)
            }
            // moto unreachable: keep the last decision, say so once.
            Err(e) => (open, format!("could not read the EC2 model (keeping the last decision): {e}")),
        };
        if line != last_line {
            eprintln!("gateway {local}: {line}");
            last_line = line;
        }
        if decision != open {
            if decision {
                fillers.clear();
                rustix::net::listen(&*listener, BACKLOG)
                    .map_err(|e| Error::new(ErrorKind::Io, "open the gateway", e.to_string()))?;
                let _ = open_tx.send(true);
            } else {
                let _ = open_tx.send(false);
                fillers = block(&listener, local, &state)?;
            }
            open = decision;
        }
        let (read_at, stamp) = (std::time::Instant::now(), source.stamp());
        loop {
            if acceptor.is_finished() {
                return Err(Error::new(ErrorKind::Io, "run the gateway", "the acceptor stopped"));
            }
            tokio::time::sleep(REFRESH).await;
            if stamp.is_none() || source.stamp() != stamp || read_at.elapsed() >= IDLE_REFRESH {
                break;
            }
        }
    }
}

/// Shrinks the backlog to nothing and fills it with our own connections, so further SYNs are dropped. Returns the
/// filling connections, which must stay open while blocked.
///
/// With a backlog of 0, Linux queues one connection and drops the SYNs after it. Whether the queue is full is read
/// from the kernel (`/proc/net/tcp`), not guessed from a connect that timed out: on a loaded machine a loopback
/// handshake can take longer than any short timeout, and a queue left with room let a blocked client through.
fn block(listener: &TcpListener, local: SocketAddr, state: &State) -> Result<Vec<std::net::TcpStream>> {
    rustix::net::listen(listener, 0).map_err(|e| Error::new(ErrorKind::Io, "block the gateway", e.to_string()))?;
    let mut fillers = Vec::new();
    for _ in 0..40 {
        if accept_queue(local).is_some_and(|queued| queued >= 1) {
            return Ok(fillers);
        }
        if let Ok(s) = std::net::TcpStream::connect_timeout(&local, Duration::from_millis(250)) {
            if let Ok(addr) = s.local_addr() {
                state.fillers.lock().unwrap_or_else(|p| p.into_inner()).insert(addr);
            }
            fillers.push(s);
        }
    }
    Err(Error::new(ErrorKind::Io, "block the gateway", format!("the accept queue of {local} did not fill")))
}

/// How many connections wait in the accept queue of the listening socket at `local` (IPv4), as the kernel reports
/// it in `/proc/net/tcp` (the `rx_queue` column of a socket in state LISTEN); `None` when it is not found.
fn accept_queue(local: SocketAddr) -> Option<u64> {
    let SocketAddr::V4(v4) = local else { return None };
    let address = format!("{:08X}:{:04X}", u32::from_le_bytes(v4.ip().octets()), v4.port());
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (addr, state, queues) = (*fields.get(1)?, *fields.get(3)?, *fields.get(4)?);
        (addr == address && state == "0A").then(|| u64::from_str_radix(queues.split(':').nth(1)?, 16).ok())?
    })
}

async fn accept_loop(
    listener: Arc<TcpListener>,
    upstream: SocketAddr,
    state: Arc<State>,
    mut open: watch::Receiver<bool>,
) {
    loop {
        if !*open.borrow_and_update() {
            if open.changed().await.is_err() {
                return;
            }
            continue;
        }
        // A change to blocked wins over a connection ready at the same moment: that may be one of the fillers, and
        // accepting it would leave room in the queue.
        let accepted = tokio::select! {
            biased;
            _ = open.changed() => continue,
            a = listener.accept() => a,
        };
        let Ok((client, peer)) = accepted else { continue };
        if state.fillers.lock().unwrap_or_else(|p| p.into_inner()).remove(&peer) {
            continue; // one of our own backlog fillers: drop it
        }
        let verdict = state.scene.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|s| s.verdict(peer.port()));
        match verdict {
            Some(Ok(())) => {
                tokio::spawn(forward(client, upstream));
            }
            Some(Err(b)) => {
                eprintln!("gateway: holding {peer} without forwarding: {b}");
                tokio::spawn(async move {
                    tokio::time::sleep(HOLD).await;
                    drop(client);
                });
            }
            None => drop(client),
        }
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr) {
    match TcpStream::connect(upstream).await {
        Ok(mut server) => {
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
        Err(e) => eprintln!("gateway: cannot reach the database at {upstream}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway as a service of the local stack
// ---------------------------------------------------------------------------------------------------------------

use std::process::Command;

use super::{Service, ServiceStatus, Stack, process};

/// Starts the gateway (`sourcelab lab4 gateway`) in front of PostgreSQL's `upstream` port, unless ours runs.
pub fn ensure(stack: &Stack, prev: Option<Service>, upstream: u16) -> Result<Service> {
    if let Some(s) = prev.as_ref().filter(|s| s.pid.is_some_and(|p| process::is_running(p, "gateway"))) {
        return Ok(s.clone());
    }
    let port = process::free_port(prev.map(|s| s.port))?;
    let log = stack.logs_dir().join("gateway.log");
    let pid = process::spawn_daemon(
        "start the lab 4 gateway",
        Command::new(process::sourcelab_bin()?)
            .args(["lab4", "gateway", "--listen", &port.to_string(), "--upstream", &upstream.to_string()])
            .env("SOURCELAB_HOME", stack.home()),
        &log,
    )?;
    // It may start blocked, and then nothing can connect to it: wait for the line it logs once it listens.
    let ready = format!("{} pid {pid}", READY_LINE);
    process::wait_until("the lab 4 gateway", Some(pid), &log, Duration::from_secs(20), || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains(&ready))
    })?;
    Ok(Service::process(pid, port, log))
}

/// Stops the gateway we started.
pub fn stop(s: &Service) -> Result<Vec<String>> {
    super::stop_ours(s, "gateway", "lab 4 gateway", rustix::process::Signal::TERM, Duration::from_secs(5))
}

/// The gateway's row in the status table.
pub fn status(s: &Service) -> ServiceStatus {
    super::status_row("gateway", Some(s), |s| {
        let running = s.pid.is_some_and(|p| process::is_running(p, "gateway"));
        (format!("{}:{}", s.host, s.port), running, "lab 4: PostgreSQL behind the EC2 model's rules".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_listener_queues_one_filler_and_drops_every_later_syn() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let local = listener.local_addr().unwrap();
            assert_eq!(accept_queue(local), Some(0));
            let state = State { scene: Mutex::new(None), fillers: Mutex::new(HashSet::new()) };
            let fillers = block(&listener, local, &state).unwrap();
            assert!(!fillers.is_empty());
            assert_eq!(accept_queue(local), Some(1), "the queue is full");
            let late = std::net::TcpStream::connect_timeout(&local, Duration::from_millis(300));
            assert!(late.is_err(), "a client's handshake does not complete while blocked");
        });
    }
}
