//! The plugin host over HTTP, against the real daemon: versions with golden cases
//! checked on upload, activation and rollback, settings and limits, a hostile
//! plugin contained with its case in the review queue, and replay of the decision
//! log against another version (over HTTP and offline); and a component built
//! against contract 1.0.0 still deciding on a host that has moved to 1.1.

use crate::support;

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::{Value, json};
use support::{Client, Daemon, fixture_plugin, plugin, waymark_bin};
use waymark::policy::golden::{GOLDEN_SECTION, embed_section, strip_section};
use waymark::policy::{
    CallContext, EngineSettings, JourneyFacts, Limits, Outcome, Policies, ReferralFacts, Stage,
    TimerKind,
};
use waymark::schedule::calendar::{Nation, UkCalendar};

const ST4_ADULT: &str =
    r#"{ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "ST4 1AB" }"#;

async fn create_council(api: &Client, id: &str) {
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": id, "name": format!("{id} council") }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

fn stoke() -> Vec<u8> {
    std::fs::read(plugin("stoke-on-trent")).expect("built plugin")
}

/// The hostile plugin: eligibility loops for ever unless its settings say otherwise.
/// Built from `tests/plugins/hostile`.
fn hostile() -> Vec<u8> {
    let out = support::workspace()
        .join("target")
        .join("e2e-plugins")
        .join("hostile.wasm");
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let status = std::process::Command::new(waymark_bin())
            .args(["plugin", "build"])
            .arg(support::workspace().join("tests/plugins/hostile"))
            .arg("--out")
            .arg(&out)
            .status()
            .expect("run waymark plugin build");
        assert!(status.success(), "building the hostile plugin failed");
    });
    std::fs::read(&out).expect("built hostile plugin")
}

fn digest(reply: &Value) -> String {
    reply["digest"].as_str().expect("a digest").to_owned()
}

async fn active(api: &Client, council: &str) -> Value {
    let r = api.get(&format!("/v1/councils/{council}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["active_plugin"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_golden_checked_listed_activated_and_rolled_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    create_council(&api, "stoke-on-trent").await;
    create_council(&api, "elsewhere").await;

    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", stoke())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body["golden_cases"].as_u64().unwrap_or(0) > 0,
        "{}",
        r.body
    );
    let good = digest(&r.body);

    // The same plugin with a golden case it does not pass: refused, naming the case,
    // the expectation and the answer, and the active version is untouched.
    let wrong = r#"[{"name": "an adult in ST4 is waitlisted", "hook": "eligibility",
        "input": {"route": "jobcentre", "age": 35, "postcode_district": "ST4", "in_work": false,
                  "on_universal_credit": false, "known_to_health_services": false,
                  "on_other_programme": false, "cohorts": []},
        "as_of": "2026-01-05", "expect": {"outcome": "waitlist"}}]"#;
    let mut bad = strip_section(&stoke(), GOLDEN_SECTION);
    embed_section(&mut bad, GOLDEN_SECTION, wrong.as_bytes());
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", bad)
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("an adult in ST4 is waitlisted"), "{detail}");
    assert!(
        detail.contains("expected outcome waitlist, got accept"),
        "{detail}"
    );
    assert!(detail.contains(r#""outcome":"accept""#), "{detail}");
    assert_eq!(active(&api, "stoke-on-trent").await, json!(good));

    // A second version (no golden cases), uploaded later, becomes active; both are
    // listed, oldest first.
    api.set_clock("2026-01-05T11:00:00Z").await;
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", hostile())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["golden_cases"], 0);
    let second = digest(&r.body);
    let r = api.get("/v1/councils/stoke-on-trent/plugin/versions").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], json!(second));
    let versions = r.body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "{}", r.body);
    assert_eq!(versions[0]["digest"], json!(good));
    assert_eq!(versions[0]["active"], false);
    assert!(versions[0]["size_bytes"].as_u64().unwrap_or(0) > 0);
    assert!(versions[0]["settings_schema"].is_object());
    assert!(
        versions[0]["contract_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("1.")
    );
    assert!(versions[0]["uploaded_at"].is_string());

    // Rollback returns to the version active before; twice returns again.
    let r = api
        .post("/v1/councils/stoke-on-trent/plugin/rollback", json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], json!(good));
    assert_eq!(r.body["previous"], json!(second));
    assert_eq!(active(&api, "stoke-on-trent").await, json!(good));
    let r = api
        .post(
            &format!("/v1/councils/stoke-on-trent/plugin/versions/{second}/activate"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(active(&api, "stoke-on-trent").await, json!(second));

    // Another council can neither see nor activate a version it did not upload.
    let r = api.get("/v1/councils/elsewhere/plugin/versions").await;
    assert_eq!(r.body["versions"], json!([]), "{}", r.body);
    let r = api
        .post(
            &format!("/v1/councils/elsewhere/plugin/versions/{good}/activate"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(active(&api, "elsewhere").await, Value::Null);
    let r = api
        .post("/v1/councils/elsewhere/plugin/rollback", json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    // Versions and the active one survive a restart.
    daemon.kill9();
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    assert_eq!(active(&api, "stoke-on-trent").await, json!(second));
    let r = api.get("/v1/councils/stoke-on-trent/plugin/versions").await;
    assert_eq!(r.body["versions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_limits_are_validated_and_durable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    create_council(&api, "stoke-on-trent").await;

    // No plugin yet: nothing to validate settings against.
    let r = api
        .put_json("/v1/councils/stoke-on-trent/settings", json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", stoke())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api.get("/v1/councils/stoke-on-trent/settings").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["settings"], json!({}));
    assert!(
        r.body["schema"]["properties"]["review_every_weeks"].is_object(),
        "{}",
        r.body
    );

    let r = api
        .put_json(
            "/v1/councils/stoke-on-trent/settings",
            json!({ "review_every_weeks": "four" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("`/review_every_weeks`"), "{detail}");
    assert!(detail.contains("is not of type"), "{detail}");
    let r = api.get("/v1/councils/stoke-on-trent/settings").await;
    assert_eq!(
        r.body["settings"],
        json!({}),
        "a refused PUT changed nothing"
    );

    let r = api
        .put_json(
            "/v1/councils/stoke-on-trent/settings",
            json!({ "review_every_weeks": 2 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = api
        .put_json(
            "/v1/councils/stoke-on-trent/limits",
            json!({ "memory_bytes": 1u64 << 40 }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("`memory_bytes`"),
        "{}",
        r.body
    );
    let r = api
        .put_json(
            "/v1/councils/stoke-on-trent/limits",
            json!({ "fuel": 2_000_000, "deadline_ms": 100 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    daemon.kill9();
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    let r = api.get("/v1/councils/stoke-on-trent/settings").await;
    assert_eq!(r.body["settings"], json!({ "review_every_weeks": 2 }));
    let r = api.get("/v1/councils/stoke-on-trent/limits").await;
    assert_eq!(r.body["fuel"], 2_000_000);
    assert_eq!(r.body["deadline_ms"], 100);
    assert_eq!(
        r.body["max_timers"], 200,
        "omitted limits take the defaults"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_plugin_sends_the_case_to_review_while_other_councils_decide() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    create_council(&api, "loopy").await;
    create_council(&api, "stoke-on-trent").await;
    let r = api.put_wasm("/v1/councils/loopy/plugin", hostile()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", stoke())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A small fuel budget, so the loop is stopped by fuel (deterministic) well
    // within the deadline.
    let r = api
        .put_json("/v1/councils/loopy/limits", json!({ "fuel": 1_000_000 }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let referral: Value = serde_json::from_str(ST4_ADULT).expect("json");
    let looping = api.post("/v1/councils/loopy/referrals", referral.clone());
    let deciding = api.post("/v1/councils/stoke-on-trent/referrals", referral.clone());
    let (looped, decided) = tokio::join!(looping, deciding);
    assert_eq!(looped.status, 201, "{}", looped.body);
    assert_eq!(
        looped.body["state"]["state"], "awaiting_review",
        "{}",
        looped.body
    );
    assert_eq!(looped.body["decision"], Value::Null);
    assert!(
        looped.body["review_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("fuel"),
        "{}",
        looped.body
    );
    assert_eq!(decided.status, 201, "{}", decided.body);
    assert_eq!(
        decided.body["decision"]["outcome"], "accept",
        "{}",
        decided.body
    );

    // The daemon still answers, and the other council keeps deciding.
    let r = api.get("/healthz").await;
    assert_eq!(r.status, 200);
    let again = api
        .post("/v1/councils/stoke-on-trent/referrals", referral)
        .await;
    assert_eq!(
        again.body["decision"]["outcome"], "accept",
        "{}",
        again.body
    );

    // The case is in the loopy council's queue (and only there).
    let participant = looped.body["participant_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = api.get("/v1/councils/loopy/reviews?status=open").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.body["reviews"].as_array().expect("reviews").clone();
    assert_eq!(items.len(), 1, "{}", r.body);
    let item = &items[0];
    assert_eq!(item["participant"], json!(participant));
    assert_eq!(item["hook"], "eligibility");
    assert_eq!(item["status"], "open");
    assert!(
        item["reason"].as_str().unwrap_or_default().contains("fuel"),
        "{item}"
    );
    assert!(
        item["at"].is_string() && item["plugin"].is_string(),
        "{item}"
    );
    let r = api.get("/v1/councils/stoke-on-trent/reviews").await;
    assert_eq!(r.body["reviews"], json!([]), "{}", r.body);

    // The decision log says why, with the facts kept for replay.
    let r = api
        .get(&format!(
            "/v1/councils/loopy/participants/{participant}/decisions"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let failed = &r.body["decisions"][0];
    assert_eq!(failed["hook"], "eligibility");
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .contains("fuel"),
        "{failed}"
    );
    assert_eq!(failed["facts"]["postcode_district"], "ST4", "{failed}");

    // A person resolves it; the journey records their decision, once.
    let id = item["id"].as_u64().expect("numeric id");
    let path = format!("/v1/councils/loopy/reviews/{id}/resolve");
    let r = api
        .post(&path, json!({ "outcome": "waitlist", "note": "" }))
        .await;
    assert_eq!(r.status, 422, "an empty note is refused: {}", r.body);
    let r = api.post(&path, json!({ "note": "no outcome" })).await;
    assert_eq!(
        r.status, 422,
        "an eligibility review needs an outcome: {}",
        r.body
    );
    let r = api
        .post(
            &path,
            json!({ "outcome": "waitlist", "note": "Eligible; no place until March" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["resolution"]["outcome"], "waitlist");
    let r = api
        .post(
            &path,
            json!({ "outcome": "accept", "note": "changed my mind" }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = api
        .get(&format!("/v1/councils/loopy/participants/{participant}"))
        .await;
    assert_eq!(r.body["state"]["state"], "waitlisted", "{}", r.body);
    let history = r.body["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|e| e["type"] == "review_resolved" && e["outcome"] == "waitlist"),
        "{}",
        r.body
    );
    let r = api.get("/v1/councils/loopy/reviews?status=open").await;
    assert_eq!(r.body["reviews"], json!([]), "{}", r.body);

    // With fuel for seconds of looping, the wall-clock deadline stops it instead.
    let r = api
        .put_json(
            "/v1/councils/loopy/limits",
            json!({ "fuel": 5_000_000_000u64, "deadline_ms": 20 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let started = std::time::Instant::now();
    let r = api
        .post(
            "/v1/councils/loopy/referrals",
            serde_json::from_str(ST4_ADULT).expect("json"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let reason = r.body["review_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("took longer than 20 ms"), "{reason}");
    let r = api.get("/v1/councils/loopy/reviews?status=open").await;
    let items = r.body["reviews"].as_array().expect("reviews");
    assert_eq!(items.len(), 1, "{}", r.body);
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("took longer"),
        "{}",
        items[0]
    );

    // The whole queue, a page at a time, in arrival order.
    let first = api.get("/v1/councils/loopy/reviews?limit=1").await;
    assert_eq!(
        first.body["reviews"][0]["status"], "resolved",
        "{}",
        first.body
    );
    let cursor = first.body["next_cursor"].as_u64().expect("a next page");
    let second = api
        .get(&format!(
            "/v1/councils/loopy/reviews?limit=1&after={cursor}"
        ))
        .await;
    assert_eq!(
        second.body["reviews"][0]["status"], "open",
        "{}",
        second.body
    );
    assert_eq!(second.body["next_cursor"], Value::Null, "{}", second.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_decisions_replay_against_another_version_over_http_and_offline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    create_council(&api, "stoke-on-trent").await;
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", hostile())
        .await;
    let loop_version = digest(&r.body);
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", stoke())
        .await;
    let stoke_version = digest(&r.body);
    let referral: Value = serde_json::from_str(ST4_ADULT).expect("json");
    let r = api
        .post("/v1/councils/stoke-on-trent/referrals", referral)
        .await;
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
    let participant = r.body["participant_id"].as_str().expect("id").to_owned();
    let r = api
        .post(
            "/v1/councils/stoke-on-trent/referrals",
            json!({ "route": "self", "date_of_birth": "1985-07-09", "postcode": "M1 1AE" }),
        )
        .await;
    assert_eq!(r.body["decision"]["outcome"], "decline", "{}", r.body);

    // The recorded decision carries its input, reasons, version and cost.
    let r = api
        .get(&format!(
            "/v1/councils/stoke-on-trent/participants/{participant}/decisions"
        ))
        .await;
    let eligibility = &r.body["decisions"][0];
    assert_eq!(eligibility["plugin"], json!(stoke_version));
    assert_eq!(eligibility["facts"]["age"], 35, "{eligibility}");
    assert!(eligibility["input_digest"].as_str().map(str::len) == Some(64));
    assert!(eligibility["fuel_used"].as_u64().unwrap_or(0) > 0);
    assert!(
        !eligibility["reasons"]
            .as_array()
            .expect("reasons")
            .is_empty()
    );

    // The same version decides everything the same.
    let r = api
        .post(
            &format!("/v1/councils/stoke-on-trent/plugin/versions/{stoke_version}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let replayed = r.body["replayed"].as_u64().expect("count");
    assert!(
        replayed >= 3,
        "two eligibility decisions and a plan: {}",
        r.body
    );
    assert_eq!(r.body["same"].as_u64(), Some(replayed), "{}", r.body);

    // The looping version decides no eligibility: each is a difference with reasons.
    let r = api
        .post(
            &format!("/v1/councils/stoke-on-trent/plugin/versions/{loop_version}/replay"),
            json!({ "participant": participant }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let differences = r.body["differences"].as_array().expect("differences");
    let eligibility = differences
        .iter()
        .find(|d| d["hook"] == "eligibility")
        .expect("the eligibility decision differs");
    assert_eq!(eligibility["recorded"]["output"]["outcome"], "accept");
    assert!(
        !eligibility["recorded"]["reasons"]
            .as_array()
            .expect("reasons")
            .is_empty()
    );
    assert!(
        eligibility["replayed"]["error"].is_string(),
        "{eligibility}"
    );

    // Offline replay refuses while the daemon holds the data folder...
    let loop_file = support::workspace().join("target/e2e-plugins/hostile.wasm");
    let offline = |data: &std::path::Path| {
        std::process::Command::new(waymark_bin())
            .args(["plugin", "replay", "--council", "stoke-on-trent", "--data"])
            .arg(data)
            // The key the daemon sealed the folder with.
            .env("WAYMARK_DATA_KEY", support::DATA_KEY)
            .arg("--plugin")
            .arg(&loop_file)
            .output()
            .expect("run waymark plugin replay")
    };
    let refused = offline(dir.path());
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("daemon must be stopped"), "{stderr}");

    // ...and reports the differences once it has stopped.
    daemon.kill9();
    let done = offline(dir.path());
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        stdout.contains(&format!("against {loop_version}")),
        "{stdout}"
    );
    assert!(stdout.contains("different"), "{stdout}");
    assert!(stdout.contains("no decision (the plugin"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_plan_keeps_the_journey_and_joins_the_review_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    create_council(&api, "stoke-on-trent").await;
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", stoke())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // One timer per plan is far fewer than a started journey needs: every plan the
    // plugin answers is then invalid.
    let r = api
        .put_json(
            "/v1/councils/stoke-on-trent/limits",
            json!({ "max_timers": 1 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let referral: Value = serde_json::from_str(ST4_ADULT).expect("json");
    let r = api
        .post("/v1/councils/stoke-on-trent/referrals", referral)
        .await;
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
    let participant = r.body["participant_id"].as_str().expect("id").to_owned();
    let r = api
        .post(
            &format!("/v1/councils/stoke-on-trent/participants/{participant}/events"),
            json!({ "type": "started", "at": "2026-01-05" }),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "the event is recorded all the same: {}",
        r.body
    );
    assert_eq!(r.body["state"]["state"], "active", "{}", r.body);

    let r = api
        .get("/v1/councils/stoke-on-trent/reviews?status=open")
        .await;
    let items = r.body["reviews"].as_array().expect("reviews").clone();
    assert_eq!(items.len(), 1, "{}", r.body);
    assert_eq!(items[0]["hook"], "plan");
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("timers"),
        "{}",
        items[0]
    );
    let path = format!(
        "/v1/councils/stoke-on-trent/reviews/{}/resolve",
        items[0]["id"]
    );
    let r = api
        .post(&path, json!({ "outcome": "accept", "note": "fine" }))
        .await;
    assert_eq!(r.status, 422, "a plan review takes no outcome: {}", r.body);
    let r = api
        .post(&path, json!({ "note": "Reviews booked by hand" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "resolved");
    let r = api
        .get("/v1/councils/stoke-on-trent/reviews?status=open")
        .await;
    assert_eq!(r.body["reviews"], json!([]), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_hoarding_crashing_and_oversize_answers_are_contained_and_queued() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    create_council(&api, "hostile").await;
    let r = api.put_wasm("/v1/councils/hostile/plugin", hostile()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api
        .put_json(
            "/v1/councils/hostile/limits",
            json!({ "memory_bytes": 8 << 20 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let referral: Value = serde_json::from_str(ST4_ADULT).expect("json");
    for (misbehaviour, reason) in [
        ("grow_memory", "needed more than 8388608 bytes of memory"),
        ("trap", "the plugin crashed"),
        (
            "oversize_answer",
            "the plugin's answer is too large: over the",
        ),
    ] {
        let r = api
            .put_json(
                "/v1/councils/hostile/settings",
                json!({ "eligibility": misbehaviour }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = api
            .post("/v1/councils/hostile/referrals", referral.clone())
            .await;
        assert_eq!(r.status, 201, "{misbehaviour}: {}", r.body);
        assert_eq!(r.body["state"]["state"], "awaiting_review", "{}", r.body);
        let got = r.body["review_reason"].as_str().unwrap_or_default();
        assert!(got.contains(reason), "{misbehaviour}: {got}");
        assert_eq!(api.get("/healthz").await.status, 200);
    }
    let r = api.get("/v1/councils/hostile/reviews?status=open").await;
    assert_eq!(
        r.body["reviews"].as_array().map(Vec::len),
        Some(3),
        "{}",
        r.body
    );
}

/// Built from `tests/plugins/contract-v1-0`: wit-bindgen against `sdk/wit/v1.0.0`,
/// no waymark-sdk, as a council built plugins before contract 1.1.
fn contract_1_0() -> Vec<u8> {
    std::fs::read(fixture_plugin("contract-v1-0")).expect("built 1.0 plugin")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a YYYY-MM-DD date")
}

#[test]
fn a_contract_1_0_component_still_decides_and_is_never_asked_to_plan_a_waitlisted_journey() {
    let settings = EngineSettings {
        pooled_instances: 4,
        ..EngineSettings::default()
    };
    let policies = Policies::new(&settings, Limits::default()).expect("engine");
    let plugin = policies
        .load(&contract_1_0())
        .expect("a 1.0.0 component loads on a 1.1 host");
    assert_eq!(plugin.contract_version(), "1.0.0");
    let ctx = CallContext {
        settings: "{}".into(),
        calendar: Arc::new(UkCalendar::new(Nation::EnglandAndWales)),
        limits: Limits::default(),
    };

    // Eligibility, from a referral carrying 1.1 facts the plugin is not shown.
    let adult = ReferralFacts::example().with_age(30);
    let decided = plugin
        .eligibility(&ctx, &adult, day("2026-01-05"))
        .expect("the 1.0 plugin decides");
    assert_eq!(decided.value.outcome, Outcome::Accept);
    assert_eq!(decided.value.reasons[0].rule, "age.minimum");
    let young = plugin
        .eligibility(
            &ctx,
            &ReferralFacts::example().with_age(17),
            day("2026-01-05"),
        )
        .expect("the 1.0 plugin decides");
    assert_eq!(young.value.outcome, Outcome::Decline);

    // A plan, in the sandbox: a review 28 days after the start.
    let started = JourneyFacts::started_on(day("2026-01-05"))
        .with_support_ends_on(day("2027-01-04"))
        .with_checkpoint(day("2026-01-05"), false, 0);
    let plan = plugin
        .plan(&ctx, &started, day("2026-01-05"))
        .expect("the 1.0 plugin plans");
    assert_eq!(plan.value.timers.len(), 1, "{:?}", plan.value);
    assert_eq!(plan.value.timers[0].kind, TimerKind::Review);
    assert_eq!(plan.value.timers[0].due, day("2026-02-02"));
    assert!(plan.fuel_used > 0);
    assert_eq!(plan.log, vec!["contract 1.0 fixture: plan".to_owned()]);

    // A waitlisted journey: the host answers, and the plugin never runs.
    let waitlisted = JourneyFacts::waitlisted_on(day("2026-01-05"));
    assert_eq!(waitlisted.stage, Stage::Waitlisted);
    let plan = plugin
        .plan(&ctx, &waitlisted, day("2026-01-05"))
        .expect("the host answers");
    assert!(plan.value.timers.is_empty(), "{:?}", plan.value);
    assert_eq!(plan.value.reasons.len(), 1);
    assert_eq!(plan.value.reasons[0].rule, "host.contract_1_0");
    assert_eq!(plan.fuel_used, 0, "the sandbox ran");
    assert!(plan.log.is_empty(), "the plugin logged: {:?}", plan.log);
    assert_eq!(&plan.plugin, plugin.digest());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_1_0_component_is_uploaded_reported_as_1_0_and_decides_referrals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    create_council(&api, "old-plugin").await;
    create_council(&api, "stoke-on-trent").await;
    let r = api
        .put_wasm("/v1/councils/old-plugin/plugin", contract_1_0())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["contract_version"], "1.0.0", "{}", r.body);
    let r = api
        .put_wasm("/v1/councils/stoke-on-trent/plugin", stoke())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["contract_version"], "1.2.0", "{}", r.body);

    let referral: Value = serde_json::from_str(ST4_ADULT).expect("json");
    let r = api
        .post("/v1/councils/old-plugin/referrals", referral)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
}
