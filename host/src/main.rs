//! The `waymark` command: a thin shell over the library.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use waymark::authoring::lang::Lang;
use waymark::authoring::remote::{Refusal, RemoteCouncil, RemoteError};
use waymark::authoring::report;
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
    Serve(waymark::config::ServeFlags),
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
    /// What-if: run a cohort through a council's plugin on a simulated calendar.
    Simulate(SimulateArgs),
    /// Back up the whole store, consistently, into a new folder: asks the running
    /// daemon (which keeps serving) or, when none holds the data folder, copies it.
    Backup(BackupArgs),
    /// Make or rotate the master data key that seals participants' personal data.
    DataKey {
        #[command(subcommand)]
        command: DataKeyCommand,
    },
    /// Restore a backup into a stopped daemon's data folder (checked first: its
    /// manifest and audit chain).
    Restore(RestoreArgs),
    /// Write the API's JSON Schemas (generated from the Rust types).
    Schemas {
        #[command(subcommand)]
        command: SchemasCommand,
    },
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct SimulateArgs {
    #[command(subcommand)]
    generate: Option<SimulateCommand>,
    /// The council's plugin component (built with `waymark plugin build`).
    #[arg(long, required = true)]
    plugin: Option<PathBuf>,
    /// The plugin's settings, a JSON file (default `{}`: the plugin's defaults).
    #[arg(long)]
    settings: Option<PathBuf>,
    /// The cohort, JSON Lines (make one with `waymark simulate generate`).
    #[arg(long, required = true)]
    cohort: Option<PathBuf>,
    /// Months to simulate from the first referral.
    #[arg(long, default_value_t = 12)]
    months: u32,
    /// Working-day calendar.
    #[arg(long, value_enum, default_value = "england-and-wales")]
    nation: NationArg,
    /// The council's programme, as JSON like the council's `programme` field:
    /// `{"kind":"connect_to_work"}` (default), `{"kind":"ipes"}` or
    /// `{"kind":"ips_primary_care","max_months":9}`.
    #[arg(long, value_parser = parse_programme)]
    programme: Option<waymark::journey::Programme>,
    /// A second plugin to run on the same cohort and compare.
    #[arg(long)]
    compare: Option<PathBuf>,
    /// Settings for the comparison run (default: the same as `--settings`).
    #[arg(long)]
    compare_settings: Option<PathBuf>,
    /// Where to write the JSON report.
    #[arg(long, default_value = "simulation.json")]
    out: PathBuf,
    /// Where to write the HTML report.
    #[arg(long, default_value = "simulation.html")]
    html: PathBuf,
}

#[derive(clap::Args)]
struct BackupArgs {
    /// The folder to write the backup into: new, or empty.
    dest: PathBuf,
    /// The daemon's data folder.
    #[arg(long, default_value = "data", env = "WAYMARK_DATA")]
    data: PathBuf,
    /// The running daemon's address (used only when it holds the data folder).
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "WAYMARK_URL")]
    url: String,
    /// A platform-admin key for the running daemon.
    #[arg(long, env = "WAYMARK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

#[derive(clap::Args)]
struct RestoreArgs {
    /// The backup folder (made by `waymark backup`).
    src: PathBuf,
    /// The data folder to restore into; its daemon must be stopped.
    #[arg(long, env = "WAYMARK_DATA")]
    data: PathBuf,
    /// Replace the store the data folder already holds.
    #[arg(long)]
    force: bool,
}

fn data_key(command: DataKeyCommand) -> anyhow::Result<()> {
    use waymark::store::{DATA_KEY_ENV, DataFolderLock, DataKey, Store};
    match command {
        DataKeyCommand::Generate { file } => {
            waymark::store::write_new_key_file(&file, &DataKey::generate())?;
            println!("wrote a new data key to {}", file.display());
        }
        DataKeyCommand::Rotate {
            data,
            data_key_file,
            new_key_file,
        } => {
            let (old, _) = DataKey::resolve(
                std::env::var(DATA_KEY_ENV).ok().as_deref(),
                data_key_file.as_deref(),
                &data,
            )?;
            let (new, _) = DataKey::resolve(None, Some(&new_key_file), &data)?;
            let lock = DataFolderLock::acquire(&data)
                .context("rotation rewrites the key file: stop the daemon first")?;
            let store = Store::open_sealed(&data, &lock, old)
                .with_context(|| format!("opening the store in {}", data.display()))?;
            let n = store.rotate_data_key(&new)?;
            println!(
                "re-wrapped {n} participant keys: start the daemon with the key in {} from now on; \
                 backups taken before still need the old key",
                new_key_file.display()
            );
        }
    }
    Ok(())
}

fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let taken = waymark::backup::backup_command(
        &args.data,
        &args.dest,
        waymark::backup::DaemonAddress {
            url: &args.url,
            token: args.admin_token.as_deref(),
        },
    )?;
    let m = &taken.manifest;
    println!(
        "backed up {} entries ({} bytes) in {} trees to {} in {} ms (writes held back {} ms)",
        m.entries,
        m.bytes,
        m.trees.len(),
        taken.dest,
        taken.took_ms,
        taken.writes_held_ms
    );
    for (tree, n) in &m.trees {
        println!("  {tree}: {n}");
    }
    Ok(())
}

fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let restored = waymark::store::restore(&args.src, &args.data, args.force)?;
    println!(
        "restored the backup taken {} into {}{}: {} entries, audit chain of {} entries verified",
        restored.manifest.taken_at.to_rfc3339(),
        restored.data.display(),
        if restored.replaced {
            " (replacing the store it held)"
        } else {
            ""
        },
        restored.manifest.entries,
        restored.audit_entries
    );
    Ok(())
}

#[derive(Subcommand)]
enum SimulateCommand {
    /// Write a synthetic cohort (JSON Lines) to standard output or `--out`.
    Generate {
        #[arg(long)]
        size: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Key workers to allocate to (default: about 18 active people each).
        #[arg(long)]
        key_workers: Option<u32>,
        /// The share of starters (0 to 1) who never consent to employer contact.
        #[arg(long, default_value_t = waymark::simulate::WITHOUT_EMPLOYER_CONSENT)]
        without_employer_consent: f64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum NationArg {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl From<NationArg> for waymark::schedule::calendar::Nation {
    fn from(n: NationArg) -> Self {
        use waymark::schedule::calendar::Nation;
        match n {
            NationArg::EnglandAndWales => Nation::EnglandAndWales,
            NationArg::Scotland => Nation::Scotland,
            NationArg::NorthernIreland => Nation::NorthernIreland,
        }
    }
}

fn parse_programme(text: &str) -> Result<waymark::journey::Programme, String> {
    let programme: waymark::journey::Programme =
        serde_json::from_str(text).map_err(|e| format!("{e}: e.g. {{\"kind\":\"ipes\"}}"))?;
    programme.validate().map_err(|e| e.to_string())?;
    Ok(programme)
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    use waymark::simulate::{self as sim, Comparison, Variant};

    if let Some(SimulateCommand::Generate {
        size,
        seed,
        key_workers,
        without_employer_consent,
        out,
    }) = args.generate
    {
        anyhow::ensure!(size > 0, "--size must be at least 1");
        anyhow::ensure!(
            (0.0..=1.0).contains(&without_employer_consent),
            "--without-employer-consent is a share from 0 to 1, e.g. 0.25"
        );
        let mut spec = sim::CohortSpec::stoke(size, seed);
        spec.key_workers = key_workers;
        spec.without_employer_consent = without_employer_consent;
        let cohort = sim::generate(&spec);
        match out {
            Some(path) => {
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                let mut w = std::io::BufWriter::new(file);
                sim::write_cohort(&cohort, &mut w)?;
                w.flush()?;
                eprintln!("wrote {size} cohort members to {}", path.display());
            }
            None => {
                let stdout = std::io::stdout();
                let mut w = std::io::BufWriter::new(stdout.lock());
                sim::write_cohort(&cohort, &mut w)?;
                w.flush()?;
            }
        }
        return Ok(());
    }
    let (Some(plugin), Some(cohort)) = (args.plugin, args.cohort) else {
        anyhow::bail!("give --plugin and --cohort (see `waymark simulate --help`)");
    };
    let policies = sim::engine()?;
    let settings = sim::load_settings(args.settings.as_deref())?;
    let programme = args.programme.unwrap_or_default();
    let baseline = Variant {
        plugin: sim::load_plugin(&policies, &plugin)?,
        settings: settings.clone(),
        programme,
    };
    let cohort = sim::load_cohort(&cohort)?;
    let nation = args.nation.into();
    let tty = std::io::stderr().is_terminal();
    let progress = |label: &'static str| {
        move |done: u32, of: u32| {
            if tty {
                eprint!("\r{label}: month {done} of {of}");
                if done == of {
                    eprintln!();
                }
            }
        }
    };
    let (report, run) = sim::simulate(
        &baseline,
        &cohort,
        args.months,
        nation,
        progress("baseline"),
    )?;
    let (json, html) = if args.compare.is_some() || args.compare_settings.is_some() {
        let alternative = Variant {
            plugin: match &args.compare {
                Some(p) => sim::load_plugin(&policies, p)?,
                None => baseline.plugin.clone(),
            },
            settings: match &args.compare_settings {
                Some(p) => sim::load_settings(Some(p))?,
                None => settings,
            },
            programme,
        };
        let (alt, alt_run) = sim::simulate(
            &alternative,
            &cohort,
            args.months,
            nation,
            progress("alternative"),
        )?;
        let cmp = Comparison::new((report, &run), (alt, &alt_run));
        eprintln!("{} decisions changed", cmp.changed_decisions_total);
        (serde_json::to_string_pretty(&cmp)?, cmp.to_html())
    } else {
        (serde_json::to_string_pretty(&report)?, report.to_html())
    };
    std::fs::write(&args.out, json + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    std::fs::write(&args.html, html).with_context(|| format!("writing {}", args.html.display()))?;
    eprintln!("wrote {} and {}", args.out.display(), args.html.display());
    Ok(())
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
enum DataKeyCommand {
    /// Write a new random key (64 hex digits) into a new file readable by its owner only.
    Generate {
        /// The key file to create, outside the data folder.
        file: PathBuf,
    },
    /// Re-wrap every participant key under a new master key (stop the daemon first);
    /// the key in use comes from WAYMARK_DATA_KEY, --data-key-file, else `<data>.key`.
    Rotate {
        #[arg(long, default_value = "data", env = "WAYMARK_DATA")]
        data: PathBuf,
        /// The file of the key in use [env: WAYMARK_DATA_KEY_FILE]
        #[arg(long, env = "WAYMARK_DATA_KEY_FILE")]
        data_key_file: Option<PathBuf>,
        /// The file of the new key (make one with `waymark data-key generate`).
        #[arg(long)]
        new_key_file: PathBuf,
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
    /// Build a plugin project (a Rust crate, or a Python project) into an uploadable
    /// component. Cargo builds a Rust crate in `target/plugin-build` under its
    /// workspace, or in `$WAYMARK_PLUGIN_TARGET_DIR` if set.
    Build {
        /// The plugin project's folder.
        dir: PathBuf,
        /// Where to write the component (default: Rust target/plugins/<crate>.wasm,
        /// Python <project>/target/<folder>.wasm).
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
    /// Write a new plugin crate from the template: a standalone crate (its own
    /// workspace, waymark-sdk by version) for the council's own repository.
    New {
        /// The plugin's name: lower-case letters, digits and hyphens.
        name: String,
        /// The language to write it in.
        #[arg(long, value_enum, default_value_t = Lang::Rust)]
        lang: Lang,
        /// The folder to create it in (as `DIR/NAME`).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// A Waymark checkout's `sdk` folder to build against until waymark-sdk is on
        /// crates.io (written as `[patch.crates-io]`). Default: the SDK of the
        /// checkout this waymark was built from, if it is still there.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Run a plugin project's own tests (cargo test, or pytest), build it, and check
    /// it with its golden cases in the real sandbox.
    Test {
        /// The plugin project's folder.
        dir: PathBuf,
        /// Limits to check against, as JSON (default: the daemon's defaults).
        #[arg(long)]
        limits: Option<PathBuf>,
    },
    /// Upload a built component to a running daemon: it checks it (its golden cases
    /// run in the sandbox under the council's limits) and makes it the council's
    /// active plugin, or refuses it, naming each failing case, and changes nothing.
    /// The API key (a council admin's) is read from `WAYMARK_KEY`. Exits 1 when the
    /// daemon refuses, 2 when it could not be asked.
    Upload {
        /// The component (built with `waymark plugin build`).
        file: PathBuf,
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// List the council's plugin versions on a running daemon, the active one starred.
    Versions {
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// Make one of the council's uploaded versions active again.
    Activate {
        /// The version's digest, or its first 6 or more hex digits.
        digest: String,
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// Reactivate the version that was active before the current one.
    Rollback {
        #[command(flatten)]
        daemon: DaemonArgs,
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

/// Which daemon and council `waymark plugin upload | versions | activate | rollback`
/// talk to. The key is deliberately not a flag: it would land in shell history.
#[derive(clap::Args)]
struct DaemonArgs {
    /// The daemon's address.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "WAYMARK_URL")]
    url: String,
    /// The council whose plugin this is.
    #[arg(long, env = "WAYMARK_COUNCIL")]
    council: waymark::council::CouncilId,
}

/// Exit status when the daemon refused (it changed nothing).
const REFUSED: i32 = 1;
/// Exit status when the daemon could not be asked (no key, unreachable, bad file).
const NOT_ASKED: i32 = 2;

/// Runs one request about a council's plugin: prints the report on success, else
/// the refusal or the reason it could not ask, and exits with its status.
fn remote<T>(
    daemon: DaemonArgs,
    ask: impl AsyncFnOnce(&RemoteCouncil) -> Result<T, RemoteError>,
    report: impl FnOnce(&waymark::council::CouncilId, T) -> String,
    refused: impl FnOnce(&waymark::council::CouncilId, &Refusal) -> String,
) -> ! {
    let outcome = (|| -> Result<T, RemoteError> {
        let key = std::env::var("WAYMARK_KEY").map_err(|_| RemoteError::NoKey)?;
        let client = RemoteCouncil::new(&daemon.url, daemon.council.clone(), key)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RemoteError::Unreachable {
                url: daemon.url.clone(),
                reason: format!("could not start the async runtime: {e}"),
            })?;
        runtime.block_on(ask(&client))
    })();
    match outcome {
        Ok(answer) => {
            print!("{}", report(&daemon.council, answer));
            std::process::exit(0)
        }
        Err(RemoteError::Refused(refusal)) => {
            eprint!("{}", refused(&daemon.council, &refusal));
            std::process::exit(REFUSED)
        }
        Err(other) => {
            eprintln!("error: {other}");
            std::process::exit(NOT_ASKED)
        }
    }
}

fn upload(file: PathBuf, daemon: DaemonArgs) -> ! {
    let component = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!(
                "error: could not read {}: {e}; give the component `waymark plugin build` wrote",
                file.display()
            );
            std::process::exit(NOT_ASKED)
        }
    };
    let cases = report::embedded_cases(&component);
    remote(
        daemon,
        async |client| client.upload(component).await,
        |council, installed| {
            report::Accepted {
                file: &file,
                council,
                installed: &installed,
                cases: &cases,
            }
            .to_string()
        },
        |council, refusal| {
            report::Refused {
                file: &file,
                council,
                refusal,
                cases: &cases,
            }
            .to_string()
        },
    )
}

fn refusal_line(_: &waymark::council::CouncilId, refusal: &Refusal) -> String {
    format!("{refusal}\n")
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
        Command::Serve(flags) => {
            // Everything is checked before anything is opened or logged.
            let config = waymark::config::ServeConfig::load(&flags, |k| std::env::var(k).ok())?;
            config.init_logging();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(waymark::daemon::serve(waymark::daemon::ServeOptions {
                data: config.data,
                listen: config.listen,
                manual_clock: config.manual_clock,
                seed: config.seed,
                access: waymark::api::AccessLimits {
                    rate_per_second: config.rate_per_second,
                    burst: config.rate_burst,
                    max_body_bytes: config.max_body_bytes,
                },
                data_key_file: config.data_key_file,
                compiled_cache: config.compiled_cache,
            }))
        }
        Command::Simulate(args) => simulate(args),
        Command::Backup(args) => backup(args),
        Command::DataKey { command } => data_key(command),
        Command::Restore(args) => restore(args),
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
                let path = match project_lang(&dir)? {
                    Lang::Rust => waymark::policy::build_plugin(&dir, out.as_deref())?,
                    Lang::Python => python_tools()?.build(&dir, out.as_deref())?,
                    Lang::JavaScript => waymark::policy::build_plugin(&dir, out.as_deref())?,
                };
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
                say_compiled_cache();
                let report = workbench::check(&bytes, limits, &cases)?;
                print!("{}: {report}", file.display());
                report_outcome(&report)
            }
            PluginCommand::New {
                name,
                dir,
                sdk,
                lang: Lang::JavaScript,
            } => {
                use waymark::authoring::javascript;
                let sdk = javascript::sdk_folder(sdk.as_deref())?;
                let root = javascript::scaffold_javascript(&name, &dir, &sdk)?;
                println!("created {} (JavaScript)", root.display());
                println!(
                    "  waymark-sdk from {} (`file:` in package.json; a version once it is on npm)",
                    sdk.display()
                );
                println!("next: `waymark plugin test {}`", root.display());
                Ok(())
            }
            PluginCommand::New {
                name,
                dir,
                lang: Lang::Python,
                ..
            } => {
                let root = waymark::authoring::python::scaffold(&name, &dir)?;
                println!("created {} (Python)", root.display());
                println!("next: `waymark plugin test {}`", root.display());
                Ok(())
            }
            PluginCommand::New {
                name,
                dir,
                sdk,
                lang: Lang::Rust,
            } => {
                use waymark::authoring::scaffold::{self, SdkSource};
                let sdk = SdkSource::choose(sdk.as_deref())?;
                let root = scaffold::scaffold(&name, &dir, &sdk)?;
                println!("created {}", root.display());
                match &sdk {
                    SdkSource::Checkout(path) => println!(
                        "  waymark-sdk {} from {} (`[patch.crates-io]` in Cargo.toml; delete \
                         it once the SDK is on crates.io)",
                        scaffold::sdk_version()?,
                        path.display()
                    ),
                    SdkSource::Registry => println!(
                        "  waymark-sdk {} from crates.io; until it is published there, uncomment \
                         `[patch.crates-io]` in Cargo.toml with the path of a Waymark checkout's \
                         `sdk` folder (or run `waymark plugin new` again with --sdk PATH)",
                        scaffold::sdk_version()?
                    ),
                }
                println!("next: `waymark plugin test {}`", root.display());
                Ok(())
            }
            PluginCommand::Upload { file, daemon } => upload(file, daemon),
            PluginCommand::Versions { daemon } => remote(
                daemon,
                async |client| client.versions().await,
                |council, versions| {
                    report::VersionsTable {
                        council,
                        versions: &versions,
                    }
                    .to_string()
                },
                refusal_line,
            ),
            PluginCommand::Activate { digest, daemon } => remote(
                daemon,
                async |client| client.activate(&digest).await,
                |council, activated| {
                    report::Switched {
                        council,
                        activated: &activated,
                        rollback: false,
                    }
                    .to_string()
                },
                refusal_line,
            ),
            PluginCommand::Rollback { daemon } => remote(
                daemon,
                async |client| client.rollback().await,
                |council, activated| {
                    report::Switched {
                        council,
                        activated: &activated,
                        rollback: true,
                    }
                    .to_string()
                },
                refusal_line,
            ),
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
            PluginCommand::Test { dir, limits } => {
                let limits = workbench::limits_from(limits.as_deref())?;
                say_compiled_cache();
                let (wasm, report) = match project_lang(&dir)? {
                    Lang::Rust => workbench::test_crate(&dir, limits)?,
                    Lang::Python => {
                        let tools = python_tools()?;
                        tools.test(&dir)?;
                        let wasm = tools.build(&dir, None)?;
                        let bytes = std::fs::read(&wasm)
                            .with_context(|| format!("reading {}", wasm.display()))?;
                        let golden = dir.join("golden.json");
                        let cases = if golden.is_file() {
                            workbench::golden_from(&golden)?
                        } else {
                            Vec::new()
                        };
                        (wasm, workbench::check(&bytes, limits, &cases)?)
                    }
                    Lang::JavaScript => {
                        waymark::policy::test_javascript_plugin(&dir)?;
                        let wasm = waymark::policy::build_plugin(&dir, None)?;
                        let bytes = std::fs::read(&wasm)
                            .with_context(|| format!("reading {}", wasm.display()))?;
                        let golden = dir.join("golden.json");
                        let cases = if golden.is_file() {
                            workbench::golden_from(&golden)?
                        } else {
                            Vec::new()
                        };
                        (wasm, workbench::check(&bytes, limits, &cases)?)
                    }
                };
                print!("{}: {report}", wasm.display());
                report_outcome(&report)
            }
        },
    }
}

/// The language of the plugin project in `dir`, or an error saying how to make one.
fn project_lang(dir: &std::path::Path) -> anyhow::Result<Lang> {
    Lang::of_project(dir).ok_or_else(|| {
        anyhow::anyhow!(
            "{} is not a plugin project (no Cargo.toml, app.py or package.json): run `waymark plugin \
             new NAME` (add `--lang python` or `--lang javascript`) to make one",
            dir.display()
        )
    })
}

/// Says where compiled plugins are cached, the first time (on stderr, as the tool
/// installs do).
fn say_compiled_cache() {
    let dir = workbench::compiled_cache();
    if !dir.exists() {
        eprintln!(
            "waymark: keeping compiled plugins in {} (first use; later checks compile only \
             what changed)",
            dir.display()
        );
    }
}

/// The Python tools, installed into the cache on first use (said on stderr).
fn python_tools() -> anyhow::Result<waymark::authoring::python::Toolchain> {
    Ok(waymark::authoring::python::Toolchain::ensure(
        &mut |line| eprintln!("waymark: {line}"),
    )?)
}
