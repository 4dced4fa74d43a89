//! The `sourcelab` command: start the local stack, install the Rust kernel, run the lab notebooks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sourcelab::kernel::{self, RunOptions};
use sourcelab::lab4::{self, Lab4};
use sourcelab::local::{STATUS_HEADER, Stack};
use sourcelab::marshal::{self, Format};

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
    /// Lab data: `data s3` writes lab 3's files; `data sakila --from FOLDER|ZIP|URL` loads the official Sakila dump.
    Data {
        #[command(subcommand)]
        command: DataCmd,
    },
    /// Write the learner copies of the lab notebooks (exercises blanked) to notebooks/exercises/.
    Exercises,
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
    },
    /// Plain JSON → DynamoDB JSON, for one item, a JSON array of items or a batch-write file (FILE or stdin → stdout).
    ///
    /// Sets and binary are written {"$SS": [...]}, {"$NS": [...]}, {"$BS": [...]}, {"$B": "base64"} in plain JSON.
    Marshal {
        /// The JSON file to read; stdin when absent or "-".
        file: Option<PathBuf>,
    },
    /// DynamoDB JSON → plain JSON, numbers exact (FILE or stdin → stdout); the reverse of `marshal`.
    Unmarshal {
        /// The JSON file to read; stdin when absent or "-".
        file: Option<PathBuf>,
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
    /// Put a lab back at its start without restarting the stack, and say what was removed.
    Reset {
        /// The lab: `acid` (lab 5: the `acid` database and its DynamoDB tables), `iam` (lab 6: its users, groups,
        /// roles, policies and bucket), `streaming` (lab 7: its queues and streams) or `lab4` (the scenario, rebuilt).
        lab: String,
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
    /// Install evcxr_jupyter, register "Rust (sourcelab)" in the venv's Jupyter and pre-build it.
    Install,
    /// Start a kernel (Jupyter calls this; you do not need to).
    Launch {
        /// The connection file Jupyter passes.
        connection_file: PathBuf,
    },
}

fn main() -> ExitCode {
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
        Cmd::Data { command: DataCmd::S3 } => {
            for path in sourcelab::ratings::write_all(&sourcelab::ratings::data_dir())? {
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Data { command: DataCmd::Sakila { from } } => {
            let env = sourcelab::config::load()?;
            let folder = sourcelab::sakila::resolve_source(&from, stack.state_dir())?;
            sourcelab::sakila::load(&env.mysql()?, &folder, stack.state_dir())?;
            println!("loaded Sakila into database `sakila`; set DBNAME=sakila in .env to use it in the labs");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Exercises => {
            for path in sourcelab::exercises::write_learner_copies(stack.home())? {
                println!("wrote {}", path.display());
            }
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
        Cmd::Lab4 { command } => lab4(&stack, command),
        Cmd::Marshal { file } => convert(file, Format::Plain),
        Cmd::Unmarshal { file } => convert(file, Format::Marshal),
        Cmd::Run { notebooks, out, report, no_setup } => run_notebooks(&stack, notebooks, out, report, no_setup),
        Cmd::Grade { folder, out, limit } => {
            set_up(&stack)?;
            let book = sourcelab::course::grade::grade(&stack, &folder, &out, std::time::Duration::from_secs(limit))?;
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
    }
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

/// `sourcelab reset LAB`.
fn reset(stack: &Stack, lab: &str) -> sourcelab::Result<ExitCode> {
    match lab {
        "acid" | "5" | "05" => {
            let removed = sourcelab::acid::reset(&sourcelab::config::load()?)?;
            Ok(removed_report("lab 5 (acid)", removed, "acid::setup(&env), creates the tables again"))
        }
        "iam" | "6" | "06" => {
            let removed = sourcelab::lab6::reset(&sourcelab::config::load()?)?;
            Ok(removed_report("lab 6 (iam)", removed, "lab6::setup(&env), makes the data bucket again"))
        }
        "streaming" | "7" | "07" => {
            let removed = sourcelab::lab7::reset(&sourcelab::config::load()?)?;
            Ok(removed_report("lab 7 (streaming)", removed, "lab7::reset(&env), starts from no queues and no streams"))
        }
        "lab4" | "4" | "04" => lab4(stack, Lab4Cmd::Reset),
        other => Err(sourcelab::Error::new(
            sourcelab::ErrorKind::Input,
            format!("reset lab {other:?}"),
            "there is no such lab to reset",
        )
        .hint("use `sourcelab reset acid` (lab 5), `sourcelab reset iam` (lab 6), `sourcelab reset streaming` (lab 7) or `sourcelab reset lab4`")),
    }
}

/// Prints what a reset removed, and how the lab starts again.
fn removed_report(lab: &str, removed: Vec<String>, first_cell: &str) -> ExitCode {
    if removed.is_empty() {
        println!("{lab} had nothing to remove");
    }
    for r in removed {
        println!("removed {r}");
    }
    println!("{lab} is back at its start: its first cell, {first_cell}");
    ExitCode::SUCCESS
}

/// `sourcelab marshal` / `unmarshal`: reads the whole document, converts it, and only then writes stdout.
fn convert(file: Option<PathBuf>, from: Format) -> sourcelab::Result<ExitCode> {
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
    let out = marshal::convert_document(&doc, from).map_err(|e| {
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

/// Starts the stack and installs the kernel; evcxr_jupyter (a long compile the first time) installs meanwhile.
fn set_up(stack: &Stack) -> sourcelab::Result<()> {
    let evcxr = std::thread::spawn(kernel::ensure_evcxr);
    let up = stack.up();
    let evcxr = evcxr.join().map_err(|_| {
        sourcelab::Error::new(sourcelab::ErrorKind::Setup, "install evcxr_jupyter", "the installer thread panicked")
    })?;
    up?;
    evcxr?;
    kernel::install(stack)
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
    println!("\nexecuted copies (.ipynb, .html): {}", out.display());
    println!("notebooks: {} passed, {} failed", reports.len() - failed.len(), failed.len());
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
