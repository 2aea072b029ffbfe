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

    // At referral too: past the cap with a reason is accepted and audited; a reason
    // where no cap is passed overrides nothing.
    referred(
        &api,
        json!({ "key_worker": capped, "override_reason": "Continuity of support" }),
    )
    .await;
    referred(
        &api,
        json!({ "key_worker": other, "override_reason": "Continuity of support" }),
    )
    .await;
    assert_eq!(caseload(&api, &capped).await["active_caseload"], 5);
    let audit = api.get(&format!("{STOKE}/audit?limit=500")).await;
    let referrals: Vec<&Value> = audit.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| {
            e["route"] == "/v1/councils/{council}/referrals" && e["ids"]["key_worker"].is_string()
        })
        .collect();
    let overridden: Vec<&Value> = referrals
        .iter()
        .copied()
        .filter(|e| e["ids"]["override"] == "caseload_cap")
        .collect();
    assert_eq!(overridden.len(), 1, "{referrals:?}");
    assert_eq!(overridden[0]["ids"]["key_worker"], capped.as_str());
    assert!(
        referrals
            .iter()
            .any(|e| e["ids"]["key_worker"] == other.as_str() && e["ids"]["override"].is_null())
    );
    assert!(!audit.body.to_string().contains("Continuity"));

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
    assert_eq!(caseload(&api, &capped).await["active_caseload"], 4);

    // A closed journey leaves the caseload.
    let r = api
        .post(
            &format!("{STOKE}/participants/{}/events", three[1]),
            json!({ "type": "exited", "at": "2026-01-05", "reason": "moved_away" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(caseload(&api, &capped).await["active_caseload"], 3);

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

/// A schedule's id, made by POST …/schedules.
async fn schedule(api: &Client, name: &str, cron: &str, action: Value) -> String {
    let r = api
        .post(
            &format!("{STOKE}/schedules"),
            json!({ "name": name, "cron": cron, "action": action }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_owned()
}

/// Waits until the schedule recorded its occurrence at `at` as fired.
async fn fired_at(api: &Client, id: &str, at: &str) {
    api.wait_for(
        &format!("{STOKE}/schedules/{id}/runs?limit=500"),
        Duration::from_secs(30),
        |b| {
            b["runs"].as_array().is_some_and(|runs| {
                runs.iter()
                    .any(|r| r["outcome"] == "fired" && r["scheduled_for"].as_str() == Some(at))
            })
        },
    )
    .await;
}

/// The date `n` working days after `day` (Monday to Friday: the weeks these tests
/// use hold no bank holiday).
fn add_working_days(day: chrono::NaiveDate, n: u32) -> chrono::NaiveDate {
    use chrono::Datelike;
    let mut d = day;
    let mut left = n;
    while left > 0 {
        d = d.succ_opt().expect("date");
        if d.weekday().number_from_monday() <= 5 {
            left -= 1;
        }
    }
    d
}

fn date(v: &Value) -> chrono::NaiveDate {
    v.as_str().and_then(|s| s.parse().ok()).expect("a date")
}

/// A piece of work as a digest lists it: (participant, kind, due, overdue).
type Work = (String, String, String, bool);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_key_workers_digest_lists_exactly_their_due_and_overdue_work() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let (kws, of) = thirty(&api).await;
    let ids: Vec<String> = of.keys().cloned().collect();
    let digest = schedule(
        &api,
        "weekday digest",
        "0 7 * * MON-FRI",
        json!({ "type": "caseload_digest" }),
    )
    .await;
    // The first 4-weekly reviews (Monday 2 February) fire; some are done.
    let now = "2026-02-27T12:00:00Z";
    api.set_clock(now).await;
    settled(&api, &ids, now).await;
    // Some work is done before the digest: it is not listed.
    let fired = all_actions(&api, "").await;
    for a in fired
        .iter()
        .filter(|a| a["participant"].is_string())
        .step_by(3)
    {
        let r = api
            .post(
                &format!("{STOKE}/actions/{}/ack", a["id"].as_str().expect("id")),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    // Monday 2 March, 07:00: before that day's reviews fire (they are still timers).
    let at = "2026-03-02T07:00:00Z";
    api.set_clock(at).await;
    fired_at(&api, &digest, at).await;
    let today: chrono::NaiveDate = "2026-03-02".parse().expect("date");
    let through = add_working_days(today, 5);

    // What each key worker should see, from the journeys and the outbox.
    let actions = all_actions(&api, "").await;
    let mut expected: BTreeMap<String, Vec<Work>> = BTreeMap::new();
    for (p, kw) in &of {
        let view = api.get(&format!("{STOKE}/participants/{p}")).await;
        for t in view.body["pending_timers"].as_array().expect("timers") {
            if date(&t["due"]) <= through {
                expected.entry(kw.clone()).or_default().push((
                    p.clone(),
                    t["kind"].as_str().unwrap_or_default().to_owned(),
                    t["due"].as_str().unwrap_or_default().to_owned(),
                    date(&t["due"]) < today,
                ));
            }
        }
        for a in actions.iter().filter(|a| a["participant"] == p.as_str()) {
            let timer_work = !a["schedule"].is_object() && a["kind"] != "review_escalation";
            if timer_work && a["acknowledged_at"].is_null() && date(&a["due"]) <= through {
                expected.entry(kw.clone()).or_default().push((
                    p.clone(),
                    a["kind"].as_str().unwrap_or_default().to_owned(),
                    a["due"].as_str().unwrap_or_default().to_owned(),
                    date(&a["due"]) < today,
                ));
            }
        }
    }
    let digests: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            a["kind"] == "caseload_digest"
                && a["key_worker"].is_string()
                && a["scheduled_for"] == at
        })
        .collect();
    assert_eq!(digests.len(), 3, "one digest per key worker: {digests:?}");
    let mut overdue_seen = 0;
    for kw in &kws {
        let d = digests
            .iter()
            .find(|a| a["key_worker"] == kw.as_str())
            .expect("a digest for each key worker");
        assert_eq!(d["result"]["type"], "digest", "{d}");
        assert_eq!(date(&d["result"]["through"]), through);
        let mut listed: Vec<Work> = d["result"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["participant"].as_str().unwrap_or_default().to_owned(),
                    i["kind"].as_str().unwrap_or_default().to_owned(),
                    i["due"].as_str().unwrap_or_default().to_owned(),
                    i["overdue"].as_bool().unwrap_or_default(),
                )
            })
            .collect();
        let mut want = expected.remove(kw).unwrap_or_default();
        listed.sort();
        want.sort();
        assert!(!want.is_empty(), "each key worker has work");
        assert_eq!(listed, want, "digest of {kw}");
        overdue_seen += listed.iter().filter(|w| w.3).count();
        // Pseudonymous: ids, kinds and dates only.
        let text = d.to_string();
        assert!(
            !text.contains("1990-04-01") && !text.contains("ST4"),
            "{text}"
        );
    }
    assert!(overdue_seen > 0, "some listed work is overdue");
    // The firing's own action says how many digests it made.
    let firing = actions
        .iter()
        .find(|a| {
            a["schedule"]["id"] == digest.as_str()
                && a["scheduled_for"] == at
                && a["key_worker"].is_null()
        })
        .expect("the firing's action");
    assert_eq!(firing["result"]["key_workers"], 3, "{firing}");
}

/// Review actions still pending whose due date is more than `grace` working days
/// before `day`: the ids the sweep on `day` must escalate.
fn overdue_reviews(actions: &[Value], day: chrono::NaiveDate, grace: u32) -> Vec<String> {
    let mut ids: Vec<String> = actions
        .iter()
        .filter(|a| a["kind"] == "review" || a["kind"] == "in_work_review")
        .filter(|a| a["acknowledged_at"].is_null())
        .filter(|a| add_working_days(date(&a["due"]), grace) < day)
        .map(|a| a["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Escalations in the outbox, by the review each escalates.
fn escalations(actions: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for a in actions.iter().filter(|a| a["kind"] == "review_escalation") {
        let review = a["result"]["review_action"].as_str().unwrap_or_default();
        out.entry(review.to_owned()).or_default().push(a.clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_escalates_exactly_the_overdue_reviews_once_each_across_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut daemon = Daemon::start(dir.path());
    let mut api = daemon.client();
    stoke(&api).await;
    let (_, of) = thirty(&api).await;
    let ids: Vec<String> = of.keys().cloned().collect();
    // The first 4-weekly reviews (Monday 2 February) fire.
    let now = "2026-03-02T07:00:00Z";
    api.set_clock(now).await;
    settled(&api, &ids, now).await;
    let sweep = schedule(
        &api,
        "overdue reviews",
        "0 6 * * MON-FRI",
        json!({ "type": "overdue_review_sweep", "grace_working_days": 2 }),
    )
    .await;
    // A third of the reviews are done on time: never escalated.
    let fired = all_actions(&api, "").await;
    for a in fired.iter().filter(|a| a["kind"] == "review").step_by(3) {
        let r = api
            .post(
                &format!("{STOKE}/actions/{}/ack", a["id"].as_str().expect("id")),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    for (i, (at, day)) in [
        // February's reviews are overdue; March's (due Monday 2nd) are not yet.
        ("2026-03-03T06:00:00Z", "2026-03-03"),
        // March's are now too; February's are not escalated again.
        ("2026-03-05T06:00:00Z", "2026-03-05"),
        // Nothing new is overdue: nothing is escalated again.
        ("2026-03-06T06:00:00Z", "2026-03-06"),
        ("2026-03-09T06:00:00Z", "2026-03-09"),
    ]
    .into_iter()
    .enumerate()
    {
        let before = all_actions(&api, "").await;
        let expected = overdue_reviews(&before, day.parse().expect("date"), 2);
        assert!(
            i > 1 || !expected.is_empty(),
            "reviews are overdue by {day}"
        );
        // The sweep fires as the clock reaches it, and the daemon is killed at once,
        // before, during or just after the firing (a different moment each time);
        // restarted, it finishes the firing, once.
        api.set_clock(at).await;
        tokio::time::sleep(Duration::from_millis([0, 3, 10, 30][i])).await;
        daemon.kill9();
        daemon = Daemon::start(dir.path());
        api = daemon.client();
        fired_at(&api, &sweep, at).await;

        let after = all_actions(&api, "").await;
        let escalated = escalations(&after);
        let once: Vec<&String> = escalated.keys().collect();
        assert_eq!(
            once.len(),
            expected.len(),
            "{day}: {once:?} vs {expected:?}"
        );
        for id in &expected {
            let e = escalated
                .get(id)
                .unwrap_or_else(|| panic!("{id} escalated by {day}"));
            assert_eq!(e.len(), 1, "{id} escalated once");
            let review = after
                .iter()
                .find(|a| a["id"] == id.as_str())
                .expect("review");
            assert_eq!(e[0]["participant"], review["participant"]);
            let p = review["participant"].as_str().unwrap_or_default();
            assert_eq!(e[0]["key_worker"].as_str(), of.get(p).map(String::as_str));
            assert_eq!(e[0]["schedule"]["id"], sweep.as_str());
        }
        // Each firing computed once: what the firings say they escalated adds up.
        let said: u64 = after
            .iter()
            .filter(|a| a["kind"] == "overdue_review_sweep")
            .filter_map(|a| a["result"]["escalated"].as_u64())
            .sum();
        assert_eq!(said as usize, expected.len(), "{day}");
    }
}

/// A count as the figures publish it: `<5` under 5.
fn shown(n: usize) -> Value {
    if n < 5 { json!("<5") } else { json!(n) }
}

fn shown_map(counts: &BTreeMap<String, usize>) -> Value {
    Value::Object(counts.iter().map(|(k, n)| (k.clone(), shown(*n))).collect())
}

fn median(mut v: Vec<i64>) -> Value {
    if v.len() < 5 {
        return Value::Null;
    }
    v.sort_unstable();
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    };
    json!(m)
}

/// What the test sent, and the figures it expects from it.
struct Sent {
    ids: Vec<String>,
    /// Each accepted or waitlisted participant's key worker, if they were given one.
    of: BTreeMap<String, Option<String>>,
    figures: Value,
}

/// Referrals on several routes to three key workers, starts, job starts, outcome
/// checkpoints and exits, all in January 2026; the figures for 2 January to
/// 1 February computed from them here, independently of the daemon.
async fn a_month_of_work(api: &Client) -> Sent {
    let kws = [
        key_worker(api, "Asha", None).await,
        key_worker(api, "Ben", None).await,
        key_worker(api, "Cai", None).await,
    ];
    let routes = [
        ("jobcentre", 8),
        ("health", 6),
        ("self", 3),
        ("voluntary", 1),
    ];
    let mut referrals: BTreeMap<String, usize> = BTreeMap::new();
    let (mut accepted, mut waitlisted, mut declined) = (0, 0, 0);
    let mut ids = Vec::new();
    let mut open: Vec<(String, Option<String>)> = Vec::new();
    let mut i = 0;
    for (route, n) in routes {
        for _ in 0..n {
            let kw = match i {
                0..10 => Some(kws[0].clone()),
                10..16 => Some(kws[1].clone()),
                16..18 => Some(kws[2].clone()),
                _ => None,
            };
            i += 1;
            let mut extra = json!({ "route": route });
            if let Some(kw) = &kw {
                extra["key_worker"] = json!(kw);
            }
            let r = refer(api, extra).await;
            assert_eq!(r.status, 201, "{}", r.body);
            *referrals.entry(route.to_owned()).or_default() += 1;
            let id = r.body["participant_id"].as_str().expect("id").to_owned();
            ids.push(id.clone());
            match r.body["decision"]["outcome"].as_str() {
                Some("accept") => {
                    accepted += 1;
                    open.push((id, kw));
                }
                Some("waitlist") => {
                    waitlisted += 1;
                    open.push((id, kw));
                }
                Some("decline") => declined += 1,
                _ => panic!("the plugin decided: {}", r.body),
            }
        }
    }
    api.set_clock("2026-01-16T10:00:00Z").await;
    let event = |id: &str, body: Value| {
        let path = format!("{STOKE}/participants/{id}/events");
        async move {
            let r = api.post(&path, body).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body
        }
    };
    let started: Vec<(String, Option<String>)> = open.iter().take(12).cloned().collect();
    let mut to_start = Vec::new();
    for (n, (id, _)) in started.iter().enumerate() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")
            + chrono::Duration::days((n % 7) as i64);
        event(id, json!({ "type": "started", "at": at.to_string() })).await;
        to_start.push((n % 7) as i64);
    }
    for (id, _) in started.iter().take(6) {
        event(id, json!({ "type": "job_started", "at": "2026-01-12" })).await;
    }
    for (n, (id, _)) in started.iter().take(6).enumerate() {
        event(
            id,
            json!({ "type": "outcome_checkpoint", "at": "2026-01-14", "met": n < 5, "hours_per_week": 16 }),
        )
        .await;
    }
    let mut exits: BTreeMap<String, usize> = BTreeMap::new();
    let mut handovers: BTreeMap<String, usize> = BTreeMap::new();
    let mut closed = Vec::new();
    for (n, (id, _)) in started.iter().enumerate().skip(6) {
        let reason = if n < 10 { "completed" } else { "moved_away" };
        let view = event(
            id,
            json!({ "type": "exited", "at": "2026-01-15", "reason": reason }),
        )
        .await;
        *exits.entry(reason.to_owned()).or_default() += 1;
        closed.push(id.clone());
        for e in view["history"].as_array().expect("history") {
            if e["type"] == "handover_decided" {
                let d = e["handover"]["destination"].as_str().expect("destination");
                *handovers.entry(d.to_owned()).or_default() += 1;
            }
        }
    }
    let key_workers: Vec<Value> = kws
        .iter()
        .map(|kw| {
            let n = open
                .iter()
                .filter(|(id, k)| k.as_deref() == Some(kw.as_str()) && !closed.contains(id))
                .count();
            let band = match n {
                0..=20 => 5,
                21..=25 => 4,
                26..=30 => 3,
                31..=40 => 2,
                _ => 1,
            };
            json!({ "key_worker": kw, "active_caseload": shown(n), "fidelity_band": band })
        })
        .collect();
    let mut key_workers = key_workers;
    key_workers.sort_by(|a, b| a["key_worker"].as_str().cmp(&b["key_worker"].as_str()));
    Sent {
        ids,
        of: open.iter().cloned().collect(),
        figures: json!({
            "from": "2026-01-02",
            "to": "2026-02-01",
            "referrals_by_route": shown_map(&referrals),
            "accepted": shown(accepted),
            "waitlisted": shown(waitlisted),
            "declined": shown(declined),
            "starts": shown(started.len()),
            "job_starts": shown(6),
            "outcome_checkpoints_met": shown(5),
            "exits_by_reason": shown_map(&exits),
            "handovers_by_destination": shown_map(&handovers),
            "median_days_referral_to_start": median(to_start),
            "median_days_start_to_first_employer_contact": Value::Null,
            "key_workers": key_workers,
        }),
    }
}

/// The figures as the CSV lists them: (figure, group) → value.
fn csv_rows(csv: &str) -> BTreeMap<(String, String), String> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("figure,group,value"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), 3, "{l}");
            (
                (cells[0].to_owned(), cells[1].to_owned()),
                cells[2].to_owned(),
            )
        })
        .collect()
}

/// The expected figures (JSON) as CSV rows.
fn expected_rows(f: &Value) -> BTreeMap<(String, String), String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "<5".to_owned(),
        other => other.to_string(),
    };
    let mut rows = BTreeMap::new();
    let mut put = |figure: &str, group: &str, v: &Value| {
        rows.insert((figure.to_owned(), group.to_owned()), text(v));
    };
    put("period_from", "", &f["from"]);
    put("period_to", "", &f["to"]);
    for (figure, key) in [
        ("referrals", "referrals_by_route"),
        ("exits", "exits_by_reason"),
        ("handovers", "handovers_by_destination"),
    ] {
        for (group, v) in f[key].as_object().expect("map") {
            put(figure, group, v);
        }
    }
    for figure in [
        "accepted",
        "waitlisted",
        "declined",
        "starts",
        "job_starts",
        "outcome_checkpoints_met",
        "median_days_referral_to_start",
        "median_days_start_to_first_employer_contact",
    ] {
        put(figure, "", &f[figure]);
    }
    for kw in f["key_workers"].as_array().expect("key workers") {
        let id = kw["key_worker"].as_str().expect("id");
        put("key_worker_caseload", id, &kw["active_caseload"]);
        put("key_worker_fidelity_band", id, &kw["fidelity_band"]);
    }
    rows
}

/// No participant id, date of birth or postcode in `text`.
fn no_personal_data(text: &str, ids: &[String]) {
    assert!(!text.contains("1990-04-01"), "a date of birth: {text}");
    assert!(!text.contains("ST4"), "a postcode: {text}");
    for id in ids {
        assert!(!text.contains(id.as_str()), "a participant id: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_in_csv_and_json_matches_counts_computed_from_what_was_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let sent = a_month_of_work(&api).await;
    let expected = &sent.figures;
    // Some counts are under 5 and must show as `<5`.
    assert_eq!(expected["referrals_by_route"]["self"], "<5");
    assert_eq!(expected["exits_by_reason"]["completed"], "<5");
    assert_eq!(expected["referrals_by_route"]["jobcentre"], 8);

    let mi = |format: &str| json!({ "type": "management_information_export", "period_days": 31, "format": format });
    let csv_schedule = schedule(&api, "monthly MI (CSV)", "0 6 2 2 *", mi("csv")).await;
    let json_schedule = schedule(&api, "monthly MI (JSON)", "0 6 2 2 *", mi("json")).await;
    let at = "2026-02-02T06:00:00Z";
    api.set_clock(at).await;
    fired_at(&api, &csv_schedule, at).await;
    fired_at(&api, &json_schedule, at).await;
    let actions = all_actions(&api, "").await;
    let firing = |id: &str| {
        actions
            .iter()
            .find(|a| a["schedule"]["id"] == id && a["scheduled_for"] == at)
            .expect("the firing's action")
            .clone()
    };

    let json_export = firing(&json_schedule);
    let result = &json_export["result"];
    assert_eq!(result["type"], "management_information", "{json_export}");
    assert_eq!(result["format"], "json");
    assert!(result["csv"].is_null());
    let mut figures = result["figures"].clone();
    if let Some(f) = figures.as_object_mut() {
        // Absent medians (fewer than 5 cases) are null in the comparison.
        for m in [
            "median_days_referral_to_start",
            "median_days_start_to_first_employer_contact",
        ] {
            f.entry(m.to_owned()).or_insert(Value::Null);
        }
    }
    assert_eq!(&figures, expected, "JSON export");
    no_personal_data(&json_export["result"].to_string(), &sent.ids);

    // The handovers of the completed exits name the participant's key worker.
    let handovers: Vec<&Value> = actions.iter().filter(|a| a["kind"] == "handover").collect();
    assert!(!handovers.is_empty());
    for h in handovers {
        let p = h["participant"].as_str().expect("participant");
        let kw = sent.of.get(p).cloned().flatten();
        assert_eq!(h["key_worker"].as_str(), kw.as_deref(), "{h}");
    }

    let csv_export = firing(&csv_schedule);
    let result = &csv_export["result"];
    assert_eq!(result["format"], "csv", "{csv_export}");
    let csv = result["csv"].as_str().expect("csv text");
    assert_eq!(csv_rows(csv), expected_rows(expected), "CSV export:\n{csv}");
    assert!(csv.contains("referrals,self,<5\n"), "{csv}");
    no_personal_data(csv, &sent.ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_on_demand_match_the_export_as_json_and_csv_and_metrics_and_openapi_cover_the_routes()
 {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let sent = a_month_of_work(&api).await;
    api.set_clock("2026-02-02T06:00:00Z").await;
    let path = format!("{STOKE}/indicators?from=2026-01-02&to=2026-02-01");

    let r = api.get(&path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut figures = r.body.clone();
    if let Some(f) = figures.as_object_mut() {
        for m in [
            "median_days_referral_to_start",
            "median_days_start_to_first_employer_contact",
        ] {
            f.entry(m.to_owned()).or_insert(Value::Null);
        }
    }
    assert_eq!(figures, sent.figures, "JSON indicators");
    no_personal_data(&r.body.to_string(), &sent.ids);

    let csv = api
        .http
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("request reached the daemon");
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("csv");
    assert_eq!(csv_rows(&csv), expected_rows(&sent.figures), "{csv}");
    no_personal_data(&csv, &sent.ids);

    // A backwards period is refused with what to change.
    let r = api
        .get(&format!("{STOKE}/indicators?from=2026-02-01&to=2026-01-01"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // A caseworker may read the figures; only a council admin may make key workers.
    let (_, worker) = support::key(&api, STOKE, "caseworker").await;
    assert_eq!(worker.get(&path).await.status, 200);
    let r = worker
        .post(&format!("{STOKE}/key-workers"), json!({ "name": "Dee" }))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // /metrics counts the new routes by pattern; the OpenAPI document describes them.
    let metrics = api.get("/metrics").await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    for line in [
        "route=\"/v1/councils/{council}/indicators\",status=\"200\"",
        "route=\"/v1/councils/{council}/key-workers\",status=\"201\"",
        "route=\"/v1/councils/{council}/referrals\",status=\"201\"",
    ] {
        assert!(text.contains(line), "{line} not in /metrics");
    }
    let doc = api.get("/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    for (method, route) in [
        ("get", "/v1/councils/{council}/key-workers"),
        ("post", "/v1/councils/{council}/key-workers"),
        ("get", "/v1/councils/{council}/key-workers/{key_worker}"),
        ("patch", "/v1/councils/{council}/key-workers/{key_worker}"),
        (
            "post",
            "/v1/councils/{council}/key-workers/{key_worker}/retire",
        ),
        (
            "put",
            "/v1/councils/{council}/participants/{participant}/key-worker",
        ),
        ("get", "/v1/councils/{council}/indicators"),
    ] {
        assert!(
            doc.body["paths"][route][method].is_object(),
            "{method} {route} not in the OpenAPI document"
        );
    }
    let actions = &doc.body["paths"]["/v1/councils/{council}/actions"]["get"]["parameters"];
    for name in ["key_worker", "due_before", "due_on"] {
        assert!(
            actions
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name)),
            "{name} not a documented query parameter of GET …/actions"
        );
    }
}
