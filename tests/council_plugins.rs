//! The other example councils end to end: each plugin, built from `plugins/`, is
//! uploaded over HTTP (its golden cases run in the sandbox), decides referrals by
//! its own rules, and plans a started journey's timers in the real daemon.

use crate::support;

use serde_json::{Value, json};
use support::{Client, Daemon, plugin};

fn rules(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x["rule"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn has_timer(state: &Value, kind: &str, due: &str) -> bool {
    state["pending_timers"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x["kind"] == kind && x["due"] == due))
}

async fn council_with_plugin(api: &Client, id: &str, name: &str) {
    // Working Well runs IPS in Primary Care for up to 9 months; the others Connect to Work.
    let programme = if id == "working-well-east-midlands" {
        json!({ "kind": "ips_primary_care", "max_months": 9 })
    } else {
        json!({ "kind": "connect_to_work" })
    };
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": id, "name": name, "programme": programme }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let wasm = std::fs::read(plugin(id)).expect("built plugin");
    let r = api
        .put_wasm(&format!("/v1/councils/{id}/plugin"), wasm)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body["settings_schema"]["properties"].is_object(),
        "{}",
        r.body
    );
}

async fn refer(api: &Client, council: &str, referral: Value) -> Value {
    let r = api
        .post(&format!("/v1/councils/{council}/referrals"), referral)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn event(api: &Client, council: &str, id: &str, event: Value) -> Value {
    let r = api
        .post(
            &format!("/v1/councils/{council}/participants/{id}/events"),
            event,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn east_midlands_and_central_london_decide_by_their_own_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    // Monday 2 March 2026.
    api.set_clock("2026-03-02T10:00:00Z").await;

    let em = "working-well-east-midlands";
    council_with_plugin(&api, em, "Working Well – East Midlands").await;
    // A GP referral of a registered patient in Nottingham is accepted ...
    let gp = refer(
        &api,
        em,
        json!({ "route": "health", "date_of_birth": "1984-06-11", "postcode": "NG7 2UH",
                "known_to_health_services": true }),
    )
    .await;
    assert_eq!(gp["decision"]["outcome"], "accept", "{gp}");
    // ... a Jobcentre referral is not: the service takes health referrals only.
    let jc = refer(
        &api,
        em,
        json!({ "route": "jobcentre", "date_of_birth": "1984-06-11", "postcode": "NG7 2UH",
                "known_to_health_services": true }),
    )
    .await;
    assert_eq!(jc["decision"]["outcome"], "decline", "{jc}");
    assert_eq!(rules(&jc["decision"]), vec!["route.health_only"]);
    // Started: weekly reviews in the first month.
    let id = gp["participant_id"].as_str().expect("id");
    let state = event(
        &api,
        em,
        id,
        json!({ "type": "started", "at": "2026-03-02" }),
    )
    .await;
    assert!(has_timer(&state, "review", "2026-03-09"), "{state}");
    assert!(has_timer(&state, "review", "2026-03-16"), "{state}");
    assert!(has_timer(&state, "end_of_support", "2026-12-02"), "{state}");

    let clf = "central-london-forward";
    council_with_plugin(&api, clf, "Central London Forward").await;
    // An Islington resident is accepted; a Croydon one is not a member borough's.
    let n1 = refer(
        &api,
        clf,
        json!({ "route": "jobcentre", "date_of_birth": "1990-01-20", "postcode": "N1 9GU" }),
    )
    .await;
    assert_eq!(n1["decision"]["outcome"], "accept", "{n1}");
    let cr0 = refer(
        &api,
        clf,
        json!({ "route": "jobcentre", "date_of_birth": "1990-01-20", "postcode": "CR0 1AB" }),
    )
    .await;
    assert_eq!(cr0["decision"]["outcome"], "decline", "{cr0}");
    assert_eq!(rules(&cr0["decision"]), vec!["residence.member_borough"]);
    // Started and in work: four-weekly reviews, weekly in-work contact, and an
    // employer check-in that leaves health out.
    let id = n1["participant_id"].as_str().expect("id");
    let state = event(
        &api,
        clf,
        id,
        json!({ "type": "started", "at": "2026-03-02" }),
    )
    .await;
    assert!(has_timer(&state, "review", "2026-03-30"), "{state}");
    // Employer work needs the participant's consent to employer contact.
    event(
        &api,
        clf,
        id,
        json!({ "type": "consent_given", "at": "2026-03-02", "purpose": "employer_contact" }),
    )
    .await;
    api.set_clock("2026-03-16T10:00:00Z").await;
    let state = event(
        &api,
        clf,
        id,
        json!({ "type": "job_started", "at": "2026-03-16" }),
    )
    .await;
    assert!(has_timer(&state, "in_work_review", "2026-03-23"), "{state}");
    assert!(
        has_timer(&state, "employer_check_in", "2026-04-13"),
        "{state}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ipes_provider_passes_its_golden_cases_in_the_sandbox_and_plans_an_action_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    // Monday 2 March 2026.
    api.set_clock("2026-03-02T10:00:00Z").await;
    let ipes = "ipes-provider";
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": ipes, "name": "An IPES provider" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let wasm = std::fs::read(plugin(ipes)).expect("built plugin");
    let r = api
        .put_wasm(&format!("/v1/councils/{ipes}/plugin"), wasm)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["golden_cases"], 10, "{}", r.body);
    assert_eq!(r.body["contract_version"], "1.2.0", "{}", r.body);

    // A Jobcentre referral with a declared health condition is accepted; without
    // one, declined.
    let declared = refer(
        &api,
        ipes,
        json!({ "route": "jobcentre", "date_of_birth": "1984-06-11", "postcode": "LS9 8AB",
                "health_condition_or_disability": true }),
    )
    .await;
    assert_eq!(declared["decision"]["outcome"], "accept", "{declared}");
    let undeclared = refer(
        &api,
        ipes,
        json!({ "route": "jobcentre", "date_of_birth": "1984-06-11", "postcode": "LS9 8AB" }),
    )
    .await;
    assert_eq!(undeclared["decision"]["outcome"], "decline", "{undeclared}");
    assert_eq!(
        rules(&undeclared["decision"]),
        vec!["health.condition_or_disability"]
    );
    // Started: the action plan 20 working days on, and an end of support.
    let id = declared["participant_id"].as_str().expect("id");
    let state = event(
        &api,
        ipes,
        id,
        json!({ "type": "started", "at": "2026-03-02" }),
    )
    .await;
    assert!(has_timer(&state, "review", "2026-03-30"), "{state}");
    assert!(
        state["pending_timers"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x["kind"] == "end_of_support")),
        "{state}"
    );
}

/// `waymark plugin check` as a developer runs it: golden cases pass with exit 0;
/// a wrong expectation fails the command and points at the case, rules and input.
#[test]
fn plugin_check_runs_golden_cases_and_fails_on_a_broken_one() {
    let wasm = plugin("working-well-east-midlands");
    let golden = support::workspace().join("plugins/working-well-east-midlands/golden.json");
    let out = std::process::Command::new(support::waymark_bin())
        .args(["plugin", "check"])
        .arg(&wasm)
        .arg("--golden")
        .arg(&golden)
        .output()
        .expect("run waymark plugin check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("all 14 golden cases held in the sandbox"),
        "{stdout}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("golden.json");
    let text = std::fs::read_to_string(&golden).expect("golden file");
    // The first case accepts a GP referral; claim it declines.
    std::fs::write(
        &broken,
        text.replacen("\"outcome\": \"accept\"", "\"outcome\": \"decline\"", 1),
    )
    .expect("write");
    let out = std::process::Command::new(support::waymark_bin())
        .args(["plugin", "check"])
        .arg(&wasm)
        .arg("--golden")
        .arg(&broken)
        .output()
        .expect("run waymark plugin check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("FAIL case 1 [eligibility]"), "{stdout}");
    assert!(stdout.contains("rules given: eligible"), "{stdout}");
    assert!(stdout.contains("\"postcode_district\":\"NG7\""), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 14 golden cases failed"), "{stderr}");
}

/// `scripts/serve`'s seed (`examples/councils.toml`) with each plugin path pointing at
/// the plugin built for this run; and the seeded council ids.
fn example_seed(dir: &std::path::Path) -> (std::path::PathBuf, Vec<String>) {
    let seed = support::workspace().join("examples").join("councils.toml");
    let text = std::fs::read_to_string(&seed).expect("read examples/councils.toml");
    let mut ids = Vec::new();
    let mut out = String::new();
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("id = ") {
            ids.push(id.trim_matches('"').to_owned());
        }
        match line
            .strip_prefix("plugin = \"../target/plugins/")
            .and_then(|rest| rest.strip_suffix(".wasm\""))
        {
            Some(name) => out.push_str(&format!("plugin = {:?}\n", plugin(name))),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    let path = dir.join("councils.toml");
    std::fs::write(&path, out).expect("write seed");
    (path, ids)
}

/// Issue 14: under load, seeding once refused Central London Forward ("case 10 took
/// longer than 200 ms") and the daemon exited. Golden cases are judged by fuel, the
/// wall clock only a distant safety net, so with busy threads saturating every core
/// the daemon still starts from `scripts/serve`'s seed with every example plugin
/// accepted. The daemon shares the run's compiled cache: what is judged under load
/// is the golden cases, and compiling the plugins again while the hogs starve every
/// other test of both cores would only make the suite slower.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_under_a_cpu_hog_still_accepts_every_example_plugin() {
    use std::io::{BufRead, BufReader};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("temp dir");
    let (seed, ids) = example_seed(dir.path());
    assert!(
        ids.len() >= 4,
        "the example seed names its councils: {ids:?}"
    );

    // Two busy threads per core (at least four), until the daemon has seeded.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let stop = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..(2 * cores).max(4))
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut spins = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
                spins
            })
        })
        .collect();

    waymark::outbox::delivery::install_tls_provider();
    let mut child = std::process::Command::new(support::waymark_bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--manual-clock",
            "--data",
        ])
        .arg(dir.path().join("data"))
        .env("WAYMARK_SEED", &seed)
        .env("WAYMARK_ADMIN_TOKEN", support::ADMIN_TOKEN)
        .env("WAYMARK_DATA_KEY", support::DATA_KEY)
        .env("WAYMARK_COMPILED_CACHE", support::shared_compiled_cache())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn waymark serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Every line until it serves (or exits); a generous bound for a loaded machine.
    let mut lines = Vec::new();
    let addr = loop {
        match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("Waymark is serving on http://") {
                    break rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                }
                lines.push(line);
            }
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                let _ = child.kill();
                panic!("the daemon stopped (or hung) while seeding under load: {lines:#?}");
            }
        }
    };
    stop.store(true, Ordering::Relaxed);
    for hog in hogs {
        assert!(hog.join().expect("hog thread") > 0);
    }
    for id in &ids {
        assert!(
            lines.iter().any(|l| l == &format!("Seeded council `{id}`")),
            "{id} not seeded: {lines:#?}"
        );
    }
    let api = Client {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        token: support::ADMIN_TOKEN.to_owned(),
    };
    for id in &ids {
        let r = api.get(&format!("/v1/councils/{id}")).await;
        assert_eq!(r.status, 200, "{id}: {}", r.body);
        assert!(
            r.body["active_plugin"].is_string(),
            "{id} has its plugin active: {}",
            r.body
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `serve --seed`: the seed's councils are made with their plugins (uploaded through
/// the same councils and plugin-versions services as the API, golden cases and all),
/// and a restart with the same seed leaves them as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_file_makes_its_councils_with_their_plugins_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let seed = dir.path().join("seed.toml");
    let wasm = plugin("central-london-forward");
    std::fs::write(
        &seed,
        format!(
            "[[council]]\nid = \"central-london\"\nname = \"Central London Forward\"\nplugin = {:?}\n\n\
             [[council]]\nid = \"ipes-pilot\"\nname = \"IPES pilot\"\nprogramme = {{ kind = \"ipes\" }}\n",
            wasm.display().to_string()
        ),
    )
    .expect("write the seed");
    let seed_arg = seed.display().to_string();

    let daemon = Daemon::start_with_args(&data, &[], &["--seed", &seed_arg]);
    assert!(
        daemon.output().contains("Seeded council `central-london`"),
        "{}",
        daemon.output()
    );
    let api = daemon.client();
    let london = api.get("/v1/councils/central-london").await;
    assert_eq!(london.status, 200, "{}", london.body);
    let digest = london.body["active_plugin"].clone();
    assert!(
        digest.is_string(),
        "the seeded plugin is active: {}",
        london.body
    );
    let versions = api.get("/v1/councils/central-london/plugin/versions").await;
    assert_eq!(
        versions.body["versions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        versions.body
    );
    assert_eq!(
        versions.body["versions"][0]["active"], true,
        "{}",
        versions.body
    );
    let pilot = api.get("/v1/councils/ipes-pilot").await;
    assert_eq!(pilot.body["programme"]["kind"], "ipes", "{}", pilot.body);
    assert!(pilot.body["active_plugin"].is_null(), "{}", pilot.body);
    // Changed since the seed: a restart with the same seed must keep the change.
    let renamed = api
        .patch(
            "/v1/councils/ipes-pilot",
            json!({ "name": "IPES pilot (renamed)" }),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    daemon.stop();

    let daemon = Daemon::start_with_args(&data, &[], &["--seed", &seed_arg]);
    assert!(
        !daemon.output().contains("Seeded council"),
        "nothing is seeded twice: {}",
        daemon.output()
    );
    let api = daemon.client();
    let pilot = api.get("/v1/councils/ipes-pilot").await;
    assert_eq!(pilot.body["name"], "IPES pilot (renamed)", "{}", pilot.body);
    let versions = api.get("/v1/councils/central-london/plugin/versions").await;
    assert_eq!(
        versions.body["versions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        versions.body
    );
    assert_eq!(
        api.get("/v1/councils/central-london").await.body["active_plugin"],
        digest
    );
}
