//! Crash under load: several clients write referrals and journey events while the
//! manual clock moves and timers fire; the daemon is SIGKILLed at seeded random
//! points and restarted, again and again. Afterwards every write the API
//! acknowledged is there, every due review produced exactly one outbox action, and
//! the store opened every time without repair.
//!
//! `WAYMARK_HEAVY=1` runs 60 cycles instead of 20; `WAYMARK_CRASH_SEED=<n>` replays
//! another seed.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use support::{ADMIN_TOKEN, Daemon, plugin};

const COUNCIL: &str = "stoke-on-trent";
const WRITERS: u64 = 3;

/// What the API acknowledged (answered 2xx) before some kill.
#[derive(Default)]
struct Ledger {
    /// Referral ids answered 201.
    referrals: BTreeSet<String>,
    /// Participant → the review due dates planned by its acknowledged start.
    started: BTreeMap<String, BTreeSet<NaiveDate>>,
    /// The last clock instant the API acknowledged.
    clock: Option<DateTime<Utc>>,
    /// Any 5xx seen while the daemon was up: each is a bug.
    server_errors: Vec<String>,
    requests: u64,
}

/// One request that may die with the daemon: `None` when the connection failed.
async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let mut req = http.request(method, url).bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.ok()?;
    let status = resp.status().as_u16();
    let text = resp.text().await.ok()?;
    Some((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

fn review_dues(view: &Value) -> BTreeSet<NaiveDate> {
    view["pending_timers"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter(|t| t["kind"] == "review")
                .filter_map(|t| t["due"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

async fn writer(base: String, seed: u64, stop: Arc<AtomicBool>, ledger: Arc<Mutex<Ledger>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    while !stop.load(Ordering::SeqCst) {
        let dob = format!(
            "{}-{:02}-{:02}",
            rng.random_range(1960..2004),
            rng.random_range(1..13),
            rng.random_range(1..29)
        );
        let postcode = format!(
            "ST{} {}AB",
            rng.random_range(1..10),
            rng.random_range(1..10)
        );
        // Referred on the acknowledged clock's date, never after the daemon's today.
        let on = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clock
            .expect("clock set at setup")
            .date_naive()
            .to_string();
        let referral = json!({
            "route": "jobcentre", "date_of_birth": dob, "postcode": postcode, "referred_on": on
        });
        let url = format!("{base}/v1/councils/{COUNCIL}/referrals");
        let Some((status, body)) = send(&http, reqwest::Method::POST, url, Some(referral)).await
        else {
            continue;
        };
        let id = {
            let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
            l.requests += 1;
            if status >= 500 {
                l.server_errors.push(format!("referral → {status} {body}"));
            }
            if status != 201 {
                continue;
            }
            let id = body["participant_id"].as_str().expect("id").to_owned();
            l.referrals.insert(id.clone());
            if body["state"]["state"] != "accepted" {
                continue;
            }
            id
        };
        // Started on the day of referral.
        let at = on;
        let url = format!("{base}/v1/councils/{COUNCIL}/participants/{id}/events");
        let event = json!({ "type": "started", "at": at });
        let Some((status, body)) = send(&http, reqwest::Method::POST, url, Some(event)).await
        else {
            continue;
        };
        let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
        l.requests += 1;
        if status >= 500 {
            l.server_errors.push(format!("start → {status} {body}"));
        } else if status == 200 {
            l.started.insert(id, review_dues(&body));
        }
    }
}

/// Moves the manual clock forward in steps of about a day, so timers keep firing.
async fn clock_mover(base: String, seed: u64, stop: Arc<AtomicBool>, ledger: Arc<Mutex<Ledger>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..80))).await;
        let from = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clock
            .expect("clock set at setup");
        let to = from + chrono::Duration::hours(rng.random_range(12..48));
        let url = format!("{base}/v1/admin/clock");
        let body = json!({ "now": to.to_rfc3339() });
        let Some((status, reply)) = send(&http, reqwest::Method::POST, url, Some(body)).await
        else {
            continue;
        };
        let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
        l.requests += 1;
        if status >= 500 {
            l.server_errors.push(format!("clock → {status} {reply}"));
        } else if status == 200 {
            l.clock = Some(to);
        }
    }
}

/// No rate limit: the load is the point, and the checks read everything back.
fn start(dir: &std::path::Path) -> Daemon {
    Daemon::start_with(
        dir,
        &[
            ("WAYMARK_RATE_PER_SECOND", "1000000"),
            ("WAYMARK_RATE_BURST", "1000000"),
        ],
    )
}

async fn all_actions(api: &support::Client) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            None => format!("/v1/councils/{COUNCIL}/actions?limit=500"),
            Some(a) => format!("/v1/councils/{COUNCIL}/actions?limit=500&after={a}"),
        };
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        out.extend(r.body["actions"].as_array().cloned().unwrap_or_default());
        match r.body["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Startup must not report damage or repair: no error or warning lines at all.
fn assert_clean_start(output: &str, cycle: usize) {
    for line in output.lines() {
        let lower = line.to_lowercase();
        assert!(
            !(line.contains("ERROR") || lower.contains("corrupt") || lower.contains("repair")),
            "cycle {cycle}: the daemon reported a problem at start-up: {line}\n{output}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_and_due_timers_survive_repeated_kill_9_under_load() {
    let heavy = std::env::var("WAYMARK_HEAVY").is_ok_and(|v| v == "1");
    let cycles = if heavy { 60 } else { 20 };
    let seed: u64 = std::env::var("WAYMARK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_124);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    let wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    {
        let daemon = start(dir.path());
        let api = daemon.client();
        api.set_clock("2026-01-05T10:00:00Z").await;
        let r = api
            .post(
                "/v1/councils",
                json!({ "id": COUNCIL, "name": "Stoke-on-Trent City Council" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = api
            .put_wasm(&format!("/v1/councils/{COUNCIL}/plugin"), wasm)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        ledger.lock().expect("ledger").clock =
            Some("2026-01-05T10:00:00Z".parse().expect("instant"));
        daemon.kill9();
    }

    for cycle in 0..cycles {
        let daemon = start(dir.path());
        let health = daemon.client().get("/healthz").await;
        assert_eq!(
            health.status, 200,
            "cycle {cycle}: not healthy after restart"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            tasks.push(tokio::spawn(writer(
                daemon.base.clone(),
                seed ^ (cycle as u64 * 16 + w),
                stop.clone(),
                ledger.clone(),
            )));
        }
        tasks.push(tokio::spawn(clock_mover(
            daemon.base.clone(),
            seed ^ (cycle as u64 * 16 + 15),
            stop.clone(),
            ledger.clone(),
        )));
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..900))).await;
        let output = daemon.output();
        daemon.kill9();
        stop.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await.expect("client task");
        }
        assert_clean_start(&output, cycle);
    }

    // The last restart: move the clock a day on so everything due has fired.
    let daemon = start(dir.path());
    let api = daemon.client();
    let (referrals, started, clock, requests) = {
        let l = ledger.lock().expect("ledger");
        assert!(
            l.server_errors.is_empty(),
            "5xx answers under load: {:?}",
            l.server_errors
        );
        (
            l.referrals.clone(),
            l.started.clone(),
            l.clock.expect("clock"),
            l.requests,
        )
    };
    let end = clock + chrono::Duration::days(1);
    api.set_clock(&end.to_rfc3339()).await;
    let end_date = end.date_naive();
    assert!(
        !started.is_empty(),
        "no journey was started: the load did nothing"
    );

    // Every acknowledged referral and start is there.
    for id in &referrals {
        let r = api
            .get(&format!("/v1/councils/{COUNCIL}/participants/{id}"))
            .await;
        assert_eq!(r.status, 200, "acknowledged referral {id} lost: {}", r.body);
        if started.contains_key(id) {
            assert_ne!(
                r.body["state"]["state"], "accepted",
                "acknowledged start of {id} lost: {}",
                r.body
            );
        }
    }

    // Every review due before today fired exactly once; nothing fired twice.
    let mut expected: BTreeSet<(String, NaiveDate)> = BTreeSet::new();
    for (id, dues) in &started {
        for due in dues.iter().filter(|d| **d < end_date) {
            expected.insert((id.clone(), *due));
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let actions = loop {
        let actions = all_actions(&api).await;
        let have: BTreeSet<(String, NaiveDate)> = actions
            .iter()
            .filter(|a| a["kind"] == "review")
            .filter_map(|a| {
                Some((
                    a["participant"].as_str()?.to_owned(),
                    a["due"].as_str()?.parse().ok()?,
                ))
            })
            .collect();
        if expected.is_subset(&have) {
            break actions;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "due reviews never fired: {:?}",
            expected.difference(&have).take(5).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut keys = BTreeSet::new();
    let mut work = BTreeSet::new();
    for a in &actions {
        let key = a["idempotency_key"].as_str().expect("key").to_owned();
        assert!(keys.insert(key.clone()), "idempotency key {key} used twice");
        let what = (
            a["participant"].as_str().unwrap_or("").to_owned(),
            a["kind"].as_str().unwrap_or("").to_owned(),
            a["due"].as_str().unwrap_or("").to_owned(),
        );
        assert!(work.insert(what.clone()), "{what:?} produced two actions");
        if a["kind"] == "review" {
            let due: NaiveDate = a["due"].as_str().expect("due").parse().expect("date");
            let id = a["participant"].as_str().expect("participant");
            if let Some(plan) = started.get(id) {
                assert!(plan.contains(&due), "review {id} {due} was never planned");
            }
        }
    }
    let reviews_checked = expected.len();
    assert_clean_start(&daemon.output(), cycles);
    eprintln!(
        "crash under load: seed {seed}, {cycles} kill -9 cycles, {requests} answered requests, \
         {} acknowledged referrals and {} acknowledged starts checked, {reviews_checked} due \
         reviews checked fired once, {} outbox actions checked for duplicate keys",
        referrals.len(),
        started.len(),
        actions.len()
    );
}
