//! The class's JupyterHub: installed into the class folder, configured from the roster, run in the background.
//!
//! `sourcelab class up` installs what the hub needs when it is missing (a Python venv made from the system's
//! `python3` with the pinned packages below, and the npm proxy `configurable-http-proxy`), writes
//! `jupyterhub_config.py` and starts `jupyterhub` as root with its pid recorded; `down` stops that pid (the hub
//! stops the proxy and every learner's server with it). Our own commands talk to the hub's REST API with a token
//! of the class's service `sourcelab` (in `api_token`, readable by root only).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::{Class, Learner};
use crate::error::{Error, ErrorKind, Result};
use crate::local::process;

/// What the hub adds to the labs' own Python packages (`kernel/requirements.txt`: JupyterLab, moto, ...), pinned.
pub const HUB_REQUIREMENTS: &[&str] =
    &["jupyterhub==6.1.1", "jupyterhub-firstuseauthenticator==1.1.1", "jupyterhub-idle-culler==2.0.0"];

/// The proxy, from the npm registry, pinned.
pub const PROXY: &str = "configurable-http-proxy@5.3.0";

/// How learners log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Each learner on the roster sets their password the first time they log in.
    FirstLogin,
    /// One workshop password for every learner on the roster (at least 8 characters; never printed).
    Shared(crate::config::Secret),
}

/// How the hub is started.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Address learners' browsers reach (`0.0.0.0` for every interface).
    pub ip: String,
    /// Port learners' browsers reach.
    pub port: u16,
    /// How learners log in.
    pub login: Login,
    /// A learner's server idle this long is stopped (their files stay).
    pub idle_limit: Duration,
    /// Accounts on the roster that are the hub's admins: the instructor's own demo server, with the right to
    /// open any learner's server (to help) and the hub's admin page.
    pub instructors: Vec<String>,
}

/// The hub as `up` left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    /// The hub's process.
    pub pid: u32,
    /// Where learners go: `http://IP:PORT/`.
    pub url: String,
    /// The port of the hub's REST API and login pages (the proxy's public port).
    pub port: u16,
}

/// A learner as the hub and the system see them now.
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    /// The learner.
    pub name: String,
    /// Their server runs (they are logged in and working).
    pub running: bool,
    /// When the hub last saw them (ISO 8601), if ever.
    pub last_activity: Option<String>,
    /// The notebooks with a running kernel in their server.
    pub notebooks: Vec<String>,
    /// Resident memory of every process of theirs, in MiB.
    pub memory_mib: u64,
}

impl Class {
    pub(crate) fn venv(&self) -> PathBuf {
        self.dir.join("venv")
    }

    fn hub_file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Installs the hub's venv and proxy into the class folder when they are missing or out of date.
    pub fn install_hub(&self) -> Result<()> {
        self.ensure_dir()?;
        let mut packages: Vec<&str> =
            crate::local::venv::REQUIREMENTS.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        packages.extend(HUB_REQUIREMENTS);
        let marker = self.venv().join("sourcelab-class.txt");
        let wanted = packages.join("\n");
        let python = self.venv().join("bin").join("python");
        if !(python.is_file() && std::fs::read_to_string(&marker).is_ok_and(|t| t.trim() == wanted)) {
            // The system's Python: a venv made from a Python under /root would not run for a learner.
            let system_python = ["/usr/bin/python3", "/usr/local/bin/python3"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    Error::new(ErrorKind::Setup, "make the class's Python venv", "no python3 in /usr/bin")
                        .hint("install the Debian packages python3 and python3-venv")
                })?;
            if !python.is_file() {
                process::run(
                    "make the class's Python venv",
                    Command::new(system_python).arg("-m").arg("venv").arg(self.venv()),
                )
                .map_err(|e| e.hint("install the Debian package python3-venv"))?;
            }
            eprintln!("sourcelab: installing JupyterHub and the labs' Python packages into {}", self.venv().display());
            process::run(
                "install JupyterHub into the class's venv",
                Command::new(&python)
                    .args(["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", "-q"])
                    .args(&packages),
            )
            .map_err(|e| e.hint("pip needs the package registry (PyPI) reachable; run it again"))?;
            std::fs::write(&marker, &wanted).map_err(|e| Error::io("write", &marker, e))?;
        }
        let chp = self.proxy_program();
        if !chp.is_file() {
            let npm = process::require_program("npm", "npm", &[])?;
            eprintln!("sourcelab: installing the hub's proxy ({PROXY}) into {}", self.dir.display());
            process::run(
                "install the hub's proxy",
                Command::new(npm)
                    .args(["install", "--silent", "--no-fund", "--no-audit", "--prefix"])
                    .arg(&self.dir)
                    .arg(PROXY),
            )
            .map_err(|e| {
                e.hint("npm needs the npm registry reachable; install Node.js and npm (Debian: nodejs npm)")
            })?;
        }
        Ok(())
    }

    fn proxy_program(&self) -> PathBuf {
        self.dir.join("node_modules").join(".bin").join("configurable-http-proxy")
    }

    /// The hub's API token (made on first use; root only).
    fn api_token(&self) -> Result<String> {
        let path = self.hub_file("api_token");
        if let Ok(t) = std::fs::read_to_string(&path)
            && !t.trim().is_empty()
        {
            return Ok(t.trim().to_string());
        }
        let token = process::random_password()?;
        crate::local::write_private(&path, &token)?;
        Ok(token)
    }

    /// The hub's configuration for the roster and `options`.
    fn hub_config(&self, options: &HubOptions, hub_port: u16, proxy_api_port: u16) -> Result<String> {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let p = |p: &Path| q(&p.to_string_lossy());
        let names: Vec<String> = self.learners()?.into_iter().map(|l| q(&l.name)).collect();
        let mut c = String::from("# Written by `sourcelab class up`: changes here are replaced at the next `up`.\n");
        let mut line = |s: String| {
            c.push_str(&s);
            c.push('\n');
        };
        line(format!("c.JupyterHub.bind_url = {}", q(&format!("http://{}:{}", options.ip, options.port))));
        line(format!("c.JupyterHub.hub_bind_url = {}", q(&format!("http://127.0.0.1:{hub_port}"))));
        line(format!("c.ConfigurableHTTPProxy.api_url = {}", q(&format!("http://127.0.0.1:{proxy_api_port}"))));
        line(format!("c.ConfigurableHTTPProxy.command = [{}]", p(&self.proxy_program())));
        line(format!(
            "c.JupyterHub.db_url = {}",
            q(&format!("sqlite:///{}", self.hub_file("jupyterhub.sqlite").display()))
        ));
        line(format!("c.JupyterHub.cookie_secret_file = {}", p(&self.hub_file("jupyterhub_cookie_secret"))));
        line(format!("c.Authenticator.allowed_users = set([{}])", names.join(", ")));
        let admins: Vec<String> = options.instructors.iter().map(|n| q(n)).collect();
        line(format!("c.Authenticator.admin_users = set([{}])", admins.join(", ")));
        match &options.login {
            Login::FirstLogin => {
                line("c.JupyterHub.authenticator_class = 'firstuseauthenticator.FirstUseAuthenticator'".into());
                line(format!("c.FirstUseAuthenticator.dbm_path = {}", p(&self.hub_file("passwords.dbm"))));
                line("c.FirstUseAuthenticator.create_users = False".into());
                line("c.FirstUseAuthenticator.min_password_length = 8".into());
            }
            Login::Shared(_) => {
                line("c.JupyterHub.authenticator_class = 'shared-password'".into());
                let file = p(&self.hub_file("shared_password"));
                line(format!("c.SharedPasswordAuthenticator.user_password = open({file}).read().strip()"));
            }
        }
        line("c.JupyterHub.spawner_class = 'localprocess'".into());
        let wrapper = self.shared_dir().join("bin").join("sourcelab");
        line(format!("c.Spawner.cmd = [{}, 'class', 'learner-server', '--']", p(&wrapper)));
        line(format!("c.Spawner.notebook_dir = {}", q(&format!("~/{}", super::LABS_FOLDER))));
        line("c.Spawner.default_url = '/lab'".into());
        line("import pwd".into());
        let env: Vec<String> = self.learner_env().iter().map(|(k, v)| format!("{}: {}", q(k), q(v))).collect();
        line(format!("c.Spawner.environment = {{{}}}", env.join(", ")));
        line(format!(
            "c.Spawner.environment['SOURCELAB_HOME'] = lambda spawner: pwd.getpwnam(spawner.user.name).pw_dir + '/{}'",
            super::LABS_FOLDER
        ));
        // The first login starts the learner's stack (databases initialised) before JupyterLab.
        line("c.Spawner.http_timeout = 120".into());
        line("c.Spawner.start_timeout = 180".into());
        // Stopping asks politely (SIGINT) and kills after `interrupt_timeout`: the learner's server must have time to
        // stop their stack, or their databases would be left running.
        line(format!("c.Spawner.interrupt_timeout = {}", super::learner::STOP_TIME.as_secs()));
        let culler = [
            self.venv().join("bin").join("python").to_string_lossy().into_owned(),
            "-m".into(),
            "jupyterhub_idle_culler".into(),
            format!("--timeout={}", options.idle_limit.as_secs().max(1)),
            format!("--cull-every={}", (options.idle_limit.as_secs() / 2).clamp(1, 300)),
        ];
        let culler: Vec<String> = culler.iter().map(|s| q(s)).collect();
        line(format!(
            "c.JupyterHub.services = [{{'name': 'sourcelab', 'api_token': open({}).read().strip()}}, {{'name': 'idle-culler', 'command': [{}]}}]",
            p(&self.hub_file("api_token")),
            culler.join(", ")
        ));
        line("c.JupyterHub.load_roles = [".into());
        line("  {'name': 'sourcelab-instructor', 'services': ['sourcelab'], 'scopes': ['admin:users', 'admin:servers', 'list:users', 'read:users', 'read:users:activity', 'access:servers']},".into());
        line("  {'name': 'idle-culler', 'services': ['idle-culler'], 'scopes': ['list:users', 'read:users:activity', 'read:servers', 'delete:servers']},".into());
        line("]".into());
        Ok(c)
    }

    /// Starts the hub in the background (installing it first when needed); a hub of this class already running
    /// is stopped and started again with the roster as it is now.
    pub fn up(&self, options: &HubOptions) -> Result<Hub> {
        self.install_hub()?;
        self.install_shared(&crate::home())?;
        if self.learners()?.is_empty() {
            return Err(Error::new(ErrorKind::Input, "start the class's hub", "the class has no learners yet")
                .hint("add them first: `sourcelab class add alice bob`"));
        }
        // An instructor logs in with an account of the class (`class add` first), as learners do.
        for name in &options.instructors {
            self.learner(name)?;
        }
        if let Login::Shared(password) = &options.login {
            if password.expose().chars().count() < 8 {
                return Err(Error::new(
                    ErrorKind::Input,
                    "set the workshop password",
                    "it is shorter than 8 characters",
                )
                .hint("choose a longer one"));
            }
            crate::local::write_private(&self.hub_file("shared_password"), password.expose())?;
        }
        self.down()?;
        if !process::port_is_free(options.port) {
            return Err(Error::new(
                ErrorKind::Setup,
                "start the class's hub",
                format!("port {} is already taken by another program", options.port),
            )
            .hint("pick another with `--port`, or stop what listens there (`ss -ltnp`)"));
        }
        self.api_token()?;
        let hub_port = process::free_port(None)?;
        let proxy_api_port = process::free_port(None)?;
        let config = self.hub_file("jupyterhub_config.py");
        crate::local::write_private(&config, &self.hub_config(options, hub_port, proxy_api_port)?)?;
        let log = self.hub_file("hub.log");
        let pid = process::spawn_daemon(
            "start the class's hub",
            Command::new(self.venv().join("bin").join("jupyterhub")).arg("-f").arg(&config).current_dir(&self.dir).env(
                "PATH",
                format!(
                    "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    self.venv().join("bin").display()
                ),
            ),
            &log,
        )?;
        std::fs::write(self.hub_file("hub.pid"), format!("{pid}\n{}\n", options.port))
            .map_err(|e| Error::io("write", &self.hub_file("hub.pid"), e))?;
        let port = options.port;
        process::wait_until("the class's hub", Some(pid), &log, Duration::from_secs(60), || {
            api(port, "GET", "/hub/api/", None, None).is_ok_and(|(s, _)| s == 200)
        })?;
        let host = if options.ip == "0.0.0.0" { "127.0.0.1" } else { options.ip.as_str() };
        Ok(Hub { pid, url: format!("http://{host}:{port}/"), port })
    }

    /// The hub `up` started, while it runs.
    pub fn hub(&self) -> Result<Option<Hub>> {
        let path = self.hub_file("hub.pid");
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
        let mut lines = text.lines();
        let (Some(Ok(pid)), Some(Ok(port))) =
            (lines.next().map(|l| l.trim().parse::<u32>()), lines.next().map(|l| l.trim().parse::<u16>()))
        else {
            return Ok(None);
        };
        if !process::is_running(pid, "jupyterhub") {
            return Ok(None);
        }
        Ok(Some(Hub { pid, url: format!("http://127.0.0.1:{port}/"), port }))
    }

    /// Stops the hub `up` started (it stops its proxy and the learners' servers); learners' files stay.
    pub fn down(&self) -> Result<Option<Hub>> {
        let Some(hub) = self.hub()? else { return Ok(None) };
        process::stop(hub.pid, rustix::process::Signal::TERM, Duration::from_secs(30))?;
        let _ = std::fs::remove_file(self.hub_file("hub.pid"));
        Ok(Some(hub))
    }

    /// The hub's REST API as the class's service: `(status, JSON body)`.
    pub fn hub_api(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let hub = self.hub()?.ok_or_else(|| {
            Error::new(ErrorKind::Setup, "reach the class's hub", "it is not running")
                .hint("start it with `sourcelab class up`")
        })?;
        let token = self.api_token()?;
        api(hub.port, method, path, Some(&token), body)
    }

    /// Every learner: logged in or not, last seen, notebooks open, memory.
    pub fn status(&self) -> Result<Vec<Seat>> {
        let learners = self.learners()?;
        let (code, users) = self.hub_api("GET", "/hub/api/users", None)?;
        if code != 200 {
            return Err(Error::new(
                ErrorKind::Service,
                "list the class's users on the hub",
                format!("HTTP {code}: {users}"),
            ));
        }
        let mut seats = Vec::new();
        for learner in learners {
            let user = users.as_array().and_then(|a| a.iter().find(|u| u["name"] == learner.name.as_str()));
            let running = user.is_some_and(|u| u["servers"][""]["ready"] == true);
            let notebooks = if running { self.open_notebooks(&learner.name) } else { Vec::new() };
            seats.push(Seat {
                name: learner.name.clone(),
                running,
                last_activity: user.and_then(|u| u["last_activity"].as_str()).map(str::to_string),
                notebooks,
                memory_mib: memory_of(&learner) / 1024,
            });
        }
        Ok(seats)
    }

    /// The notebooks with a kernel in `name`'s server (its sessions API, through the hub's proxy).
    fn open_notebooks(&self, name: &str) -> Vec<String> {
        let Ok((200, sessions)) = self.hub_api("GET", &format!("/user/{name}/api/sessions"), None) else {
            return Vec::new();
        };
        let mut paths: Vec<String> = sessions
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["path"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        paths.sort();
        paths
    }
}

/// Resident memory (KiB) of every process running as the learner's user.
pub fn memory_of(learner: &Learner) -> u64 {
    let Ok(procs) = std::fs::read_dir("/proc") else { return 0 };
    let mut total = 0;
    for entry in procs.flatten() {
        if !entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let field = |key: &str| status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1));
        if field("Uid:").and_then(|u| u.parse::<u32>().ok()) == Some(learner.uid) {
            total += field("VmRSS:").and_then(|k| k.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    total
}

/// One HTTP request to the hub on 127.0.0.1:`port`: `(status, JSON body or Null)`.
pub fn api(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Result<(u16, Value)> {
    let mut headers = vec!["Content-Type: application/json".to_string()];
    headers.extend(token.map(|t| format!("Authorization: token {t}")));
    let payload = body.map(Value::to_string).unwrap_or_default();
    let (status, text) =
        process::http_local(port, method, path, &headers, &payload, Duration::from_secs(60)).map_err(|e| {
            Error::new(ErrorKind::Connect, format!("{method} {path} on the class's hub (port {port})"), e.to_string())
                .hint("is the hub running? `sourcelab class status`")
        })?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}
