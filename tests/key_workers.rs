//! Key workers, their caseloads and the scheduled jobs that do the work, against the
//! real daemon with the manual clock and the real Stoke-on-Trent plugin: caps refused
//! and overridden (audited), each key worker's work, digests, the management
//! information export and indicators, and the overdue-review sweep across `kill -9`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

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

/// Every action of the council, all pages, in the store's order.
async fn all_actions(api: &Client, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("{STOKE}/actions?limit=500&after={a}{query}"),
            None => format!("{STOKE}/actions?limit=500{query}"),
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

/// Waits until no timer of `ids` is due by `now` (the scheduler has caught up).
async fn settled(api: &Client, ids: &[String], now: &str) {
    let now: chrono::DateTime<chrono::Utc> = now.parse().expect("instant");
    for id in ids {
        api.wait_for(
            &format!("{STOKE}/participants/{id}"),
            Duration::from_secs(30),
            |view| {
                view["pending_timers"].as_array().is_some_and(|timers| {
                    timers.iter().all(|t| {
                        t["fire_at"]
                            .as_str()
                            .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
                            .is_some_and(|at| at > now)
                    })
                })
            },
        )
        .await;
    }
}

/// Three key workers and thirty started participants, ten each (assigned at
/// referral, round robin): the key worker ids and participant → key worker.
async fn thirty(api: &Client) -> (Vec<String>, BTreeMap<String, String>) {
    let mut kws = Vec::new();
    for name in ["Asha", "Ben", "Cai"] {
        kws.push(key_worker(api, name, None).await);
    }
    let mut of = BTreeMap::new();
    for i in 0..30 {
        let kw = &kws[i % 3];
        let id = referred(api, json!({ "key_worker": kw })).await;
        let r = api
            .post(
                &format!("{STOKE}/participants/{id}/events"),
                json!({ "type": "started", "at": "2026-01-05" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        of.insert(id, kw.clone());
    }
    for kw in &kws {
        let view = caseload(api, kw).await;
        assert_eq!(view["active_caseload"], 10, "{view}");
        assert_eq!(view["fidelity_band"], 5, "{view}");
    }
    (kws, of)
}

fn is_sorted_by_due(actions: &[Value]) -> bool {
    actions
        .windows(2)
        .all(|w| w[0]["due"].as_str() <= w[1]["due"].as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_names_its_key_worker_and_a_bound_key_sees_its_own_work_by_date() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let (kws, mut of) = thirty(&api).await;
    let ids: Vec<String> = of.keys().cloned().collect();

    // Reassigned before anything fires: the actions made later name the new one.
    let moved = ids[0].clone();
    let r = assign(&api, &moved, json!({ "key_worker": kws[2] })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    of.insert(moved.clone(), kws[2].clone());

    let now = "2026-03-02T12:00:00Z";
    api.set_clock(now).await;
    settled(&api, &ids, now).await;
    let actions = all_actions(&api, "").await;
    let of_participants: Vec<&Value> = actions
        .iter()
        .filter(|a| a["participant"].is_string())
        .collect();
    assert!(of_participants.len() >= 30, "{}", of_participants.len());
    for a in &of_participants {
        let p = a["participant"].as_str().unwrap_or_default();
        assert_eq!(
            a["key_worker"].as_str(),
            of.get(p).map(String::as_str),
            "{a}"
        );
    }

    // "My work": by key worker, ordered by due, narrowed by date.
    for kw in &kws {
        let mine = all_actions(&api, &format!("&key_worker={kw}")).await;
        let expected = of_participants
            .iter()
            .filter(|a| a["key_worker"] == kw.as_str())
            .count();
        assert_eq!(mine.len(), expected, "{kw}");
        assert!(is_sorted_by_due(&mine), "{mine:?}");
    }
    let day = of_participants[0]["due"].as_str().expect("due").to_owned();
    let on_day = all_actions(&api, &format!("&key_worker={}&due_on={day}", kws[0])).await;
    assert!(on_day.iter().all(|a| a["due"] == day.as_str()));
    let expected = of_participants
        .iter()
        .filter(|a| a["due"] == day.as_str() && a["key_worker"] == kws[0].as_str())
        .count();
    assert_eq!(on_day.len(), expected);
    let before = all_actions(&api, &format!("&due_before={day}")).await;
    assert!(
        before
            .iter()
            .all(|a| a["due"].as_str() < Some(day.as_str()))
    );

    // A caseworker key bound to a key worker sees only their work unless it asks.
    let r = api
        .post(
            &format!("{STOKE}/keys"),
            json!({ "role": "caseworker", "name": "Ben's key", "key_worker": kws[1] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["key_worker"], kws[1].as_str());
    let ben = api.with_token(r.body["secret"].as_str().expect("secret"));
    let own = all_actions(&ben, "").await;
    assert!(!own.is_empty());
    assert!(own.iter().all(|a| a["key_worker"] == kws[1].as_str()));
    assert!(is_sorted_by_due(&own));
    let everyone = all_actions(&ben, "&key_worker=any").await;
    assert_eq!(everyone.len(), actions.len());
    let r = api
        .post(
            &format!("{STOKE}/keys"),
            json!({ "role": "auditor", "name": "bound auditor", "key_worker": kws[1] }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}
