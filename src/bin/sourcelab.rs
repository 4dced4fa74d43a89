//! The `sourcelab` command: start the local stack, install the Rust kernel, run the lab notebooks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sourcelab::class::{
    self, Class,
    hub::{HubOptions, Login},
};
use sourcelab::config::Secret;
use sourcelab::kernel::browser::BrowserOptions;
use sourcelab::kernel::{self, RunOptions};
use sourcelab::lab4::{self, Lab4};
use sourcelab::local::{STATUS_HEADER, Stack};
use sourcelab::marshal::{self, Format, Numbers};

/// Labs on source systems (SQL databases, DynamoDB, S3) in Rust notebooks, against real local services.
///
/// Start here:  sourcelab run       sets everything up and runs every lab notebook
///              sourcelab up        starts MariaDB, PostgreSQL and moto (S3, DynamoDB, ...) and writes .env
///              sourcelab status    shows what runs where
#[derive(Parser)]
#[command(name = "sourcelab", version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start the local stack (Python venv, moto, MariaDB, PostgreSQL) and write .env; fast when it already runs.
    Up,
    /// Stop the services that `up` started (nothing else).
    Down,
    /// Show each service: endpoint, pid, and whether it answers now.
    Status,
    /// Print the env file as `export` lines for a shell, with the venv (and its AWS CLI) first on PATH, so the
    /// course's commands use the same settings: `eval "$(sourcelab env --secrets)"`, then `aws s3 ls`. Secret
    /// values are left out unless asked for, since they go to your terminal.
    Env {
        /// The env file (default: .env at the top of the checkout, or $SOURCELAB_ENV_FILE).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Include passwords, secret keys and tokens.
        #[arg(long)]
        secrets: bool,
    },
    /// Set everything up, then run notebooks headless and print a summary (all of notebooks/ by default).
    Run {
        /// Notebooks to run (default: every notebooks/*.ipynb, in order).
        notebooks: Vec<PathBuf>,
        /// Where the executed copies (.ipynb and .html) go.
        #[arg(long, default_value = ".sourcelab/runs")]
        out: PathBuf,
        /// Also write the per-notebook reports (with per-cell seconds) as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Skip `up` and `kernel install` (for benchmarks of an already prepared machine).
        #[arg(long)]
        no_setup: bool,
    },
    /// Run notebooks in JupyterLab in headless Chromium, like a person: open each from the file browser, Run All
    /// from the menu, save, screenshot; then restart one kernel and run a cell again. Default: 00, 01 and 03.
    BrowserCheck {
        /// Notebooks to open (default: notebooks/00_start_here, 01_sql and 03_s3).
        notebooks: Vec<PathBuf>,
        /// Where the screenshots, the executed copies and JupyterLab's log go.
        #[arg(long, default_value = ".sourcelab/runs/browser")]
        out: PathBuf,
        /// Chromium's binary (default: $SOURCELAB_CHROMIUM, else `chromium` on PATH).
        #[arg(long)]
        chromium: Option<PathBuf>,
        /// Also write what the page showed as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Lab data: `data s3` writes lab 3's files; `data sakila --from FOLDER|ZIP|URL` loads the official Sakila dump.
    Data {
        #[command(subcommand)]
        command: DataCmd,
    },
    /// Write the learner copies of the lab notebooks (exercises blanked) to notebooks/exercises/.
    Exercises,
    /// Print a notebook as a Rust script against the library: every code cell, in order, in one `main`.
    Script {
        /// The notebook (.ipynb).
        notebook: PathBuf,
    },
    /// Grade learners' notebooks: FOLDER holds a subfolder per learner, or files named by learner
    /// (alice-07_streaming.ipynb). Prints the gradebook; writes gradebook.csv and gradebook.html to --out.
    Grade {
        /// The folder of submissions.
        folder: PathBuf,
        /// Where the executed copies and the gradebook go.
        #[arg(long, default_value = ".sourcelab/grades")]
        out: PathBuf,
        /// Longest time one notebook may run, in seconds.
        #[arg(long, default_value_t = 600)]
        limit: u64,
        /// Skip `up` and `kernel install` (the stack runs and the kernel is installed, as on a class server).
        #[arg(long)]
        no_setup: bool,
        /// The checkout whose solution notebooks define the labs' exercises (default: this checkout).
        #[arg(long)]
        course: Option<PathBuf>,
    },
    /// Plain JSON → DynamoDB JSON, for one item, a JSON array of items or a batch-write file (FILE or stdin → stdout).
    ///
    /// Sets and binary are written {"$SS": [...]}, {"$NS": [...]}, {"$BS": [...]}, {"$B": "base64"} in plain JSON.
    Marshal {
        /// The JSON file to read; stdin when absent or "-".
        file: Option<PathBuf>,
        /// Write numbers as DynamoDB stores and returns them (`+1e2` → `100`, `1.0` → `1`), not as given.
        #[arg(long)]
        canonical: bool,
    },
    /// DynamoDB JSON → plain JSON, numbers exact (FILE or stdin → stdout); the reverse of `marshal`.
    Unmarshal {
        /// The JSON file to read; stdin when absent or "-".
        file: Option<PathBuf>,
        /// Write numbers as DynamoDB stores and returns them (`+1e2` → `100`, `1.0` → `1`), not as given.
        #[arg(long)]
        canonical: bool,
    },
    /// Diagnose a database URL (postgres://USER:PASSWORD@HOST:PORT/DB, mysql://…) or an S3 object (s3://BUCKET/KEY)
    /// step by step: name resolution, TCP connect, handshake, authentication, database, permission.
    Doctor {
        /// What to check.
        target: String,
        /// Time limit of each step, in seconds.
        #[arg(long, default_value_t = 5.0)]
        timeout: f64,
    },
    /// Put a lab and every lab after it back at its start without restarting the stack; say what was removed.
    Reset {
        /// The lab: its number (`3`), name (`sql`, `dynamodb`, `s3`, `connectivity`, `acid`, `iam`, `streaming`,
        /// `logs`) or notebook (`03_s3`); `all` for every lab.
        lab: String,
    },
    /// What the labs made in the AWS account the env file points at (the local stack, or AWS), with its price.
    Aws {
        #[command(subcommand)]
        command: AwsCmd,
    },
    /// Lab 4's scenario: a PostgreSQL "RDS instance" you cannot reach yet, behind an EC2 network in moto.
    Lab4 {
        #[command(subcommand)]
        command: Lab4Cmd,
    },
    /// The Rust kernel for JupyterLab.
    Kernel {
        #[command(subcommand)]
        command: KernelCmd,
    },
    /// A learner's private moto on a class server (`up` starts it; you do not need this).
    #[command(hide = true)]
    MotoGuard {
        /// The port on 127.0.0.1 the guard listens on.
        #[arg(long)]
        listen: u16,
    },
    /// A class on this server (as root): learners as system users, served their labs by JupyterHub.
    Class {
        #[command(subcommand)]
        command: ClassCmd,
    },
}

#[derive(Subcommand)]
enum ClassCmd {
    /// Add learners: a system user each, with a private home and the labs in ~/sourcelab.
    Add {
        /// User names: lowercase letters, digits, `_` and `-`, starting with a letter.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Take a learner off the roster and remove their system user; their home stays.
    Remove {
        /// The learner's user name.
        name: String,
    },
    /// The learners on the roster.
    List,
    /// Start the class's JupyterHub in the background (installing it first); learners log in at the address shown.
    Up {
        /// The address browsers reach.
        #[arg(long, default_value = "0.0.0.0")]
        ip: String,
        /// The port browsers reach.
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// One workshop password for everyone, read from this file (default: each learner sets theirs at first
        /// login).
        #[arg(long)]
        shared_password_file: Option<PathBuf>,
        /// Stop a learner's server after this many minutes without activity (their files stay).
        #[arg(long, default_value_t = 60)]
        idle_minutes: u64,
        /// An account of the class that is the instructor's: their own demo server, the hub's admin page, and
        /// any learner's server opened to help (repeat for several).
        #[arg(long = "instructor")]
        instructors: Vec<String>,
    },
    /// Stop the hub and every learner's server; their files stay.
    Down,
    /// Who is logged in, the notebooks they have open and their memory.
    Status,
    /// Give every learner a lab (a new one, or a new version): a learner who worked in their copy keeps it, and
    /// the new version goes beside it.
    Release {
        /// The lab: `1`, `sql`, `01_sql` (`0` for 00_start_here).
        lab: String,
        /// The solved notebook instead of the learner copy, as NN_name.solution.ipynb.
        #[arg(long)]
        solution: bool,
    },
    /// Grade a lab for every learner, each notebook run as its learner against their own stack, several at once;
    /// prints the gradebook and writes gradebook.csv and gradebook.html.
    Grade {
        /// The lab: `1`, `sql`, `01_sql`.
        lab: String,
        /// Where the gradebook goes (default: grades/LAB in the class folder).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Longest time one notebook may run, in seconds.
        #[arg(long, default_value_t = 600)]
        limit: u64,
        /// How many learners are graded at once.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
    },
    /// Put one learner's lab (and the labs after it) back at its start, in their own stack.
    Reset {
        /// The learner.
        name: String,
        /// The lab: `1`, `sql`, `01_sql`, or `all`.
        lab: String,
    },
    /// Stage the single-user image's build context for Kubernetes (Zero to JupyterHub, k8s/values.yaml): build it
    /// with `podman build` or `docker build`.
    Image {
        /// The folder to stage it in (on the same disk as ~/.rustup and ~/.cargo).
        out: PathBuf,
    },
    /// The single-user image's last build step, run inside it (you do not need this).
    #[command(hide = true)]
    FinishImage,
    /// What the hub runs as a learner: their stack, then JupyterLab with these arguments (you do not need this).
    #[command(hide = true)]
    LearnerServer {
        /// jupyterhub-singleuser's arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(Subcommand)]
enum DataCmd {
    /// Write lab 3's generated files (ratings CSV, JSON record, two images) to data/s3/.
    S3,
    /// Load the official Sakila dump into database `sakila`.
    Sakila {
        /// A folder holding sakila-schema.sql and sakila-data.sql, a .zip of them, or an http(s) URL of that zip.
        #[arg(long)]
        from: String,
    },
}

#[derive(Subcommand)]
enum AwsCmd {
    /// List what the labs made, per lab, with what it costs an hour and a month while it exists (AWS's us-east-1
    /// list prices of the settings the labs use).
    Inventory {
        /// One lab (`2`, `dynamodb`, `02_dynamodb`); every lab when left out or `all`.
        lab: Option<String>,
    },
    /// Remove what the labs made, after showing it and asking; only names with a lab's prefix are touched.
    Cleanup {
        /// One lab (`7`, `streaming`, `07_streaming`); every lab when left out or `all`.
        lab: Option<String>,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Only show what would be removed.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum Lab4Cmd {
    /// Build the scenario (removing an earlier one): you start on the external bastion, blocked.
    Setup,
    /// The same as setup: back to the starting point.
    Reset,
    /// Show the chosen client and whether the EC2 network lets it reach the database (and if not, why).
    Status,
    /// Work from another client instance.
    UseClient {
        /// The instance's Name, e.g. de-c2w1a1-bastion-host.
        name: String,
    },
    /// Run the gateway in the foreground (`setup` starts it in the background; you do not need this).
    #[command(hide = true)]
    Gateway {
        /// The port to listen on (127.0.0.1).
        #[arg(long)]
        listen: u16,
        /// PostgreSQL's port (127.0.0.1).
        #[arg(long)]
        upstream: u16,
    },
}

#[derive(Subcommand)]
enum KernelCmd {
    /// Register "Rust (sourcelab)" in the venv's Jupyter and pre-build the notebook crate.
    Install,
    /// Start a kernel (Jupyter calls this; you do not need to).
    Launch {
        /// The connection file Jupyter passes.
        connection_file: PathBuf,
    },
    /// The kernel itself, as `launch` sets it up.
    #[command(hide = true)]
    Serve {
        /// The connection file Jupyter passes.
        connection_file: PathBuf,
    },
}

/// What `sourcelab env` adds for the AWS CLI: v1 (the one on PyPI) ignores `AWS_ENDPOINT_URL` and
/// `AWS_ENDPOINT_URL_<SERVICE>` for a few services in us-east-1 (rds, sqs, …: its `overridesslcommonname`
/// customization looks only at `--endpoint-url`), so `aws` passes the endpoint the SDKs would use, resolved the same
/// way: the service's own key, then the general one; nothing when neither is set (real AWS) or when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
const AWS_CLI_ENDPOINT: &str = r#"# AWS CLI v1 ignores the endpoint keys for some services in us-east-1 (rds, sqs, ...): pass them on.
aws() {
  _sl_svc=$(printf %s "${1:-}" | tr 'a-z-' 'A-Z_'); [ "$_sl_svc" = S3API ] && _sl_svc=S3
  case "$_sl_svc" in ''|*[!A-Z0-9_]*) _sl_svc=NONE ;; esac
  eval "_sl_ep=\${AWS_ENDPOINT_URL_${_sl_svc}:-\${AWS_ENDPOINT_URL:-}}"
  if [ -n "$_sl_ep" ] && [ "${AWS_IGNORE_CONFIGURED_ENDPOINT_URLS:-}" != true ]; then
    command aws --endpoint-url "$_sl_ep" "$@"
  else
    command aws "$@"
  fi
}"#;

fn main() -> ExitCode {
    // The kernel runs cells in a child process that is this binary: there this becomes evcxr's runtime.
    sourcelab::kernel::child::hook();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_status(rows: &[sourcelab::local::ServiceStatus]) {
    println!("{STATUS_HEADER}");
    for r in rows {
        println!("{r}");
    }
}

fn run(cli: Cli) -> sourcelab::Result<ExitCode> {
    let stack = Stack::new();
    match cli.command {
        Cmd::Up => {
            let rows = stack.up()?;
            print_status(&rows);
            println!("settings written to {}", stack.user_env_path().display());
            Ok(if rows.iter().all(|r| r.healthy) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Down => {
            let stopped = stack.down()?;
            if stopped.is_empty() {
                println!("nothing to stop");
            }
            for s in stopped {
                println!("stopped {s}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Status => {
            let rows = stack.status()?;
            print_status(&rows);
            Ok(if rows.iter().all(|r| r.healthy) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Env { file, secrets } => {
            // What a shell evaluates is on stdout; notes (a key nothing reads) go to stderr.
            sourcelab::runtime::set_progress_sink(|line| eprintln!("{line}"));
            let env = match file {
                Some(path) => sourcelab::config::EnvFile::load(path)?,
                None => sourcelab::config::load()?,
            };
            let bin = sourcelab::local::venv::bin(&stack, "");
            println!("export PATH={}:\"$PATH\"", sourcelab::config::shell_quote(&bin.to_string_lossy()));
            print!("{}", env.exports(secrets));
            println!("{AWS_CLI_ENDPOINT}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Data { command: DataCmd::S3 } => {
            for path in sourcelab::ratings::write_all(&sourcelab::ratings::data_dir())? {
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Data { command: DataCmd::Sakila { from } } => {
            let env = sourcelab::config::load()?;
            let folder = sourcelab::sakila::resolve_source(&from, stack.state_dir())?;
            let differ = sourcelab::sakila::load(&env.mysql()?, &folder, stack.state_dir())?;
            println!("loaded Sakila into database `sakila`; set DBNAME=sakila in .env to use it in the labs");
            if differ.is_empty() {
                println!("row counts: all 15 tables as in the official dump");
            }
            for d in &differ {
                println!("warning: {d} (not the official dump, or loaded only in part)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Exercises => {
            for path in sourcelab::exercises::write_learner_copies(stack.home())? {
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Script { notebook } => {
            let text = std::fs::read_to_string(&notebook).map_err(|e| sourcelab::Error::io("read", &notebook, e))?;
            let name = notebook.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            print!("{}", sourcelab::course::script::script(&text, &name)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Doctor { target, timeout } => {
            let report = if let Some(path) = target.strip_prefix("s3://") {
                let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
                sourcelab::doctor::s3_object(&sourcelab::config::load()?, bucket, key)
            } else {
                let cfg = sourcelab::config::DbConfig::from_url(&target)?;
                let limit = std::time::Duration::from_secs_f64(timeout.max(0.1));
                // Lab 4's database: the doctor can also name the EC2 rule that drops the connection.
                let lab = stack.state_dir().join("lab4.json").is_file().then(Lab4::open).and_then(|l| l.ok());
                match lab.filter(|l| l.rds_endpoint().is_ok_and(|(_, port)| port == cfg.port)) {
                    Some(lab) => lab.doctor(&cfg, limit)?,
                    None => sourcelab::doctor::database(&cfg, limit),
                }
            };
            println!("{report}");
            Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Reset { lab } => reset(&stack, &lab),
        Cmd::BrowserCheck { notebooks, out, chromium, report } => {
            browser_check(&stack, notebooks, out, chromium, report)
        }
        Cmd::Aws { command } => aws(command),
        Cmd::Lab4 { command } => lab4(&stack, command),
        Cmd::Marshal { file, canonical } => convert(file, Format::Plain, numbers(canonical)),
        Cmd::Unmarshal { file, canonical } => convert(file, Format::Marshal, numbers(canonical)),
        Cmd::Run { notebooks, out, report, no_setup } => run_notebooks(&stack, notebooks, out, report, no_setup),
        Cmd::Grade { folder, out, limit, no_setup, course } => {
            if !no_setup {
                set_up(&stack)?;
            }
            let course = course.unwrap_or_else(|| stack.home().to_path_buf());
            let limit = std::time::Duration::from_secs(limit);
            let book = sourcelab::course::grade::grade(&stack, &course, &folder, &out, limit)?;
            print!("{book}");
            println!("gradebook: {} and {}", out.join("gradebook.csv").display(), out.join("gradebook.html").display());
            // Failed checks are the learners' business; a notebook that could not run to its end is the run's.
            Ok(if book.all_ran() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Cmd::Kernel { command: KernelCmd::Install } => {
            set_up(&stack)?;
            println!("kernel \"Rust (sourcelab)\" installed in {}", kernel::kernelspec_dir(&stack).display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Kernel { command: KernelCmd::Launch { connection_file } } => match kernel::launch(&connection_file)? {},
        Cmd::Kernel { command: KernelCmd::Serve { connection_file } } => {
            kernel::serve(&connection_file)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Class { command } => class(command),
        Cmd::MotoGuard { listen } => {
            sourcelab::local::moto::serve_private(&stack, listen)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn class(command: ClassCmd) -> sourcelab::Result<ExitCode> {
    let class = Class::new();
    match command {
        ClassCmd::Add { names } => {
            for l in class.add(&names, &sourcelab::home())? {
                println!(
                    "added {} (home {}, labs in {})",
                    l.name,
                    l.home.display(),
                    l.home.join(class::LABS_FOLDER).display()
                );
            }
        }
        ClassCmd::Remove { name } => {
            let l = class.remove(&name)?;
            println!("removed {name} from the class; their home {} stays", l.home.display());
        }
        ClassCmd::List => {
            for l in class.learners()? {
                println!("{}\t{}", l.name, l.home.display());
            }
        }
        ClassCmd::Up { ip, port, shared_password_file, idle_minutes, instructors } => {
            let login = match shared_password_file {
                None => Login::FirstLogin,
                Some(f) => Login::Shared(Secret::new(
                    std::fs::read_to_string(&f).map_err(|e| sourcelab::Error::io("read", &f, e))?.trim(),
                )),
            };
            let idle_limit = std::time::Duration::from_secs(idle_minutes * 60);
            let hub = class.up(&HubOptions { ip, port, login, idle_limit, instructors })?;
            println!("the class's hub runs (pid {}): learners log in at {}", hub.pid, hub.url);
        }
        ClassCmd::Down => match class.down()? {
            Some(hub) => println!("stopped the class's hub (pid {}); learners' files stay", hub.pid),
            None => println!("the class's hub was not running"),
        },
        ClassCmd::Release { lab, solution } => {
            for (name, done) in class.release(&lab, solution, &sourcelab::home())? {
                println!("{name}: {done}");
            }
        }
        ClassCmd::Grade { lab, out, limit, parallel } => {
            let out = out.unwrap_or_else(|| class.dir().join("grades").join(&lab));
            let book = class.grade(&lab, &out, std::time::Duration::from_secs(limit), parallel)?;
            print!("{book}");
            println!("gradebook: {} and {}", out.join("gradebook.csv").display(), out.join("gradebook.html").display());
        }
        ClassCmd::Reset { name, lab } => print!("{}", class.reset(&name, &lab)?),
        ClassCmd::Image { out } => {
            let out = class::image::stage(&sourcelab::home(), &out)?;
            println!("staged the single-user image in {}; build it with:", out.display());
            println!("  podman build -t REGISTRY/sourcelab-singleuser:TAG {}   (or docker build)", out.display());
            println!("then push it and name it in k8s/values.yaml (singleuser.image)");
        }
        ClassCmd::FinishImage => class::image::finish()?,
        ClassCmd::LearnerServer { args } => {
            let code = class::learner::serve(&args)?;
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        ClassCmd::Status => {
            println!("{:<16} {:<8} {:>8}  {:<25} notebooks", "learner", "server", "MiB", "last seen");
            for s in class.status()? {
                let server = if s.running { "running" } else { "-" };
                let seen = s.last_activity.as_deref().unwrap_or("never");
                println!("{:<16} {:<8} {:>8}  {:<25} {}", s.name, server, s.memory_mib, seen, s.notebooks.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn lab4(stack: &Stack, command: Lab4Cmd) -> sourcelab::Result<ExitCode> {
    let show = |lab: &Lab4| -> sourcelab::Result<ExitCode> {
        let client = lab.client()?;
        match lab.reachability()? {
            Ok(()) => println!("client {client}: the EC2 network lets it reach {}", lab4::DATABASE_ID),
            Err(b) => println!("client {client}: blocked by the EC2 network\n  {b}"),
        }
        Ok(ExitCode::SUCCESS)
    };
    match command {
        Lab4Cmd::Setup | Lab4Cmd::Reset => {
            stack.up()?;
            let lab = Lab4::setup()?;
            let (address, port) = lab.rds_endpoint()?;
            println!(
                "lab 4 is set up: RDS endpoint {address}:{port} (connect to 127.0.0.1:{port}), bucket {}",
                lab.bucket()
            );
            show(&lab)
        }
        Lab4Cmd::Status => show(&Lab4::open()?),
        Lab4Cmd::UseClient { name } => {
            let lab = Lab4::open()?;
            lab.use_client(&name)?;
            show(&lab)
        }
        Lab4Cmd::Gateway { listen, upstream } => {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| {
                    sourcelab::Error::new(sourcelab::ErrorKind::Setup, "start lab 4's gateway", e.to_string())
                })?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", listen)).await.map_err(|e| {
                    sourcelab::Error::new(
                        sourcelab::ErrorKind::Setup,
                        format!("listen on 127.0.0.1:{listen}"),
                        e.to_string(),
                    )
                })?;
                eprintln!("{} pid {}", sourcelab::local::gateway::READY_LINE, std::process::id());
                let source = lab4::LabScene::new(stack.clone())?;
                sourcelab::local::gateway::serve(listener, ([127, 0, 0, 1], upstream).into(), source).await?;
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}

/// `sourcelab reset LAB|all`: that lab and every later one back at its start.
fn reset(stack: &Stack, lab: &str) -> sourcelab::Result<ExitCode> {
    let from = sourcelab::course::reset::parse_lab(lab)?;
    let done = sourcelab::course::reset::reset(stack, &sourcelab::config::load()?, from)?;
    for r in &done {
        if r.removed.is_empty() {
            println!("lab {} ({}): nothing to remove", r.lab, r.name);
        }
        for line in &r.removed {
            println!("lab {} ({}): removed {line}", r.lab, r.name);
        }
    }
    let labs: Vec<String> = done.iter().map(|r| r.lab.to_string()).collect();
    println!("labs {} are back at their start; run each notebook from its first cell", labs.join(", "));
    Ok(ExitCode::SUCCESS)
}

/// `sourcelab aws inventory|cleanup [LAB]`: what the labs made in the env file's account, priced; removing it.
fn aws(command: AwsCmd) -> sourcelab::Result<ExitCode> {
    use sourcelab::course::account::{self, PRICES_AS_OF, dollars};
    use sourcelab::course::reset::{LABS, parse_lab};
    let lab = match &command {
        AwsCmd::Inventory { lab } | AwsCmd::Cleanup { lab, .. } => lab.clone(),
    };
    let labs: Vec<u8> = match lab.as_deref().map(str::trim) {
        None | Some("all") => LABS.iter().map(|(n, ..)| *n).collect(),
        // parse_lab's error speaks of `reset`; here the lab is the one to list or clean up.
        Some(name) => vec![parse_lab(name).map_err(|e| {
            let err = sourcelab::Error::new(e.kind(), format!("sourcelab aws: lab {name:?}"), e.cause());
            match e.hint_text() {
                Some(h) => err.hint(h),
                None => err,
            }
        })?],
    };
    let env = sourcelab::config::load()?;
    let place = env.aws().endpoint(sourcelab::config::Service::S3).unwrap_or_else(|| "AWS".into());
    println!("What the labs made at {place} ({}):", env.path().display());
    let mut found = Vec::new();
    for lab in &labs {
        let made = account::inventory(&env, *lab)?;
        let name = LABS.iter().find(|(n, ..)| n == lab).map_or("", |(_, name, _)| *name);
        if made.is_empty() {
            println!("lab {lab} ({name}): nothing");
            continue;
        }
        println!("lab {lab} ({name}):");
        for m in &made {
            let price = match (m.per_hour, m.per_month()) {
                (Some(h), Some(mo)) => format!("{}/hour, {}/month", dollars(h), dollars(mo)),
                _ => "no price for these settings".into(),
            };
            println!("  {m}: {price}");
        }
        let (h, mo) = account::total(&made);
        println!("  lab {lab}: {} an hour; {} if left for a month", dollars(h), dollars(mo));
        found.push((*lab, made));
    }
    let all: Vec<account::Made> = found.iter().flat_map(|(_, m)| m.clone()).collect();
    let (h, mo) = account::total(&all);
    println!(
        "In all: {} things, {} an hour; left for a month: {} (AWS us-east-1 on-demand prices of {PRICES_AS_OF}; free \
         tiers not subtracted, requests not counted)",
        all.len(),
        dollars(h),
        dollars(mo)
    );
    let AwsCmd::Cleanup { yes, dry_run, .. } = command else { return Ok(ExitCode::SUCCESS) };
    if all.is_empty() {
        println!("Nothing to remove.");
        return Ok(ExitCode::SUCCESS);
    }
    if dry_run {
        println!(
            "Dry run: nothing removed. `sourcelab aws cleanup{}` removes the {} things above.",
            lab.map(|l| format!(" {l}")).unwrap_or_default(),
            all.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !yes {
        use std::io::{BufRead, Write};
        print!("Remove these {} things? [y/N] ", all.len());
        std::io::stdout().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| sourcelab::Error::io("read", std::path::Path::new("stdin"), e))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            println!("Nothing removed.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    for (lab, _) in &found {
        for line in account::cleanup(&env, *lab)? {
            println!("lab {lab}: removed {line}");
        }
    }
    println!(
        "Removed. On AWS some of it goes in the background (a queue within a minute, an instance in minutes): \
         `sourcelab aws inventory` lists what is left."
    );
    Ok(ExitCode::SUCCESS)
}

/// `sourcelab marshal` / `unmarshal`: reads the whole document, converts it, and only then writes stdout.
fn numbers(canonical: bool) -> Numbers {
    if canonical { Numbers::Canonical } else { Numbers::AsGiven }
}

fn convert(file: Option<PathBuf>, from: Format, numbers: Numbers) -> sourcelab::Result<ExitCode> {
    let (text, source) = match file.filter(|f| f.as_os_str() != "-") {
        Some(path) => (
            std::fs::read_to_string(&path).map_err(|e| sourcelab::Error::io("read", &path, e))?,
            path.display().to_string(),
        ),
        None => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| sourcelab::Error::io("read", std::path::Path::new("stdin"), e))?;
            (text, "stdin".to_string())
        }
    };
    let doc = marshal::parse_json(&text, &source)?;
    let out = marshal::convert_document(&doc, from, numbers).map_err(|e| {
        let err = sourcelab::Error::new(e.kind(), format!("convert {source}"), e.cause());
        match e.hint_text() {
            Some(h) => err.hint(h),
            None => err,
        }
    })?;
    let text = serde_json::to_string_pretty(&out).unwrap_or_default();
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Starts the stack and installs the kernel.
fn set_up(stack: &Stack) -> sourcelab::Result<()> {
    stack.up()?;
    kernel::install(stack)
}

/// `sourcelab browser-check`: prints one line per notebook and the restart, fails when a cell failed.
fn browser_check(
    stack: &Stack,
    notebooks: Vec<PathBuf>,
    out: PathBuf,
    chromium: Option<PathBuf>,
    report: Option<PathBuf>,
) -> sourcelab::Result<ExitCode> {
    let dir = stack.home().join("notebooks");
    let notebooks = if notebooks.is_empty() {
        ["00_start_here.ipynb", "01_sql.ipynb", "03_s3.ipynb"].iter().map(|n| dir.join(n)).collect()
    } else {
        notebooks
    };
    // The first code cell of the first notebook runs again after a restart (00's loads the settings).
    let first = notebooks[0].file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let opts = BrowserOptions { chromium, restart: Some((first, 0)), learner: true, ..BrowserOptions::default() };
    set_up(stack)?;
    let out = if out.is_absolute() { out } else { stack.home().join(out) };
    let seen = kernel::browser::check(stack, &notebooks, &out, &opts)?;
    if let Some(path) = report {
        let json = serde_json::to_string_pretty(&seen).unwrap_or_default();
        std::fs::write(&path, json).map_err(|e| sourcelab::Error::io("write", &path, e))?;
    }
    println!(
        "\n{:<28} {:<18} {:>5} {:>6} {:>6} {:>6} {:>8}  screenshot",
        "notebook", "kernel", "cells", "tables", "images", "checks", "seconds"
    );
    for nb in &seen.notebooks {
        let ran = nb.cells.iter().filter(|c| c.ran()).count();
        let tables: usize = nb.cells.iter().map(|c| c.tables.len()).sum();
        let images: usize = nb.cells.iter().map(|c| c.images.iter().filter(|i| i.visible).count()).sum();
        println!(
            "{:<28} {:<18} {:>5} {:>6} {:>6} {:>6} {:>8.1}  {}",
            nb.notebook,
            nb.kernel,
            format!("{ran}/{}", nb.cells.len()),
            tables,
            images,
            format!("{}✓", nb.checks_passed().len()),
            nb.seconds,
            nb.screenshot.display()
        );
        for e in nb.errors() {
            println!("  error in {}: {e}", nb.notebook);
        }
    }
    if let Some(l) = &seen.learner {
        let stopped =
            l.cells.iter().position(|c| !c.ran()).map_or("nowhere".to_string(), |i| format!("before code cell {i}"));
        println!("\nas a learner: Run All stopped {stopped}; db.qu + Tab offered {:?}, typed {:?}", l.offered, l.typed);
    }
    if let Some(r) = &seen.restart {
        let said = r.outputs.iter().map(|o| o.text.as_str()).collect::<Vec<_>>().join(" | ");
        println!("\nafter Kernel > Restart Kernel…, {} code cell {} ran as {}: {said}", r.notebook, r.cell, r.prompt);
    }
    let ok = seen.notebooks.iter().all(|n| n.ok());
    println!(
        "\nnotebooks in JupyterLab: {}",
        if ok { "every cell ran, no errors" } else { "some cells failed (above)" }
    );
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn run_notebooks(
    stack: &Stack,
    notebooks: Vec<PathBuf>,
    out: PathBuf,
    report: Option<PathBuf>,
    no_setup: bool,
) -> sourcelab::Result<ExitCode> {
    let notebooks = if notebooks.is_empty() { sourcelab::kernel::lab_notebooks(stack)? } else { notebooks };
    if !no_setup {
        set_up(stack)?;
    }
    let out = if out.is_absolute() { out } else { stack.home().join(out) };
    let reports = kernel::run_notebooks(stack, &notebooks, &out, &RunOptions::default())?;
    if let Some(path) = report {
        let json = serde_json::to_string_pretty(&reports).unwrap_or_default();
        std::fs::write(&path, json).map_err(|e| sourcelab::Error::io("write", &path, e))?;
    }
    println!("\n{:<40} {:>5} {:>9}  status", "notebook", "cells", "seconds");
    for r in &reports {
        let name = PathBuf::from(&r.notebook).file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        println!("{name:<40} {:>5} {:>9.1}  {}", r.cells, r.seconds, r.status);
    }
    let failed: Vec<_> = reports.iter().filter(|r| !r.ok()).collect();
    for r in &failed {
        let cell = r.failed_cell.map(|c| format!("cell {}", c + 1)).unwrap_or_else(|| "kernel".into());
        println!("\n{} failed at {cell}:\n{}", r.notebook, r.error.as_deref().unwrap_or("(no message)"));
    }
    let page = kernel::report::write_run_report(&reports, &out)?;
    println!("\nexecuted copies (.ipynb, .html): {}", out.display());
    println!("report: {}", page.display());
    println!("notebooks: {} passed, {} failed", reports.len() - failed.len(), failed.len());
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
