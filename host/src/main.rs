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
        /// Sustained requests per second allowed per API key (429 beyond it).
        #[arg(long, default_value_t = 50.0, env = "WAYMARK_RATE_PER_SECOND")]
        rate_per_second: f64,
        /// Requests an API key may make in a burst before the rate applies.
        #[arg(long, default_value_t = 200.0, env = "WAYMARK_RATE_BURST")]
        rate_burst: f64,
        /// Largest JSON request body in bytes (413 beyond it); plugin uploads have their own limit.
        #[arg(long, default_value_t = 64 * 1024, env = "WAYMARK_MAX_BODY_BYTES")]
        max_body_bytes: usize,
    },
    /// Check the audit log offline (stop the daemon first).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
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
enum AuditCommand {
    /// Walk the hash chain; report the first broken link, if any (exit status 1).
    Verify {
        #[arg(long, default_value = "data", env = "WAYMARK_DATA")]
        data: PathBuf,
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
            rate_per_second,
            rate_burst,
            max_body_bytes,
        } => {
            anyhow::ensure!(
                rate_per_second > 0.0 && rate_burst >= 1.0,
                "--rate-per-second must be above 0 and --rate-burst at least 1"
            );
            init_logging(log_format);
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(waymark::daemon::serve(waymark::daemon::ServeOptions {
                data,
                listen,
                manual_clock,
                seed,
                access: waymark::api::AccessLimits {
                    rate_per_second,
                    burst: rate_burst,
                    max_body_bytes,
                },
            }))
        }
        Command::Audit {
            command: AuditCommand::Verify { data },
        } => {
            let lock = waymark::store::DataFolderLock::acquire(&data)?;
            let store = waymark::store::Store::open(&data, &lock)
                .with_context(|| format!("opening the store in {}", data.display()))?;
            match store.verify_audit()? {
                Ok(n) => {
                    println!("audit log intact: {n} entries, every link verified");
                    Ok(())
                }
                Err(broken) => {
                    eprintln!("{broken}");
                    std::process::exit(1);
                }
            }
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
        },
    }
}
