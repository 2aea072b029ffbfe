//! Key workers, their caseloads and the scheduled jobs that do the work, against the
//! real daemon with the manual clock and the real Stoke-on-Trent plugin: caps refused
//! and overridden (audited), each key worker's work, digests, the management
//! information export and indicators, and the overdue-review sweep across `kill -9`.

mod support;

use serde_json::{Value, json};
use support::{Client, Daemon};

const STOKE: &str = "/v1/councils/stoke-on-trent";

async fn stoke(api: &Client) {
    api.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(api, "stoke-on-trent", "Stoke", "stoke-on-trent").await;
}

/// A new key worker's id.
async fn key_worker(api: &Client, name: &str, cap: Option<u32>) -> String {
    let mut body = json!({ "name": name });
    if let Some(cap) = cap {
        body["caseload_cap"] = json!(cap);
    }
    let r = api.post(&format!("{STOKE}/key-workers"), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["active_caseload"], 0, "{}", r.body);
    assert_eq!(r.body["fidelity_band"], 5, "{}", r.body);
    r.body["id"].as_str().expect("id").to_owned()
}

/// Refers an eligible adult, optionally to a key worker; the raw reply.
async fn refer(api: &Client, extra: Value) -> support::Reply {
    let mut body =
        json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "ST4 1AB" });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    api.post(&format!("{STOKE}/referrals"), body).await
}

async fn referred(api: &Client, extra: Value) -> String {
    let r = refer(api, extra).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["participant_id"]
        .as_str()
        .expect("participant_id")
        .to_owned()
}

async fn caseload(api: &Client, kw: &str) -> Value {
    let r = api.get(&format!("{STOKE}/key-workers/{kw}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn patch(api: &Client, path: &str, body: Value) -> (u16, Value) {
    let r = api
        .http
        .patch(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .expect("request reached the daemon");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn assign(api: &Client, participant: &str, body: Value) -> support::Reply {
    api.put(
        &format!("{STOKE}/participants/{participant}/key-worker"),
        body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_assignment_over_a_cap_of_three_is_refused_without_an_override_and_audited_with_one()
 {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let capped = key_worker(&api, "Asha", Some(3)).await;
    let other = key_worker(&api, "Ben", None).await;
    assert_eq!(caseload(&api, &other).await["caseload_cap"], 20);

    let mut three = Vec::new();
    for _ in 0..3 {
        three.push(referred(&api, json!({ "key_worker": capped })).await);
    }
    let view = caseload(&api, &capped).await;
    assert_eq!(view["active_caseload"], 3, "{view}");

    // A fourth at referral: refused, with the caseload and the cap, and nothing made.
    let before = api.get(&format!("{STOKE}/participants")).await;
    let r = refer(&api, json!({ "key_worker": capped })).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("already has 3 active participants") && detail.contains("cap of 3"),
        "{detail}"
    );
    let after = api.get(&format!("{STOKE}/participants")).await;
    assert_eq!(before.body, after.body, "a refused referral makes nothing");

    // Later, by PUT: refused without an override, accepted with one.
    let fourth = referred(&api, json!({})).await;
    let r = assign(&api, &fourth, json!({ "key_worker": capped })).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["type"], "urn:waymark:problem:caseload-cap");
    let reason = "Continuity: already known to Asha from a previous programme";
    let r = assign(
        &api,
        &fourth,
        json!({ "key_worker": capped, "override_reason": reason }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["overridden"], true, "{}", r.body);
    assert_eq!(r.body["active_caseload"], 4, "{}", r.body);
    let view = caseload(&api, &capped).await;
    assert_eq!(view["active_caseload"], 4, "{view}");
    assert_eq!(view["over_cap"], true, "{view}");

    // Audited: the override is named by ids, the reason is not in the log.
    let audit = api.get(&format!("{STOKE}/audit?limit=500")).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let entries = audit.body["entries"].as_array().expect("entries");
    let overrides: Vec<&Value> = entries
        .iter()
        .filter(|e| e["ids"]["override"] == "caseload_cap")
        .collect();
    assert_eq!(overrides.len(), 1, "{entries:?}");
    assert_eq!(overrides[0]["ids"]["key_worker"], capped.as_str());
    assert_eq!(overrides[0]["ids"]["participant"], fourth.as_str());
    assert!(!audit.body.to_string().contains("Continuity"));
    assert!(!daemon.output().contains("Continuity"), "no reason in logs");

    // Reassignment is a journey event naming the key worker only.
    let r = assign(&api, &three[0], json!({ "key_worker": other })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let history = api.get(&format!("{STOKE}/participants/{}", three[0])).await;
    let assigned: Vec<&Value> = history.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["type"] == "key_worker_assigned")
        .collect();
    assert_eq!(assigned.len(), 2, "{}", history.body);
    assert_eq!(assigned[1]["key_worker"], other.as_str());
    let mut fields: Vec<&str> = assigned[1]
        .as_object()
        .expect("event")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["at", "key_worker", "recorded_at", "type"]);
    assert_eq!(caseload(&api, &capped).await["active_caseload"], 3);

    // A closed journey leaves the caseload.
    let r = api
        .post(
            &format!("{STOKE}/participants/{}/events", three[1]),
            json!({ "type": "exited", "at": "2026-01-05", "reason": "moved_away" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(caseload(&api, &capped).await["active_caseload"], 2);

    // Retiring: refused while they hold participants; a retired one takes none.
    let r = api
        .post(&format!("{STOKE}/key-workers/{other}/retire"), json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let idle = key_worker(&api, "Cai", None).await;
    let r = api
        .post(&format!("{STOKE}/key-workers/{idle}/retire"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["retired_at"].is_string(), "{}", r.body);
    let r = assign(&api, &three[2], json!({ "key_worker": idle })).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let list = api.get(&format!("{STOKE}/key-workers")).await;
    assert_eq!(list.body["key_workers"].as_array().map(Vec::len), Some(3));

    // Raising the cap is a change to the key worker.
    let (status, body) = patch(
        &api,
        &format!("{STOKE}/key-workers/{capped}"),
        json!({ "caseload_cap": 25 }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["over_cap"], false, "{body}");
}
