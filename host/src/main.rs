//! The `waymark` command: a thin shell over the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

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
    /// Validate a built component as the daemon would on upload.
    Check {
        /// The component file.
        file: PathBuf,
    },
    /// Replay a council's recorded decisions against another plugin version, offline:
    /// reads the data folder of a stopped daemon and reports every difference.
    Replay {
        /// The daemon's data folder.
        #[arg(long, default_value = "data", env = "WAYMARK_DATA")]
        data: PathBuf,
        /// The council whose decisions to replay.
        #[arg(long)]
        council: waymark::council::CouncilId,
        /// The built component to replay against.
        #[arg(long)]
        plugin: PathBuf,
        /// Only this participant's decisions.
        #[arg(long)]
        participant: Option<waymark::journey::ParticipantId>,
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
            PluginCommand::Check { file } => {
                let bytes =
                    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let policies = waymark::policy::Policies::new(
                    &waymark::policy::EngineSettings::default(),
                    waymark::policy::Limits::default(),
                )?;
                let plugin = policies.load(&bytes)?;
                println!(
                    "ok: {} ({} bytes), digest {}",
                    file.display(),
                    bytes.len(),
                    plugin.digest()
                );
                Ok(())
            }
            PluginCommand::Replay {
                data,
                council,
                plugin,
                participant,
            } => {
                let bytes = std::fs::read(&plugin)
                    .with_context(|| format!("reading {}", plugin.display()))?;
                let report = waymark::replay::replay_offline(
                    &data,
                    &council,
                    &bytes,
                    participant,
                    waymark::replay::DEFAULT_LIMIT,
                )?;
                println!("{report}");
                Ok(())
            }
        },
    }
}
