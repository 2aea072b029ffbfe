//! The end-to-end harness: the real `waymark` binary on a temporary data folder,
//! real plugins built from `plugins/`, and a real HTTP client.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod receiver;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789";
/// The master data key every test daemon is started with (`WAYMARK_DATA_KEY`), so no
/// key file is generated beside a test's data folder.
pub const DATA_KEY: &str = "6b6579206f6620746865207465737420646165e0f1d2c3b4a5968778695a4b3c";

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// The daemon under test: `WAYMARK_TEST_BIN` if set (a copy of the binary, safe from
/// another worktree rebuilding the shared target folder meanwhile), else cargo's.
pub fn waymark_bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    start_building_the_ports();
    BIN.get_or_init(|| {
        std::env::var("WAYMARK_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_waymark").into())
    })
}

/// Builds an example plugin once per test binary with `waymark plugin build`.
pub fn plugin(name: &str) -> PathBuf {
    build_once(&workspace().join("plugins").join(name), name)
}

/// Builds a test-fixture plugin (`tests/plugins/<name>`) once per test binary.
pub fn fixture_plugin(name: &str) -> PathBuf {
    build_once(&workspace().join("tests").join("plugins").join(name), name)
}

fn build_once(crate_dir: &Path, name: &str) -> PathBuf {
    // One lock per plugin, not one for all: a test waiting for one plugin never waits
    // for another's build (the Python port takes most of a minute on a fresh machine).
    type Builds = std::sync::Mutex<std::collections::HashMap<String, Arc<OnceLock<PathBuf>>>>;
    static BUILT: OnceLock<Builds> = OnceLock::new();
    let once = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(name.to_owned())
        .or_default()
        .clone();
    once.get_or_init(|| {
        let out = workspace()
            .join("target")
            .join("e2e-plugins")
            .join(format!("{name}.wasm"));
        // Built under a name of this process's own, then renamed into place: another
        // test process reading the same plugin never sees it half-written.
        let partial = out.with_extension(format!("wasm.{}.partial", std::process::id()));
        let status = Command::new(waymark_bin())
            .args(["plugin", "build"])
            .arg(crate_dir)
            .arg("--out")
            .arg(&partial)
            .status()
            .expect("run waymark plugin build");
        assert!(status.success(), "building plugin {name} failed");
        std::fs::rename(&partial, &out).expect("move the built plugin into place");
        out
    })
    .clone()
}

/// Starts building Stoke-on-Trent's Python and JavaScript ports in the background,
/// once per test binary. On a fresh machine their first build installs each
/// language's tools (componentize-py from PyPI, ComponentizeJS from npm, about
/// 400 MB), mostly waiting on the network: begun as the suite starts, that wait
/// overlaps the other tests instead of holding up the first Python or JavaScript one,
/// which then finds its port built (or waits for the build under way).
///
/// Only when the whole suite runs: a run of one area (`… --test e2e consent::`)
/// should not install tools it will not use.
fn start_building_the_ports() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        // A filter is an argument that is neither a flag nor a flag's number.
        let filtered = std::env::args()
            .skip(1)
            .any(|a| !a.starts_with('-') && a.parse::<u32>().is_err());
        if filtered {
            return;
        }
        std::thread::spawn(|| {
            // A failure here is the tests' to report: they build the same ports and
            // get the same error, named.
            let _ = std::panic::catch_unwind(|| plugin("stoke-on-trent-py"));
            let _ = std::panic::catch_unwind(|| plugin("stoke-on-trent-js"));
        });
    });
}

/// A running daemon. Dropping it kills the process.
pub struct Daemon {
    child: Child,
    pub base: String,
    pub data: PathBuf,
    /// Everything the daemon wrote to stdout and stderr so far.
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Daemon {
    pub fn start(data: &Path) -> Daemon {
        Daemon::start_with(data, &[])
    }

    /// Starts with extra environment variables (e.g. `RUST_LOG`, rate limits).
    pub fn start_with(data: &Path, env: &[(&str, &str)]) -> Daemon {
        Daemon::start_with_args(data, env, &[])
    }

    /// Starts with extra environment variables and extra `serve` arguments (e.g. `--seed`).
    pub fn start_with_args(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Daemon {
        // reqwest is built with rustls and no default crypto provider: every
        // client in a test process needs the one the daemon installs.
        waymark::outbox::delivery::install_tls_provider();
        let mut command = Command::new(waymark_bin());
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--manual-clock",
                "--data",
            ])
            .arg(data)
            .args(args)
            .env("WAYMARK_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("WAYMARK_DATA_KEY", DATA_KEY)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Every test's daemon compiles the same few plugins: they share one compiled
        // cache (written whole and renamed, so concurrent daemons are safe), unless
        // the test names its own, which the loop below sets in its place.
        command.env("WAYMARK_COMPILED_CACHE", shared_compiled_cache());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn waymark serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        // Drained continuously, so a chatty daemon never blocks on a full pipe.
        let err_output = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut out = err_output.lock().unwrap_or_else(|p| p.into_inner());
                out.push_str(&line);
                out.push('\n');
            }
        });
        let out_output = output.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                {
                    let mut out = out_output.lock().unwrap_or_else(|p| p.into_inner());
                    out.push_str(&line);
                    out.push('\n');
                }
                if let Some(rest) = line.strip_prefix("Waymark is serving on http://") {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("daemon printed its address within 60 s");
        Daemon {
            child,
            base: format!("http://{addr}"),
            data: data.to_owned(),
            output,
        }
    }

    /// The daemon's stdout and stderr so far.
    pub fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// SIGKILL, then waits until the output readers have seen the end of both pipes.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(200));
        self.output()
    }

    /// SIGKILL: no shutdown handler runs, nothing is flushed on the way out.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The daemon's process id (e.g. to read its resident memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token: ADMIN_TOKEN.to_owned(),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Client {
    /// The same daemon, with another API key.
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            http: self.http.clone(),
            token: token.to_owned(),
        }
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.http.delete(format!("{}{path}", self.base)))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request reached the daemon");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("read body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.patch(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn put_wasm(&self, path: &str, bytes: Vec<u8>) -> Reply {
        self.send(
            self.http
                .put(format!("{}{path}", self.base))
                .header("content-type", "application/wasm")
                .body(bytes),
        )
        .await
    }

    pub async fn set_clock(&self, now: &str) {
        let r = self
            .post("/v1/admin/clock", serde_json::json!({ "now": now }))
            .await;
        assert_eq!(r.status, 200, "set clock: {}", r.body);
    }

    /// Polls `path` until `done` holds for its body, or fails after `within`.
    pub async fn wait_for(
        &self,
        path: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let r = self.get(path).await;
            if r.status == 200 && done(&r.body) {
                return r.body;
            }
            assert!(
                start.elapsed() < within,
                "condition on {path} not met within {within:?}; last: {} {}",
                r.status,
                r.body
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Creates a council as the platform admin and makes one of the example plugins
/// (`plugins/<plugin>`) its active plugin: the set-up most end-to-end tests share.
pub async fn council_with_plugin(admin: &Client, id: &str, name: &str, plugin_name: &str) {
    let r = admin
        .post(
            "/v1/councils",
            serde_json::json!({ "id": id, "name": name }),
        )
        .await;
    assert_eq!(r.status, 201, "creating council {id}: {}", r.body);
    let wasm = std::fs::read(plugin(plugin_name)).expect("built plugin");
    let r = admin
        .put_wasm(&format!("/v1/councils/{id}/plugin"), wasm)
        .await;
    assert_eq!(r.status, 200, "uploading {plugin_name} to {id}: {}", r.body);
}

/// Refers an eligible adult in ST4 (via the Jobcentre) to `council` and records their
/// start on Monday 5 January 2026: the participant most end-to-end tests need.
/// Returns the participant id.
pub async fn started_participant(api: &Client, council: &str) -> String {
    let r = api
        .post(
            &format!("/v1/councils/{council}/referrals"),
            serde_json::json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "ST4 1AB" }),
        )
        .await;
    assert_eq!(r.status, 201, "referring to {council}: {}", r.body);
    let id = r.body["participant_id"]
        .as_str()
        .expect("participant_id")
        .to_owned();
    let r = api
        .post(
            &format!("/v1/councils/{council}/participants/{id}/events"),
            serde_json::json!({ "type": "started", "at": "2026-01-05" }),
        )
        .await;
    assert_eq!(r.status, 200, "starting {id}: {}", r.body);
    id
}

/// A new API key with `role` for the council at `council` (its `/v1/councils/{id}`
/// path), made by `admin`: its id, and a client that uses it.
pub async fn key(admin: &Client, council: &str, role: &str) -> (String, Client) {
    let r = admin
        .post(
            &format!("{council}/keys"),
            serde_json::json!({ "role": role, "name": format!("{role} key") }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["secret"].as_str().expect("secret").to_owned();
    let id = r.body["id"].as_str().expect("id").to_owned();
    (id, admin.with_token(&secret))
}

/// The compiled cache every test's daemon shares (unless the test names its own),
/// with `waymark plugin check | test` (`$WAYMARK_CACHE/compiled`) and the tests' own
/// engines. A plugin compiled once is read back from disk by every other daemon
/// rather than compiled again; a Python or JavaScript component is tens of MB,
/// nearly all of it the language's runtime, and with one cache the runtime's
/// functions are compiled once for the whole run.
pub fn shared_compiled_cache() -> PathBuf {
    waymark::policy::workbench::compiled_cache()
}

/// A policy engine over [`shared_compiled_cache`]: the first test that loads a
/// plugin compiles it (see [`compiled_once`]) and every other reads it back from disk.
pub fn shared_policies() -> waymark::policy::Policies {
    let settings = waymark::policy::EngineSettings {
        pooled_instances: 4,
        cache_dir: Some(shared_compiled_cache()),
        ..waymark::policy::EngineSettings::default()
    };
    waymark::policy::Policies::new(&settings, waymark::policy::Limits::default())
        .expect("the engine starts")
}

/// Loads `wasm` into `policies` (a [`shared_policies`]), one test at a time, so two
/// tests wanting the same component never both compile it: the second finds it in
/// the disk cache the first wrote.
pub fn compiled_once(
    policies: &waymark::policy::Policies,
    wasm: &[u8],
) -> std::sync::Arc<waymark::policy::Plugin> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    policies
        .load(wasm)
        .unwrap_or_else(|e| panic!("the plugin loads: {e}"))
}
