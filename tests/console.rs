//! The console in a real browser: the real daemon, real plugins, and the system's
//! headless Chromium driven by `tests/console/driver.mjs` (playwright-core, with
//! axe-core injected into each page). Each test sets up its data through the API,
//! runs one scenario in the browser and saves a screenshot of every page it visits
//! under `target/console-screenshots/` (see docs/console.md).
//!
//! Needs Node 20 and `/usr/bin/chromium` (or `CHROMIUM`); the driver's npm packages
//! are installed from `tests/console/package-lock.json` on first use.

use crate::support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use support::{ADMIN_TOKEN, Client, Daemon, fixture_plugin, plugin, workspace};
use waymark::policy::golden::{GOLDEN_SECTION, embed_section, strip_section};

const C: &str = "stoke-on-trent";
const LOOPY: &str = "loopy";
/// The daemon's clock in every scenario: a Monday, with DST changes ahead.
const NOW: &str = "2026-03-02T10:00:00Z";
const TODAY: &str = "2026-03-02";

/// Where the screenshots go: `target/console-screenshots/`.
fn shots() -> PathBuf {
    workspace().join("target").join("console-screenshots")
}

/// Installs the driver's npm packages once (`npm ci`, from the committed lock file).
fn driver_ready() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = workspace().join("tests").join("console");
            if !dir.join("node_modules").join("playwright-core").exists() {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&dir)
                    .status()
                    .expect("run npm ci in tests/console (Node 20 and npm are needed)");
                assert!(status.success(), "npm ci in tests/console failed");
            }
            dir
        })
        .clone()
}

/// Runs one browser scenario; one browser at a time (the machine may have 2 cores).
fn run_driver(config: Value) {
    static ONE_BROWSER: Mutex<()> = Mutex::new(());
    let dir = driver_ready();
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let out = Command::new("node")
        .arg(dir.join("driver.mjs"))
        .env("CONSOLE_TEST", config.to_string())
        .current_dir(&dir)
        .output()
        .expect("run node tests/console/driver.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser scenario failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}{stderr}");
}

/// A daemon with two councils: `stoke-on-trent` (its plugin, a started participant
/// with work due, a schedule, a key per role) and `loopy` (a plugin that loops, so
/// a referral waits in the review queue).
struct World {
    _dir: tempfile::TempDir,
    daemon: Daemon,
    config: Value,
}

async fn new_key(admin: &Client, council: &str, role: &str) -> String {
    let r = admin
        .post(
            &format!("/v1/councils/{council}/keys"),
            json!({ "role": role, "name": format!("{role} key") }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["secret"].as_str().expect("secret").to_owned()
}

/// A caseworker key bound to a key worker: it lists that key worker's work.
async fn key_worker_key(admin: &Client, key_worker: &str) -> String {
    let r = admin
        .post(
            &format!("/v1/councils/{C}/keys"),
            json!({ "role": "caseworker", "name": "Alex's key", "key_worker": key_worker }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["secret"].as_str().expect("secret").to_owned()
}

fn bad_plugin(dir: &std::path::Path) -> PathBuf {
    let wrong = r#"[{"name": "an adult in ST4 is waitlisted", "hook": "eligibility",
        "input": {"route": "jobcentre", "age": 35, "postcode_district": "ST4", "in_work": false,
                  "on_universal_credit": false, "known_to_health_services": false,
                  "on_other_programme": false, "cohorts": []},
        "as_of": "2026-01-05", "expect": {"outcome": "waitlist"}}]"#;
    let good = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let mut bad = strip_section(&good, GOLDEN_SECTION);
    embed_section(&mut bad, GOLDEN_SECTION, wrong.as_bytes());
    let path = dir.join("stoke-with-a-failing-golden-case.wasm");
    std::fs::write(&path, bad).expect("write the bad plugin");
    path
}

/// Another council's plugin as a second version: its golden cases hold, and it
/// decides Stoke's referrals differently (ST4 is outside its area), so a replay
/// against the decision log has differences to show.
fn second_plugin() -> PathBuf {
    plugin("central-london-forward")
}

async fn world(scenario: &str) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(&dir.path().join("data"));
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(&admin, C, "Stoke-on-Trent City Council", "stoke-on-trent").await;
    // Alex, a key worker, has one participant; a second participant is nobody's yet.
    let r = admin
        .post(
            &format!("/v1/councils/{C}/key-workers"),
            json!({ "name": "Alex Example" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let key_worker = r.body["id"].as_str().expect("key worker id").to_owned();
    let participant = support::started_participant(&admin, C).await;
    let r = admin
        .put_json(
            &format!("/v1/councils/{C}/participants/{participant}/key-worker"),
            json!({ "key_worker": key_worker }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let _unassigned = support::started_participant(&admin, C).await;
    // Past the four-week review: work is due (and overdue by the time we look).
    admin.set_clock(NOW).await;
    let actions = admin
        .wait_for(
            &format!("/v1/councils/{C}/actions?status=pending"),
            Duration::from_secs(20),
            |b| b["actions"].as_array().is_some_and(|a| !a.is_empty()),
        )
        .await;
    let action = actions["actions"][0]["id"]
        .as_str()
        .expect("action id")
        .to_owned();
    let r = admin
        .post(
            &format!("/v1/councils/{C}/schedules"),
            json!({ "name": "Weekly caseload digest", "cron": "0 9 * * MON", "action": { "type": "caseload_digest" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let schedule = r.body["id"].as_str().expect("schedule id").to_owned();

    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": LOOPY, "name": "Loopy Borough" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let wasm = std::fs::read(fixture_plugin("hostile")).expect("hostile plugin");
    let r = admin
        .put_wasm(&format!("/v1/councils/{LOOPY}/plugin"), wasm)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .put_json(
            &format!("/v1/councils/{LOOPY}/limits"),
            json!({ "fuel": 1_000_000 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .post(
            &format!("/v1/councils/{LOOPY}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "ST4 1AB" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let config = json!({
        "scenario": scenario,
        "base": daemon.base,
        "shots": shots(),
        "council": C,
        "review_council": LOOPY,
        "participant": participant,
        "action": action,
        "schedule": schedule,
        "today": TODAY,
        "key_worker": key_worker,
        "bad_plugin": bad_plugin(dir.path()),
        "second_plugin": second_plugin(),
        "keys": {
            "platform_admin": ADMIN_TOKEN,
            "council_admin": new_key(&admin, C, "council_admin").await,
            "caseworker": key_worker_key(&admin, &key_worker).await,
            "auditor": new_key(&admin, C, "auditor").await,
            "review_caseworker": new_key(&admin, LOOPY, "caseworker").await,
        },
    });
    World {
        _dir: dir,
        daemon,
        config,
    }
}

async fn run(scenario: &str) -> World {
    let w = world(scenario).await;
    let config = w.config.clone();
    tokio::task::spawn_blocking(move || run_driver(config))
        .await
        .expect("the driver thread");
    // Whatever the pages did, no key ever reached the daemon's log.
    let log = w.daemon.output();
    for (role, key) in w.config["keys"].as_object().expect("keys") {
        let key = key.as_str().unwrap_or_default();
        assert!(!log.contains(key), "the {role} key is in the daemon's log");
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_admin_creates_a_daily_schedule_sees_each_clock_change_once_pauses_and_edits_it() {
    let w = run("schedule").await;
    let r = w
        .daemon
        .client()
        .get(&format!("/v1/councils/{C}/schedules"))
        .await;
    let made = r.body["schedules"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Overnight digest").cloned())
        .expect("the schedule made in the browser");
    assert_eq!(made["cron"], "15 2 * * *", "edited in the browser");
    assert_eq!(made["timezone"], "Europe/London");
    assert_eq!(made["paused"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_settings_show_the_fields_error_then_save_a_valid_value() {
    let w = run("settings").await;
    let r = w
        .daemon
        .client()
        .get(&format!("/v1/councils/{C}/settings"))
        .await;
    assert_eq!(r.body["settings"]["review_every_weeks"], 2, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_refuses_a_plugin_whose_golden_case_fails_naming_case_expected_and_actual_then_replays_and_rolls_back()
 {
    let w = run("plugin").await;
    let r = w
        .daemon
        .client()
        .get(&format!("/v1/councils/{C}/plugin/versions"))
        .await;
    let versions = r.body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "refused: not stored; {}", r.body);
    assert_eq!(
        r.body["active"], versions[0]["digest"],
        "rolled back: {}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_key_worker_acknowledges_work_and_records_contact_on_the_timeline() {
    let w = run("keyworker").await;
    let api = w.daemon.client();
    let r = api
        .get(&format!("/v1/councils/{C}/actions?status=acknowledged"))
        .await;
    assert!(
        r.body["actions"].as_array().is_some_and(|a| a.len() == 1),
        "{}",
        r.body
    );
    let participant = w.config["participant"].as_str().unwrap_or_default();
    let r = api
        .get(&format!("/v1/councils/{C}/participants/{participant}"))
        .await;
    let history = r.body["history"].as_array().expect("history");
    assert!(
        history.iter().any(|e| e["type"] == "contact_made"),
        "{}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_key_worker_resolves_a_review_item() {
    let w = run("review").await;
    let r = w
        .daemon
        .client()
        .get(&format!("/v1/councils/{LOOPY}/reviews?status=open"))
        .await;
    assert_eq!(r.body["reviews"], json!([]), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_auditor_sees_pages_without_forms_and_a_forged_post_is_refused() {
    let w = run("auditor").await;
    let api = w.daemon.client();
    let r = api.get(&format!("/v1/councils/{C}/schedules")).await;
    assert!(
        r.body["schedules"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["name"] != "Forged")),
        "{}",
        r.body
    );
    let r = api
        .get(&format!("/v1/councils/{C}/actions?status=pending"))
        .await;
    let action = w.config["action"].as_str().unwrap_or_default();
    assert!(
        r.body["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["id"] == action)),
        "the action is still pending: {}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_shows_markup_in_names_as_text_and_runs_no_script() {
    let w = run("escaping").await;
    let r = w.daemon.client().get("/v1/councils/evil-borough").await;
    assert_eq!(r.body["name"], "<img src=x onerror=alert(1)>", "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_have_no_serious_or_critical_axe_violations() {
    run("axe").await;
}
