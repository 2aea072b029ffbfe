//! `waymark serve`'s configuration: a TOML file, `WAYMARK_*` environment variables
//! and command-line flags, layered flags > environment > file > defaults.
//!
//! Each layer is read and checked on its own, so a refusal names the key, where it
//! came from (file, variable or flag) and what is wrong, before anything is opened.
//! The platform admin key is not a setting: it comes from `WAYMARK_ADMIN_TOKEN` only,
//! so it never sits in a file that might be committed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line, with the request's span fields (e.g. `request_id`).
    Json,
}

/// Everything `waymark serve` runs with, after layering and checking.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub manual_clock: bool,
    pub seed: Option<PathBuf>,
    pub log_format: LogFormat,
    /// A `tracing` filter: a level (`info`) or directives (`info,waymark=debug`).
    pub log_level: String,
    pub rate_per_second: f64,
    pub rate_burst: f64,
    pub max_body_bytes: usize,
    /// The file holding the master data key (64 hex digits), outside the data folder;
    /// `WAYMARK_DATA_KEY` overrides it (see `store::DataKey::resolve`).
    pub data_key_file: Option<PathBuf>,
    /// Where compiled plugins and functions are kept; `None` is `<data>/compiled`.
    pub compiled_cache: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            data: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            manual_clock: false,
            seed: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            rate_per_second: 50.0,
            rate_burst: 200.0,
            max_body_bytes: 64 * 1024,
            data_key_file: None,
            compiled_cache: None,
        }
    }
}

/// The flags of `waymark serve`. None has a default here: an absent flag leaves the
/// setting to the environment, the file or the default, in that order.
#[derive(Debug, Default, clap::Args)]
#[command(
    after_help = "Settings are read from flags, then WAYMARK_* environment variables, then \
    the TOML file given by --config or WAYMARK_CONFIG, then the defaults; the first that sets a \
    value wins. A bad value anywhere stops the daemon before it opens anything. See \
    examples/waymark.toml for a commented file. The platform admin key comes only from \
    WAYMARK_ADMIN_TOKEN (at least 16 characters), never from the file."
)]
pub struct ServeFlags {
    /// TOML file of settings (keys as named below) [env: WAYMARK_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data folder: sled store, compiled plugin cache, lock file [env: WAYMARK_DATA] [toml: data]
    /// [default: data]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Address to listen on, IP:PORT; loopback by default, so put a TLS proxy in front for
    /// anything else [env: WAYMARK_LISTEN] [toml: listen] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Use a clock that moves only via `POST /v1/admin/clock` (tests, demos)
    /// [env: WAYMARK_MANUAL_CLOCK=true|false] [toml: manual_clock] [default: false]
    #[arg(long)]
    pub manual_clock: bool,
    /// TOML file of councils (and their plugins) to create if absent [env: WAYMARK_SEED]
    /// [toml: seed]
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Log format [env: WAYMARK_LOG_FORMAT] [toml: log_format] [default: text]
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives such as
    /// `info,waymark=debug` [env: WAYMARK_LOG_LEVEL, else RUST_LOG] [toml: log_level]
    /// [default: info]
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Sustained requests per second allowed per API key, above 0 (429 beyond it)
    /// [env: WAYMARK_RATE_PER_SECOND] [toml: rate_per_second] [default: 50]
    #[arg(long, value_name = "N")]
    pub rate_per_second: Option<f64>,
    /// Requests an API key may make in a burst before the rate applies, at least 1
    /// [env: WAYMARK_RATE_BURST] [toml: rate_burst] [default: 200]
    #[arg(long, value_name = "N")]
    pub rate_burst: Option<f64>,
    /// Largest JSON request body in bytes, at least 1024 (413 beyond it); plugin uploads
    /// have their own limit [env: WAYMARK_MAX_BODY_BYTES] [toml: max_body_bytes]
    /// [default: 65536]
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// File holding the master data key (64 hex digits), outside the data folder;
    /// WAYMARK_DATA_KEY (the key itself) overrides it. Neither set: `<data>.key` beside
    /// the data folder, generated if absent [env: WAYMARK_DATA_KEY_FILE]
    /// [toml: data_key_file]
    #[arg(long, value_name = "PATH")]
    pub data_key_file: Option<PathBuf>,
    /// Folder of compiled plugins (machine code, so private to the daemon's user), which
    /// several daemons of the same version may share; only accepted plugins are written
    /// [env: WAYMARK_COMPILED_CACHE] [toml: compiled_cache] [default: <data>/compiled]
    #[arg(long, value_name = "DIR")]
    pub compiled_cache: Option<PathBuf>,
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}; check --config / WAYMARK_CONFIG")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error(
        "unknown key `{key}` in {origin}; the keys are: {}",
        KEYS.join(", ")
    )]
    UnknownKey { key: String, origin: String },
    #[error("`{key}` (from {origin}): {reason}")]
    Invalid {
        key: &'static str,
        origin: String,
        reason: String,
    },
}

/// Every TOML key, in the order `--help` lists them.
pub const KEYS: &[&str] = &[
    "data",
    "listen",
    "manual_clock",
    "seed",
    "log_format",
    "log_level",
    "rate_per_second",
    "rate_burst",
    "max_body_bytes",
    "data_key_file",
    "compiled_cache",
];

/// The smallest body limit allowed: below it even a referral would not fit.
const MIN_BODY_BYTES: usize = 1024;

/// One source's settings; `None` leaves a setting to the next source down.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Layer {
    pub data: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub manual_clock: Option<bool>,
    pub seed: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    pub rate_per_second: Option<f64>,
    pub rate_burst: Option<f64>,
    pub max_body_bytes: Option<usize>,
    pub data_key_file: Option<PathBuf>,
    pub compiled_cache: Option<PathBuf>,
}

impl Layer {
    /// Reads a TOML file's settings, refusing unknown keys and values of the wrong type.
    pub fn from_file(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Layer::from_toml(&text, path)
    }

    pub fn from_toml(text: &str, path: &Path) -> Result<Layer, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: path.to_owned(),
                    message: e.message().to_owned(),
                })?;
        let origin = format!("config file {}", path.display());
        let mut layer = Layer::default();
        for (key, value) in table {
            let Some(&known) = KEYS.iter().find(|k| **k == key) else {
                return Err(ConfigError::UnknownKey { key, origin });
            };
            let invalid = |reason: String| ConfigError::Invalid {
                key: known,
                origin: origin.clone(),
                reason,
            };
            match known {
                "data" => layer.data = Some(typed::<PathBuf>(value).map_err(invalid)?),
                "listen" => {
                    let text = typed::<String>(value).map_err(invalid)?;
                    layer.listen = Some(address(&text).map_err(invalid)?);
                }
                "manual_clock" => layer.manual_clock = Some(typed(value).map_err(invalid)?),
                "seed" => layer.seed = Some(typed::<PathBuf>(value).map_err(invalid)?),
                "log_format" => layer.log_format = Some(typed(value).map_err(invalid)?),
                "log_level" => layer.log_level = Some(typed(value).map_err(invalid)?),
                "rate_per_second" => layer.rate_per_second = Some(typed(value).map_err(invalid)?),
                "rate_burst" => layer.rate_burst = Some(typed(value).map_err(invalid)?),
                "max_body_bytes" => layer.max_body_bytes = Some(typed(value).map_err(invalid)?),
                "data_key_file" => {
                    layer.data_key_file = Some(typed::<PathBuf>(value).map_err(invalid)?)
                }
                "compiled_cache" => {
                    layer.compiled_cache = Some(typed::<PathBuf>(value).map_err(invalid)?)
                }
                _ => return Err(ConfigError::UnknownKey { key, origin }),
            }
        }
        layer.check(&origin)?;
        Ok(layer)
    }

    /// Reads `WAYMARK_*` variables through `var` (the process environment in the daemon).
    /// `RUST_LOG` stands in for `WAYMARK_LOG_LEVEL` when that is unset.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
        fn parsed<T>(
            var: &impl Fn(&str) -> Option<String>,
            key: &'static str,
            name: &str,
            parse: impl Fn(&str) -> Result<T, String>,
        ) -> Result<Option<T>, ConfigError> {
            var(name)
                .map(|v| {
                    parse(v.trim()).map_err(|reason| ConfigError::Invalid {
                        key,
                        origin: format!("environment variable {name}"),
                        reason,
                    })
                })
                .transpose()
        }
        let path = |s: &str| Ok(PathBuf::from(s));
        let layer = Layer {
            data: parsed(&var, "data", "WAYMARK_DATA", path)?,
            listen: parsed(&var, "listen", "WAYMARK_LISTEN", address)?,
            manual_clock: parsed(&var, "manual_clock", "WAYMARK_MANUAL_CLOCK", boolean)?,
            seed: parsed(&var, "seed", "WAYMARK_SEED", path)?,
            log_format: parsed(&var, "log_format", "WAYMARK_LOG_FORMAT", log_format)?,
            log_level: match parsed(&var, "log_level", "WAYMARK_LOG_LEVEL", text)? {
                Some(level) => Some(level),
                None => parsed(&var, "log_level", "RUST_LOG", text)?,
            },
            rate_per_second: parsed(&var, "rate_per_second", "WAYMARK_RATE_PER_SECOND", number)?,
            rate_burst: parsed(&var, "rate_burst", "WAYMARK_RATE_BURST", number)?,
            max_body_bytes: parsed(&var, "max_body_bytes", "WAYMARK_MAX_BODY_BYTES", |s| {
                s.parse::<usize>()
                    .map_err(|_| format!("`{s}` is not a whole number of bytes"))
            })?,
            data_key_file: parsed(&var, "data_key_file", "WAYMARK_DATA_KEY_FILE", path)?,
            compiled_cache: parsed(&var, "compiled_cache", "WAYMARK_COMPILED_CACHE", path)?,
        };
        // Which variable a bad value came from is in the per-variable errors above; a
        // range error names the setting's variable.
        layer.check("the environment (WAYMARK_* variables)")?;
        Ok(layer)
    }

    pub fn from_flags(flags: &ServeFlags) -> Result<Layer, ConfigError> {
        let layer = Layer {
            data: flags.data.clone(),
            listen: flags.listen,
            manual_clock: flags.manual_clock.then_some(true),
            seed: flags.seed.clone(),
            log_format: flags.log_format,
            log_level: flags.log_level.clone(),
            rate_per_second: flags.rate_per_second,
            rate_burst: flags.rate_burst,
            max_body_bytes: flags.max_body_bytes,
            data_key_file: flags.data_key_file.clone(),
            compiled_cache: flags.compiled_cache.clone(),
        };
        layer.check("the command line")?;
        Ok(layer)
    }

    /// Range checks: each layer is checked alone, so the refusal says where the value was.
    fn check(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |key, reason: String| ConfigError::Invalid {
            key,
            origin: origin.to_owned(),
            reason,
        };
        if let Some(r) = self.rate_per_second
            && !(r.is_finite() && r > 0.0)
        {
            return Err(invalid(
                "rate_per_second",
                format!("{r} is not allowed: give a number of requests per second above 0"),
            ));
        }
        if let Some(b) = self.rate_burst
            && !(b.is_finite() && b >= 1.0)
        {
            return Err(invalid(
                "rate_burst",
                format!("{b} is not allowed: give a burst of at least 1 request"),
            ));
        }
        if let Some(m) = self.max_body_bytes
            && m < MIN_BODY_BYTES
        {
            return Err(invalid(
                "max_body_bytes",
                format!("{m} is too small: give at least {MIN_BODY_BYTES} bytes"),
            ));
        }
        if let Some(level) = &self.log_level {
            tracing_subscriber::EnvFilter::builder()
                .parse(level)
                .map_err(|e| {
                    invalid(
                        "log_level",
                        format!(
                            "`{level}` is not a log filter ({e}): give a level such as `info` \
                             or directives such as `info,waymark=debug`"
                        ),
                    )
                })?;
        }
        for (key, path) in [
            ("data", &self.data),
            ("seed", &self.seed),
            ("data_key_file", &self.data_key_file),
            ("compiled_cache", &self.compiled_cache),
        ] {
            if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(invalid(key, "an empty path is not allowed".into()));
            }
        }
        Ok(())
    }

    /// `self` over `below`: each setting `self` has wins.
    fn over(self, below: Layer) -> Layer {
        Layer {
            data: self.data.or(below.data),
            listen: self.listen.or(below.listen),
            manual_clock: self.manual_clock.or(below.manual_clock),
            seed: self.seed.or(below.seed),
            log_format: self.log_format.or(below.log_format),
            log_level: self.log_level.or(below.log_level),
            rate_per_second: self.rate_per_second.or(below.rate_per_second),
            rate_burst: self.rate_burst.or(below.rate_burst),
            max_body_bytes: self.max_body_bytes.or(below.max_body_bytes),
            data_key_file: self.data_key_file.or(below.data_key_file),
            compiled_cache: self.compiled_cache.or(below.compiled_cache),
        }
    }

    /// The settings this layer leaves unset come from the defaults.
    fn or_defaults(self) -> ServeConfig {
        let d = ServeConfig::default();
        ServeConfig {
            data: self.data.unwrap_or(d.data),
            listen: self.listen.unwrap_or(d.listen),
            manual_clock: self.manual_clock.unwrap_or(d.manual_clock),
            seed: self.seed.or(d.seed),
            log_format: self.log_format.unwrap_or(d.log_format),
            log_level: self.log_level.unwrap_or(d.log_level),
            rate_per_second: self.rate_per_second.unwrap_or(d.rate_per_second),
            rate_burst: self.rate_burst.unwrap_or(d.rate_burst),
            max_body_bytes: self.max_body_bytes.unwrap_or(d.max_body_bytes),
            data_key_file: self.data_key_file.or(d.data_key_file),
            compiled_cache: self.compiled_cache.or(d.compiled_cache),
        }
    }
}

impl ServeConfig {
    /// Layers flags over the environment over the file (from `--config`, else
    /// `WAYMARK_CONFIG`) over the defaults.
    pub fn load(
        flags: &ServeFlags,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ServeConfig, ConfigError> {
        let file = match flags
            .config
            .clone()
            .or_else(|| var("WAYMARK_CONFIG").map(PathBuf::from))
        {
            Some(path) => Layer::from_file(&path)?,
            None => Layer::default(),
        };
        let env = Layer::from_env(&var)?;
        let flags = Layer::from_flags(flags)?;
        Ok(flags.over(env.over(file)).or_defaults())
    }

    /// Installs the global log subscriber: text or JSON lines on standard error.
    pub fn init_logging(&self) {
        // Checked when the layer was read; "info" only if the check and this disagree.
        let filter = tracing_subscriber::EnvFilter::builder()
            .parse(&self.log_level)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        match self.log_format {
            LogFormat::Text => builder.init(),
            LogFormat::Json => builder.json().init(),
        }
    }
}

/// The value as `T`; serde's message says what was found and what was expected.
fn typed<T: serde::de::DeserializeOwned>(value: toml::Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| e.message().to_owned())
}

fn address(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| {
        format!("`{s}` is not an address to listen on: give IP:PORT, such as 127.0.0.1:8080")
    })
}

fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("`{s}` is not true or false")),
    }
}

fn number(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("`{s}` is not a number"))
}

fn text(s: &str) -> Result<String, String> {
    Ok(s.to_owned())
}

fn log_format(s: &str) -> Result<LogFormat, String> {
    match s.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("`{s}` is not a log format: give `text` or `json`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("waymark.toml");
        std::fs::write(&path, text).expect("write config");
        (dir, path)
    }

    fn refusal(text: &str) -> String {
        let (_dir, path) = file(text);
        let flags = ServeFlags {
            config: Some(path),
            ..ServeFlags::default()
        };
        ServeConfig::load(&flags, env(&[]))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn nothing_given_means_the_defaults() {
        let config = ServeConfig::load(&ServeFlags::default(), env(&[])).expect("loads");
        assert_eq!(config, ServeConfig::default());
    }

    #[test]
    fn flags_beat_environment_beats_file_beats_defaults() {
        let (_dir, path) = file(
            "listen = \"127.0.0.1:9001\"\nrate_per_second = 5\nrate_burst = 7.5\n\
             log_level = \"warn\"\nmax_body_bytes = 2048\n",
        );
        let flags = ServeFlags {
            config: Some(path),
            listen: Some("127.0.0.1:9003".parse().expect("addr")),
            ..ServeFlags::default()
        };
        let config = ServeConfig::load(
            &flags,
            env(&[
                ("WAYMARK_LISTEN", "127.0.0.1:9002"),
                ("WAYMARK_RATE_PER_SECOND", "6"),
                ("WAYMARK_LOG_FORMAT", "json"),
            ]),
        )
        .expect("loads");
        assert_eq!(config.listen.port(), 9003, "flag over env and file");
        assert_eq!(config.rate_per_second, 6.0, "env over file");
        assert_eq!(config.rate_burst, 7.5, "file over default");
        assert_eq!(config.log_level, "warn", "file over default");
        assert_eq!(config.max_body_bytes, 2048);
        assert_eq!(config.log_format, LogFormat::Json, "env over default");
        assert_eq!(config.data, PathBuf::from("data"), "default");
    }

    #[test]
    fn the_config_file_can_come_from_the_environment() {
        let (_dir, path) = file("manual_clock = true\n");
        let path = path.to_str().expect("utf-8 path").to_owned();
        let config = ServeConfig::load(&ServeFlags::default(), env(&[("WAYMARK_CONFIG", &path)]))
            .expect("loads");
        assert!(config.manual_clock);
    }

    #[test]
    fn waymark_log_level_beats_rust_log() {
        let both = Layer::from_env(env(&[("WAYMARK_LOG_LEVEL", "debug"), ("RUST_LOG", "warn")]))
            .expect("loads");
        assert_eq!(both.log_level.as_deref(), Some("debug"));
        let only = Layer::from_env(env(&[("RUST_LOG", "warn")])).expect("loads");
        assert_eq!(only.log_level.as_deref(), Some("warn"));
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        let e = refusal("rate = 5\n");
        assert!(e.contains("unknown key `rate`"), "{e}");
        assert!(e.contains("rate_per_second"), "lists the real keys: {e}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_by_key() {
        let e = refusal("rate_burst = \"lots\"\n");
        assert!(e.contains("`rate_burst`"), "{e}");
        assert!(e.contains("string"), "{e}");
        let e = refusal("manual_clock = 1\n");
        assert!(e.contains("`manual_clock`"), "{e}");
        let e = refusal("log_format = \"yaml\"\n");
        assert!(e.contains("`log_format`"), "{e}");
    }

    #[test]
    fn a_rate_of_zero_is_refused() {
        let e = refusal("rate_per_second = 0\n");
        assert!(e.contains("`rate_per_second`"), "{e}");
        assert!(e.contains("above 0"), "{e}");
        let e = refusal("rate_burst = 0.5\n");
        assert!(e.contains("`rate_burst`"), "{e}");
    }

    #[test]
    fn a_tiny_or_negative_body_limit_is_refused() {
        let e = refusal("max_body_bytes = 10\n");
        assert!(
            e.contains("`max_body_bytes`") && e.contains("at least 1024"),
            "{e}"
        );
        let e = refusal("max_body_bytes = -1\n");
        assert!(e.contains("`max_body_bytes`"), "{e}");
    }

    #[test]
    fn an_unparsable_listen_address_is_refused() {
        let e = refusal("listen = \"localhost:80x\"\n");
        assert!(e.contains("`listen`") && e.contains("IP:PORT"), "{e}");
        let e = Layer::from_env(env(&[("WAYMARK_LISTEN", "nowhere")]))
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("`listen`") && e.contains("WAYMARK_LISTEN"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_log_filter_is_refused() {
        let e = refusal("log_level = \"info,waymark=loud\"\n");
        assert!(e.contains("`log_level`"), "{e}");
    }

    #[test]
    fn bad_environment_values_name_their_variable() {
        let e = Layer::from_env(env(&[("WAYMARK_RATE_BURST", "many")]))
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("WAYMARK_RATE_BURST") && e.contains("`rate_burst`"),
            "{e}"
        );
        let e = Layer::from_env(env(&[("WAYMARK_MANUAL_CLOCK", "perhaps")]))
            .expect_err("refused")
            .to_string();
        assert!(e.contains("WAYMARK_MANUAL_CLOCK"), "{e}");
        let e = Layer::from_env(env(&[("WAYMARK_RATE_PER_SECOND", "0")]))
            .expect_err("refused")
            .to_string();
        assert!(e.contains("`rate_per_second`"), "{e}");
    }

    #[test]
    fn a_bad_flag_is_refused_too() {
        let flags = ServeFlags {
            rate_per_second: Some(0.0),
            ..ServeFlags::default()
        };
        let e = ServeConfig::load(&flags, env(&[]))
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("`rate_per_second`") && e.contains("command line"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_config_file_or_broken_toml_is_refused() {
        let flags = ServeFlags {
            config: Some(PathBuf::from("/nonexistent/waymark.toml")),
            ..ServeFlags::default()
        };
        let e = ServeConfig::load(&flags, env(&[]))
            .expect_err("refused")
            .to_string();
        assert!(e.contains("cannot read the config file"), "{e}");
        let e = refusal("listen = \n");
        assert!(e.contains("not valid TOML"), "{e}");
    }

    #[test]
    fn the_example_config_file_parses_and_mentions_every_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/waymark.toml");
        let layer = Layer::from_file(&path).expect("examples/waymark.toml is valid");
        let text = std::fs::read_to_string(&path).expect("read example");
        // Every key is documented in the example, set or commented out.
        for key in KEYS {
            assert!(text.contains(&format!("{key} =")), "example lacks `{key}`");
        }
        let config = layer.or_defaults();
        assert!(config.rate_per_second > 0.0);
    }
}
