//! Python plugins, built with componentize-py by `waymark plugin build` (which
//! installs it into the cache on first use), in the real sandbox and through the
//! daemon: Stoke-on-Trent's Python port passes the Rust plugin's `golden.json` and
//! decides exactly as the Rust plugin does on a 1,000-person simulated cohort; its
//! compiled code survives a restart in the disk cache; a Python plugin that reaches
//! for files, sockets, the clock or for ever is contained; and a new Python plugin
//! goes from `waymark plugin new --lang python` outside the checkout to a decision.
//!
//! Each Python component is built once per test run (`support::plugin`), and is
//! about 19 MB: the figures these tests print (size, compile time cold and from the
//! cache, per-decision time) are the ones docs/plugins-python.md quotes.

use crate::support;

use std::process::{Command, Output};
use std::time::Instant;

use serde_json::json;
use support::{Daemon, fixture_plugin, plugin, waymark_bin, workspace};
use waymark::journey::Programme;
use waymark::policy::{Language, Limits};
use waymark::simulate::{self, CohortSpec, Variant};

fn bytes(path: std::path::PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn stoke_on_trent_in_python_passes_the_rust_golden_cases_in_the_sandbox() {
    let wasm = bytes(plugin("stoke-on-trent-py"));
    assert_eq!(Language::of(&wasm), Language::Python);
    let golden: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("plugins/stoke-on-trent/golden.json"))
            .expect("the Rust plugin's golden.json"),
    )
    .expect("golden.json is JSON");

    let policies = support::shared_policies();
    support::compiled_once(&policies, &wasm);
    let started = Instant::now();
    let checked = policies
        .check_upload(&wasm, &Limits::default())
        .unwrap_or_else(|e| panic!("the Python port is refused: {e}"));
    eprintln!(
        "stoke-on-trent-py: {} bytes; linked and {} golden cases run in {:?}",
        wasm.len(),
        checked.golden_cases,
        started.elapsed()
    );
    assert_eq!(checked.golden_cases, golden.len());
    assert_eq!(checked.plugin.language(), Language::Python);
}

/// One cohort, three languages: the Rust plugin and its Python and JavaScript ports
/// make the same decisions, fire the same timers and end in the same states.
#[test]
fn the_rust_python_and_javascript_ports_decide_identically_on_a_simulated_cohort() {
    let policies = support::shared_policies();
    let load = |wasm| support::compiled_once(&policies, &bytes(wasm));
    let cohort = simulate::generate(&CohortSpec::stoke(1_000, 17));
    let run = |variant: &Variant| {
        let started = Instant::now();
        let (_, run) = simulate::simulate(
            variant,
            &cohort,
            15,
            waymark::schedule::calendar::Nation::EnglandAndWales,
            |_, _| {},
        )
        .expect("the simulation runs");
        (run, started.elapsed())
    };
    let variant = |plugin| Variant {
        plugin,
        settings: json!({}),
        programme: Programme::ConnectToWork,
    };
    let (rust, rust_time) = run(&variant(load(plugin("stoke-on-trent"))));
    let per_decision = |time: std::time::Duration, calls: u64| {
        time / u32::try_from(calls.max(1)).unwrap_or(u32::MAX)
    };
    eprintln!(
        "1,000-person cohort: {} decisions; Rust {rust_time:?} ({:?} a decision)",
        rust.decisions.len(),
        per_decision(rust_time, rust.plugin_calls),
    );
    assert!(rust.decisions.len() > 1_000, "{}", rust.decisions.len());
    // The two ports are slow (milliseconds a decision): they run side by side.
    let ports = [
        ("Python", variant(load(plugin("stoke-on-trent-py")))),
        ("JavaScript", variant(load(plugin("stoke-on-trent-js")))),
    ];
    let runs: Vec<_> = std::thread::scope(|s| {
        let running: Vec<_> = ports
            .iter()
            .map(|(language, port)| (*language, s.spawn(|| run(port))))
            .collect();
        running
            .into_iter()
            .map(|(language, r)| (language, r.join().expect("the simulation thread")))
            .collect()
    });
    for (language, (other, time)) in runs {
        eprintln!(
            "  {language} {time:?} ({:?} a decision)",
            per_decision(time, other.plugin_calls)
        );
        assert_eq!(rust.human_review, other.human_review, "{language}");
        for (r, p) in rust.decisions.iter().zip(&other.decisions) {
            assert_eq!(r, p, "the first decision that differs in {language}");
        }
        assert_eq!(rust.decisions.len(), other.decisions.len(), "{language}");
        assert_eq!(rust.fired, other.fired, "{language}");
        assert_eq!(rust.final_states, other.final_states, "{language}");
    }
}

#[test]
fn a_restart_loads_the_python_plugin_from_the_disk_cache_without_recompiling() {
    let wasm = bytes(plugin("stoke-on-trent-py"));

    // The first engine compiles it, or finds it compiled by another test of this run:
    // either way it is then in the run's disk cache.
    let first = support::shared_policies();
    let started = Instant::now();
    let plugin = support::compiled_once(&first, &wasm);
    let loaded = started.elapsed();
    let seen = first.compilations();
    assert_eq!(seen.compiled + seen.from_cache, 1, "{seen:?}");
    drop((plugin, first));

    // A restart is a new engine over the same folder: nothing is compiled again.
    let restarted = support::shared_policies();
    let started = Instant::now();
    restarted.load(&wasm).expect("loads from the cache");
    let cached = started.elapsed();
    eprintln!(
        "stoke-on-trent-py: loaded in {loaded:?} ({}); after a restart, from the disk cache in {cached:?}",
        if seen.compiled == 1 {
            "compiled"
        } else {
            "from the cache"
        }
    );
    assert_eq!(
        restarted.compilations(),
        waymark::policy::Compilations {
            compiled: 0,
            from_cache: 1,
            functions_from_cache: 0,
            functions_compiled: 0,
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_plugin_that_reaches_outside_is_contained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "hostile-py", "name": "Hostile" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = api
        .put_wasm(
            "/v1/councils/hostile-py/plugin",
            bytes(fixture_plugin("hostile-py")),
        )
        .await;
    assert_eq!(r.status, 200, "the hostile plugin uploads: {}", r.body);

    // A file, a socket or a loop for ever: no decision, the case goes to a person.
    // A loop ends on whichever comes first on a busy machine, fuel or deadline.
    for (postcode, why) in [
        ("ZE1 0AA", &["crashed"][..]),
        ("ZE2 9AA", &["crashed"]),
        ("ZE4 9AA", &["fuel", "took longer"]),
    ] {
        let body = refer(&api, postcode).await;
        assert!(body["decision"].is_null(), "{postcode}: {body}");
        let reason = body["review_reason"].as_str().unwrap_or_default();
        assert!(
            why.iter().any(|w| reason.contains(w)),
            "{postcode}: {reason}"
        );
        assert_eq!(api.get("/healthz").await.status, 200);
    }

    // The clock it reads is midnight of the as-of date, 2 March 2026 (UTC), and
    // stopped: no real time gets in.
    let body = refer(&api, "ZE3 9AA").await;
    let text = body["decision"]["reasons"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(text, "time.time()=1772409600 monotonic=0", "{body}");

    // An hour's sleep takes no time (the stopped clock's timers fire at once), so
    // it never holds a decision thread.
    let started = Instant::now();
    let body = refer(&api, "ZE5 9AA").await;
    assert_eq!(
        body["decision"]["reasons"][0]["rule"], "clock.slept",
        "{body}"
    );
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());

    // No environment, and randomness that is a function of the input: two referrals
    // with the same facts on the same day draw the same numbers.
    let first = refer(&api, "ZE6 9AA").await;
    let second = refer(&api, "ZE6 9AA").await;
    let drawn = first["decision"]["reasons"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(drawn.starts_with("env=[] draws=["), "{first}");
    assert_eq!(
        drawn,
        second["decision"]["reasons"][0]["text"]
            .as_str()
            .unwrap_or_default()
    );

    // And it still decides an ordinary referral.
    let body = refer(&api, "ST4 1AB").await;
    assert_eq!(body["decision"]["outcome"], "accept", "{body}");
}

/// Refers someone born in 1990 from `postcode` to the hostile council; the answer.
async fn refer(api: &support::Client, postcode: &str) -> serde_json::Value {
    let r = api
        .post(
            "/v1/councils/hostile-py/referrals",
            json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": postcode }),
        )
        .await;
    assert_eq!(r.status, 201, "{postcode}: {}", r.body);
    r.body
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn succeeds(command: &mut Command, what: &str) -> (String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    );
    assert!(
        status.success(),
        "{what} failed ({status}):\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_python_plugin_tests_builds_and_uploads_from_outside_the_checkout() {
    let outside = tempfile::tempdir().expect("temp dir");
    let checkout = std::fs::canonicalize(workspace()).expect("the checkout");
    assert!(!outside.path().starts_with(&checkout));

    // The guide's commands, in a folder outside the checkout.
    let (out, _) = succeeds(
        Command::new(waymark_bin())
            .args([
                "plugin",
                "new",
                "north-tyneside",
                "--lang",
                "python",
                "--dir",
            ])
            .arg(outside.path()),
        "waymark plugin new --lang python",
    );
    let project = outside.path().join("north-tyneside");
    assert!(
        out.starts_with(&format!("created {}", project.display())),
        "{out}"
    );
    let (tested, _) = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "test", "."])
            .current_dir(&project),
        "waymark plugin test",
    );
    assert!(
        tested.contains("golden cases held in the sandbox"),
        "{tested}"
    );
    let (built, _) = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "build", "."])
            .current_dir(&project),
        "waymark plugin build",
    );
    let wasm = project.join("target/north-tyneside.wasm");
    assert!(wasm.is_file(), "{built}");
    // As `scripts/serve` builds: from another folder, to a relative `--out`, which
    // names a file in the folder it runs from, not in the project.
    succeeds(
        Command::new(waymark_bin())
            .args([
                "plugin",
                "build",
                "north-tyneside",
                "--out",
                "built/north-tyneside.wasm",
            ])
            .current_dir(outside.path()),
        "waymark plugin build with a relative --out",
    );
    assert!(outside.path().join("built/north-tyneside.wasm").is_file());
    assert!(
        !project.join("built").exists(),
        "written inside the project"
    );

    let daemon = Daemon::start(&outside.path().join("data"));
    let admin = daemon.client();
    admin.set_clock("2026-03-02T10:00:00Z").await;
    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": "north-tyneside", "name": "North Tyneside" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, council_admin) =
        support::key(&admin, "/v1/councils/north-tyneside", "council_admin").await;
    let (uploaded, _) = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "upload"])
            .arg(&wasm)
            .args(["--url", &daemon.base, "--council", "north-tyneside"])
            .env("WAYMARK_KEY", &council_admin.token)
            .current_dir(&project),
        "waymark plugin upload",
    );
    assert!(
        uploaded.contains("all 3 golden cases held in the sandbox under the council's limits"),
        "{uploaded}"
    );
    let r = admin
        .post(
            "/v1/councils/north-tyneside/referrals",
            json!({ "route": "self", "date_of_birth": "1990-04-01", "postcode": "AB1 2CD" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
    assert_eq!(
        r.body["decision"]["reasons"][0]["rule"], "eligible",
        "{}",
        r.body
    );
    assert_eq!(
        r.body["decision"]["reasons"][0]["text"], "Lives in AB1 and is aged 35.",
        "{}",
        r.body
    );
}
