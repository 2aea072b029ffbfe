//! Operations end to end: a bad config refused at start naming its key, `/readyz`,
//! `/metrics` after a real journey, and a request id on every log line of a request.

use crate::support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ADMIN_TOKEN, Daemon, plugin, waymark_bin};

const STOKE: &str = "/v1/councils/stoke-on-trent";

/// Runs `waymark serve --config FILE` and returns (exit success, stderr), failing
/// the test if the daemon is still running after 30 s (it should refuse at once).
fn serve_with_config(config: &str, data: &std::path::Path) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("waymark.toml");
    std::fs::write(&path, config).expect("write config");
    let mut child = Command::new(waymark_bin())
        .args(["serve", "--config"])
        .arg(&path)
        .arg("--data")
        .arg(data)
        .env_remove("RUST_LOG")
        .env("WAYMARK_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn waymark serve");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            return (
                status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the daemon started with a bad config: {config}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bad_config_file_is_refused_at_start_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for (config, key, reason) in [
        ("rate_per_second = 0\n", "rate_per_second", "above 0"),
        ("rate = 5\n", "rate", "unknown key"),
        ("max_body_bytes = \"big\"\n", "max_body_bytes", "string"),
        ("listen = \"localhost:80x\"\n", "listen", "IP:PORT"),
    ] {
        let (ok, stderr) = serve_with_config(config, &data);
        assert!(!ok, "exit status non-zero for {config}");
        assert!(
            stderr.contains(&format!("`{key}`")) && stderr.contains(reason),
            "stderr names `{key}` and says {reason}: {stderr}"
        );
        assert!(!data.exists(), "nothing was opened or created for {config}");
    }
}

#[test]
fn serve_help_names_each_setting_its_variable_and_its_key() {
    let out = Command::new(waymark_bin())
        .args(["serve", "--help"])
        .output()
        .expect("run help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for key in waymark::config::KEYS {
        assert!(
            help.contains(&format!("--{}", key.replace('_', "-"))),
            "flag for {key}"
        );
        assert!(
            help.contains(&format!("[toml: {key}]")),
            "TOML key {key}: {help}"
        );
        assert!(
            help.contains(&format!("WAYMARK_{}", key.to_uppercase())),
            "variable for {key}"
        );
    }
    assert!(help.contains("--config") && help.contains("WAYMARK_CONFIG"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_200_without_a_key_once_started() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/readyz", daemon.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
}

/// A council with the Stoke plugin; one person referred, started, and the clock moved
/// past their first review so its timer fires. Returns the participant id.
async fn one_journey(api: &support::Client) -> String {
    let _wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    api.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(api, "stoke-on-trent", "Stoke", "stoke-on-trent").await;
    let id = support::started_participant(api, "stoke-on-trent").await;
    api.set_clock("2026-02-03T09:00:00Z").await;
    api.wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
        b["actions"].as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    id
}

/// The value of the first sample line starting with `prefix` (name and labels).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_routes_decisions_and_fired_timers_without_participant_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    let participant = one_journey(&api).await;
    let r = api
        .get(&format!("{STOKE}/participants/{participant}"))
        .await;
    assert_eq!(r.status, 200);
    // A path that matches no route is counted as `unmatched`, never by its text.
    let r = api.get(&format!("/nowhere/{participant}")).await;
    assert_eq!(r.status, 404);
    // An admin schedule due at noon fires an hour late when the clock moves to 13:00.
    let r = api
        .post(
            &format!("{STOKE}/schedules"),
            json!({
                "name": "Noon digest",
                "cron": "0 12 * * *",
                "timezone": "UTC",
                "action": { "type": "caseload_digest" }
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    api.set_clock("2026-02-03T13:00:00Z").await;
    api.wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
        b["actions"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["kind"] == "caseload_digest"))
    })
    .await;

    // The scheduler counts a firing just after its action is written: scrape until
    // the count is in (the action being listed does not mean it already is).
    let digest = "waymark_timers_fired_total{council=\"stoke-on-trent\",kind=\"caseload_digest\",source=\"schedule\"}";
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let scraped = reqwest::Client::new()
            .get(format!("{}/metrics", daemon.base))
            .send()
            .await
            .expect("scrape");
        assert_eq!(scraped.status(), 200);
        assert!(
            scraped.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/plain; version=0.0.4")
        );
        let text = scraped.text().await.expect("text");
        if sample(&text, digest).is_some() || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let read = "waymark_http_requests_total{method=\"GET\",route=\"/v1/councils/{council}/participants/{participant}\",status=\"200\"}";
    assert_eq!(sample(&text, read), Some(1.0), "{text}");
    let referred = "waymark_http_requests_total{method=\"POST\",route=\"/v1/councils/{council}/referrals\",status=\"201\"}";
    assert_eq!(sample(&text, referred), Some(1.0), "{text}");
    let eligibility = "waymark_decision_duration_seconds_count{council=\"stoke-on-trent\",kind=\"eligibility\",outcome=\"decided\"}";
    assert_eq!(sample(&text, eligibility), Some(1.0), "{text}");
    let plans = "waymark_decision_duration_seconds_count{council=\"stoke-on-trent\",kind=\"plan\",outcome=\"decided\"}";
    assert!(sample(&text, plans).is_some_and(|n| n >= 2.0), "{text}");
    let fuel = "waymark_decision_fuel_sum{council=\"stoke-on-trent\",kind=\"eligibility\",outcome=\"decided\"}";
    assert!(sample(&text, fuel).is_some_and(|f| f > 0.0), "{text}");
    let fired: f64 = text
        .lines()
        .filter(|l| l.starts_with("waymark_timers_fired_total{council=\"stoke-on-trent\""))
        .filter(|l| l.contains("source=\"journey\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(fired >= 1.0, "{text}");
    // The clock jumped four weeks: every fired timer was over a day late.
    let journey_lag = "waymark_timer_fire_lag_seconds_count{source=\"journey\"}";
    assert!(
        sample(&text, journey_lag).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    // The schedule's firing is counted too, told apart by its source, an hour late.
    assert_eq!(sample(&text, digest), Some(1.0), "{text}");
    let schedule_lag = "waymark_timer_fire_lag_seconds_sum{source=\"schedule\"}";
    assert_eq!(sample(&text, schedule_lag), Some(3600.0), "{text}");
    assert!(sample(&text, "waymark_timers_pending").is_some(), "{text}");
    let depth = "waymark_outbox_pending_actions{council=\"stoke-on-trent\"}";
    assert!(sample(&text, depth).is_some_and(|n| n >= 1.0), "{text}");
    let dead = "waymark_outbox_dead_letters{council=\"stoke-on-trent\"}";
    assert_eq!(sample(&text, dead), Some(0.0), "{text}");

    let unmatched =
        "waymark_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}";
    assert_eq!(sample(&text, unmatched), Some(1.0), "{text}");
    assert!(
        !text.contains(&participant),
        "a participant id leaked: {text}"
    );
    assert!(
        !text.contains("ST4") && !text.contains("1990-04-01"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start_with(
        dir.path(),
        &[("WAYMARK_LOG_FORMAT", "json"), ("RUST_LOG", "debug")],
    );
    let api = daemon.client();
    one_journey(&api).await;

    // An id we choose is echoed; a request with an unusable one gets a new one.
    let r = api
        .http
        .get(format!("{}{STOKE}/actions", daemon.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("x-request-id", "trace-me.42")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "trace-me.42");
    let r = api
        .http
        .post(format!("{}{STOKE}/referrals", daemon.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("x-request-id", "not sane {}")
        .json(&json!({ "route": "nowhere" }))
        .send()
        .await
        .expect("request");
    assert!(r.status().is_client_error());
    let generated = r.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");

    let output = daemon.stop();
    let lines: Vec<Value> = output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let answered: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request answered")
        .collect();
    assert!(answered.len() >= 8, "one line per request: {output}");
    for line in &answered {
        assert!(line["span"]["request_id"].is_string(), "{line}");
    }
    assert!(
        answered
            .iter()
            .any(|l| l["span"]["request_id"] == "trace-me.42"),
        "the chosen id is logged"
    );
    assert!(
        answered
            .iter()
            .any(|l| l["span"]["request_id"] == generated.as_str()),
        "the generated id is logged"
    );
    // Every line from request handling (the API, the caseload, the policy sandbox)
    // carries the id; only start-up and the background workers' lines may not.
    let background = [
        "waymark::daemon",
        "waymark::schedule::scheduler",
        "waymark::outbox::delivery",
        "waymark::retention",
    ];
    for line in &lines {
        let target = line["target"].as_str().unwrap_or_default();
        if !target.starts_with("waymark") || background.iter().any(|b| target.starts_with(b)) {
            continue;
        }
        assert!(
            line["span"]["request_id"].is_string(),
            "a request's log line without its id: {line}"
        );
    }
}
