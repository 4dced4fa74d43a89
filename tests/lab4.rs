//! Lab 4 end to end against the real stack: each of the four problems fails the way it does on AWS (a TCP timeout
//! twice, PostgreSQL's authentication error, S3's 403), the doctor names the layer (and the EC2 rule), and each fix
//! is an API call that takes effect; then the CSV loads. Plus the gateway on its own: it never forwards a byte
//! while the model blocks.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sourcelab::ErrorKind;
use sourcelab::lab4::{self, Lab4};
use sourcelab::local::gateway::{self, Scene, SceneSource};
use sourcelab::sql::Db;
use sourcelab::vpc::Place;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(2);

fn failed_at(d: &sourcelab::doctor::Diagnosis) -> (&'static str, Option<ErrorKind>) {
    let f = d.failed().unwrap_or_else(|| panic!("expected a failure:\n{d}"));
    (f.name, f.kind)
}

/// Waits (up to `limit`) until the doctor gets past the TCP connect; returns how long it took.
fn until_tcp_passes(lab: &Lab4, cfg: &sourcelab::config::DbConfig, limit: Duration) -> Duration {
    let t = Instant::now();
    loop {
        let d = sourcelab::doctor::database(cfg, Duration::from_millis(300));
        if d.steps.iter().any(|s| s.name == "TCP connect" && s.ok) {
            return t.elapsed();
        }
        assert!(t.elapsed() < limit, "the fix did not take effect within {limit:?}:\n{d}\n{:?}", lab.reachability());
    }
}

#[test]
fn the_four_problems_fail_for_real_and_each_fix_works() {
    common::stack();
    let lab = Lab4::setup().unwrap_or_else(|e| panic!("{e}"));
    let (address, port) = lab.rds_endpoint().unwrap();
    assert!(address.starts_with("de-c2w1a1-rds."), "{address}");
    let given = lab.database(&lab.given_password()).unwrap();
    assert_eq!((given.host.as_str(), given.port), ("127.0.0.1", port));

    // 1. The external bastion is in another VPC: the handshake never completes.
    assert_eq!(lab.client().unwrap(), lab4::EXTERNAL_BASTION);
    let t = Instant::now();
    let d = lab.doctor(&given, LIMIT).unwrap();
    assert!(t.elapsed() < LIMIT * 3, "bounded: {:?}", t.elapsed());
    assert_eq!(d.steps.iter().find(|s| s.name == "TCP connect").map(|s| s.kind), Some(Some(ErrorKind::Timeout)), "{d}");
    let model = d.steps.iter().find(|s| s.name == "EC2 network").unwrap_or_else(|| panic!("{d}"));
    assert!(model.detail.starts_with("instance placement") && model.next[0].contains(lab4::BASTION), "{d}");

    // 2. The right VPC, but the database's security group has only its default rule: still a timeout.
    lab.use_client(lab4::BASTION).unwrap();
    let d = lab.doctor(&given, LIMIT).unwrap();
    assert_eq!(d.steps.iter().find(|s| s.name == "TCP connect").map(|s| s.kind), Some(Some(ErrorKind::Timeout)), "{d}");
    let block = lab.reachability().unwrap().unwrap_err();
    assert_eq!(block.place, Place::SecurityGroups);
    assert!(block.reason.contains(lab4::DATABASE_GROUP), "{block}");

    // The fix, straight through the EC2 API (as a learner's own script or the console would make it), takes effect
    // at the gateway's next idle read of the network: it is not told of the change, as lab 4's helpers tell it.
    let net = lab.network().unwrap();
    let id = |name: &str| net.security_groups.iter().find(|g| g.name == name).unwrap().id.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ec2 = aws_sdk_ec2::Client::new(&rt.block_on(lab.env().aws().sdk_config(sourcelab::config::Service::Ec2)));
    use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
    let rule = ec2
        .authorize_security_group_ingress()
        .group_id(id(lab4::DATABASE_GROUP))
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(id(lab4::BASTION_GROUP)).build())
                .build(),
        )
        .send();
    rt.block_on(rule).unwrap();
    until_tcp_passes(&lab, &given, gateway::IDLE_REFRESH + LIMIT);

    // 3. The password DevOps gave is no longer valid: PostgreSQL's own error.
    let d = lab.doctor(&given, LIMIT).unwrap();
    assert_eq!(failed_at(&d), ("authentication", Some(ErrorKind::Auth)), "{d}");
    let e = Db::connect(&given).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("password authentication failed"), "{e}");
    assert!(!e.to_string().contains(lab4::GIVEN_PASSWORD), "no password in errors: {e}");
    let cfg = lab.database(&lab.ask_devops().unwrap()).unwrap();
    assert!(lab.doctor(&cfg, LIMIT).unwrap().ok());
    let db = Db::connect(&cfg).unwrap();
    db.run_file(sourcelab::home().join("data/postgres/ratings_table.sql")).unwrap();

    // 4. The bucket policy denies GetObject: 403 until the policy allows csv/*.
    let s3 = sourcelab::s3::S3::connect(lab.env()).unwrap().with_progress(sourcelab::Progress::Quiet);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("ratings.csv");
    let e = s3.download_file(lab.bucket(), lab4::DATA_KEY, &local).unwrap_err();
    assert!(e.to_string().contains("(403) Forbidden") && e.kind() == ErrorKind::Auth, "{e}");
    assert!(!local.exists(), "nothing half-written");
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{}/csv/*", lab.bucket())}]});
    s3.put_policy(lab.bucket(), &allow).unwrap();
    s3.download_file(lab.bucket(), lab4::DATA_KEY, &local).unwrap();

    // The load: every row of the CSV.
    let copied = db.copy_csv("ratings_training", &local).unwrap();
    assert_eq!(copied, 2532);
    let n = db.query("SELECT count(*) AS n FROM ratings_training").unwrap();
    assert_eq!(n.column("n").unwrap().get(0).unwrap().to_string(), "2532");

    // Reset puts every problem back.
    let lab = lab.reset().unwrap();
    assert_eq!(lab.client().unwrap(), lab4::EXTERNAL_BASTION);
    assert_eq!(lab.reachability().unwrap().unwrap_err().place, Place::InstancePlacement);
}

/// A scene that blocks or allows at the flip of a switch.
struct Switch(Arc<AtomicBool>);

impl SceneSource for Switch {
    async fn read(&self) -> sourcelab::Result<Scene> {
        let mut scene = Scene { network: Default::default(), client: "c".into(), database: "db".into(), port: 5432 };
        if self.0.load(Ordering::SeqCst) {
            scene.network = open_network();
        }
        Ok(scene)
    }

    /// The switch's position: the gateway reads the scene again as soon as it flips.
    fn stamp(&self) -> Option<u64> {
        Some(self.0.load(Ordering::SeqCst).into())
    }
}

/// One subnet, a client and a database whose group admits the client.
fn open_network() -> sourcelab::vpc::Network {
    use sourcelab::vpc::*;
    let c = |s: &str| s.parse().unwrap();
    let all = Permission { protocol: "-1".into(), ports: (0, 0), cidrs: vec![c("0.0.0.0/0")], group_ids: vec![] };
    Network {
        vpcs: vec![Vpc { id: "vpc".into(), name: "vpc".into(), cidr: c("10.0.0.0/16") }],
        subnets: vec![Subnet { id: "s".into(), name: "s".into(), vpc_id: "vpc".into(), cidr: c("10.0.1.0/24") }],
        route_tables: vec![RouteTable {
            id: "rtb".into(),
            vpc_id: "vpc".into(),
            main: true,
            subnet_ids: vec![],
            routes: vec![Route { destination: c("10.0.0.0/16"), target: "local".into() }],
        }],
        security_groups: vec![SecurityGroup {
            id: "sg".into(),
            name: "sg".into(),
            vpc_id: "vpc".into(),
            ingress: vec![all.clone()],
            egress: vec![all],
        }],
        network_acls: vec![],
        peerings: vec![],
        hosts: vec![
            Host {
                name: "c".into(),
                ip: "10.0.1.5".parse().unwrap(),
                subnet_id: "s".into(),
                group_ids: vec!["sg".into()],
            },
            Host {
                name: "db".into(),
                ip: "10.0.1.6".parse().unwrap(),
                subnet_id: "s".into(),
                group_ids: vec!["sg".into()],
            },
        ],
    }
}

async fn try_connect(port: u16) -> Option<tokio::net::TcpStream> {
    tokio::time::timeout(Duration::from_millis(400), tokio::net::TcpStream::connect(("127.0.0.1", port)))
        .await
        .ok()?
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_never_forwards_while_the_model_blocks() {
    // The "database": an echo server that counts the connections it gets.
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = upstream.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let open = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(gateway::serve(listener, upstream_addr, Switch(open.clone())));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Blocked: no handshake completes, nothing reaches the database.
    for _ in 0..5 {
        assert!(try_connect(port).await.is_none(), "a connection got through while blocked");
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0);

    // Opened: within two seconds a connection goes through, and bytes come back unchanged.
    open.store(true, Ordering::SeqCst);
    let t = Instant::now();
    let mut conn = loop {
        if let Some(c) = try_connect(port).await {
            break c;
        }
        assert!(t.elapsed() < LIMIT, "the gateway did not open within {LIMIT:?}");
    };
    conn.write_all(b"ping").await.unwrap();
    let mut back = [0u8; 4];
    conn.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"ping");

    // Blocked again: the established connection stays (as on AWS), new ones time out and are never forwarded.
    open.store(false, Ordering::SeqCst);
    tokio::time::sleep(gateway::REFRESH * 3).await;
    let before = reached.load(Ordering::SeqCst);
    for _ in 0..5 {
        assert!(try_connect(port).await.is_none(), "a connection got through while blocked");
    }
    assert_eq!(reached.load(Ordering::SeqCst), before, "nothing forwarded while blocked");
    conn.write_all(b"pong").await.unwrap();
    conn.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"pong");
}
