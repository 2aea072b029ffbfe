//! The `waymark` command: a thin shell over the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use waymark::policy::workbench;

#[derive(Parser)]
#[command(
    name = "waymark",
    version,
    about = "Participant journeys, council policy plugins and reminders for UK employment support"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: the store, the scheduler and the HTTP API.
    Serve {
        /// Data folder (sled store, compiled plugin cache, lock file).
        #[arg(long, default_value = "data", env = "WAYMARK_DATA")]
        data: PathBuf,
        /// Address to listen on. Loopback by default: put a TLS proxy in front for anything else.
        #[arg(long, default_value = "127.0.0.1:8080", env = "WAYMARK_LISTEN")]
        listen: SocketAddr,
        /// Use a clock that moves only via `POST /v1/admin/clock` (tests, demos).
        #[arg(long)]
        manual_clock: bool,
        /// TOML file of councils (and their plugins) to create if absent.
        #[arg(long)]
        seed: Option<PathBuf>,
        /// Log format.
        #[arg(long, value_enum, default_value = "text", env = "WAYMARK_LOG_FORMAT")]
        log_format: LogFormat,
    },
    /// Build and check council policy plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Write the API's JSON Schemas (generated from the Rust types).
    Schemas {
        #[command(subcommand)]
        command: SchemasCommand,
    },
}

#[derive(Subcommand)]
enum SchemasCommand {
    /// Write every schema into a folder (default: the workspace's schemas/).
    Export {
        #[arg(long, default_value = "schemas")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Build a plugin crate into an uploadable component.
    Build {
        /// The plugin crate's folder.
        dir: PathBuf,
        /// Where to write the component (default target/plugins/<crate>.wasm).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a built component as the daemon would on upload, and run its
    /// golden cases in the real sandbox, reporting fuel, memory and size.
    Check {
        /// The component file.
        file: PathBuf,
        /// Golden cases to run (the plugin crate's golden.json).
        #[arg(long)]
        golden: Option<PathBuf>,
        /// Limits to check against, as JSON (default: the daemon's defaults).
        #[arg(long)]
        limits: Option<PathBuf>,
    },
    /// Write a new plugin crate from the template.
    New {
        /// The plugin's name: lower-case letters, digits and hyphens.
        name: String,
        /// The folder to create it in.
        #[arg(long, default_value = "plugins")]
        dir: PathBuf,
    },
    /// Run a plugin crate's own tests, build it, and check it with its golden cases.
    Test {
        /// The plugin crate's folder.
        dir: PathBuf,
        /// Limits to check against, as JSON (default: the daemon's defaults).
        #[arg(long)]
        limits: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// A failed golden case makes the command fail, so scripts and CI notice.
fn report_outcome(report: &workbench::CheckReport) -> anyhow::Result<()> {
    if report.passed() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} of {} golden cases failed",
            report.failed(),
            report.cases.len()
        )
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            data,
            listen,
            manual_clock,
            seed,
            log_format,
        } => {
            init_logging(log_format);
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(waymark::daemon::serve(waymark::daemon::ServeOptions {
                data,
                listen,
                manual_clock,
                seed,
            }))
        }
        Command::Schemas {
            command: SchemasCommand::Export { dir },
        } => {
            let n = waymark::api::schemas::export(&dir)
                .with_context(|| format!("writing schemas to {}", dir.display()))?;
            println!("wrote {n} schemas to {}", dir.display());
            Ok(())
        }
        Command::Plugin { command } => match command {
            PluginCommand::Build { dir, out } => {
                let path = waymark::policy::build_plugin(&dir, out.as_deref())?;
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                println!("built {} ({size} bytes)", path.display());
                Ok(())
            }
            PluginCommand::Check {
                file,
                golden,
                limits,
            } => {
                let bytes =
                    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let limits = workbench::limits_from(limits.as_deref())?;
                let cases = match &golden {
                    Some(path) => workbench::golden_from(path)?,
                    None => Vec::new(),
                };
                let report = workbench::check(&bytes, limits, &cases)?;
                print!("{}: {report}", file.display());
                report_outcome(&report)
            }
            PluginCommand::New { name, dir } => {
                let root = workbench::scaffold(&name, &dir)?;
                println!(
                    "created {}
next: add \"{}\" to `members` in the workspace Cargo.toml, then \
                     `waymark plugin test {}`",
                    root.display(),
                    root.display(),
                    root.display()
                );
                Ok(())
            }
            PluginCommand::Test { dir, limits } => {
                let limits = workbench::limits_from(limits.as_deref())?;
                let (wasm, report) = workbench::test_crate(&dir, limits)?;
                print!("{}: {report}", wasm.display());
                report_outcome(&report)
            }
        },
    }
}
