//! No personal data in logs: referrals with distinctive postcodes and dates of birth
//! travel through the real daemon (decisions, events, timers, actions, export, hold,
//! erasure, refused and invalid requests) at debug level, and then its whole output is
//! searched for them. Afterwards nothing of the erased participant is left in any tree,
//! the human-review queue included (its items hold the reviewer's note).

use crate::support;

use std::time::Duration;

use serde_json::json;
use support::{Daemon, plugin};

const STOKE: &str = "/v1/councils/stoke-on-trent";

/// (postcode, date of birth): each appears nowhere else in the test or the code.
const PEOPLE: &[(&str, &str)] = &[
    ("ST4 7QZ", "1967-02-23"),
    ("ST6 2HX", "1993-12-07"),
    ("ST3 5WY", "2001-08-19"),
    ("M14 6HD", "1959-05-31"),
];

/// A reviewer's note about the first person: personal, kept with the journey and its
/// review item, never logged, erased with them.
const NOTE: &str = "Spoke to Ottoline Quarrendon's GP; eligible";

/// How a value might show up in a log line.
fn spellings(value: &str) -> Vec<String> {
    let mut v = vec![
        value.to_owned(),
        value.replace(' ', ""),
        value.to_lowercase(),
    ];
    if let [y, m, d] = value.split('-').collect::<Vec<_>>()[..] {
        v.push(format!("{d}/{m}/{y}"));
        v.push(format!("{y}{m}{d}"));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postcodes_and_dates_of_birth_never_reach_the_log() {
    let wasm = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start_with(dir.path(), &[("RUST_LOG", "debug")]);
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "stoke-on-trent", "name": "Stoke" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The first person is referred before the council has a plugin: a person decides,
    // from the review queue, with a note.
    let (postcode, dob) = PEOPLE[0];
    let r = api
        .post(
            &format!("{STOKE}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": dob, "postcode": postcode }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["state"]["state"], "awaiting_review", "{}", r.body);
    let mut ids = vec![r.body["participant_id"].as_str().expect("id").to_owned()];
    let r = api.get(&format!("{STOKE}/reviews")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let review = r.body["reviews"][0]["id"].clone();
    assert_eq!(r.body["reviews"][0]["participant"], ids[0].as_str());
    let r = api
        .post(
            &format!("{STOKE}/reviews/{review}/resolve"),
            json!({ "outcome": "accept", "note": NOTE }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = api.put_wasm(&format!("{STOKE}/plugin"), wasm).await;
    assert_eq!(r.status, 200, "{}", r.body);

    for (postcode, dob) in &PEOPLE[1..] {
        let r = api
            .post(
                &format!("{STOKE}/referrals"),
                json!({ "route": "jobcentre", "date_of_birth": dob, "postcode": postcode }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.body["participant_id"].as_str().expect("id").to_owned());
    }
    // Refused input that carries personal data: invalid values, unknown fields.
    for body in [
        json!({ "route": "jobcentre", "date_of_birth": "1967-02-23", "postcode": "ST4 7QZ!!" }),
        json!({ "route": "jobcentre", "date_of_birth": "2031-08-19", "postcode": "ST3 5WY" }),
        json!({ "route": "jobcentre", "date_of_birth": "1993-12-07", "postcode": "ST6 2HX", "name": "x" }),
        json!({ "route": "jobcentre", "date_of_birth": "1993-13-07", "postcode": "ST6 2HX" }),
    ] {
        let r = api.post(&format!("{STOKE}/referrals"), body).await;
        assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    }
    // The eligible ones start; one misses contact; one exits.
    for id in &ids[..3] {
        let r = api
            .post(
                &format!("{STOKE}/participants/{id}/events"),
                json!({ "type": "started", "at": "2026-01-05" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = api
        .post(
            &format!("{STOKE}/participants/{}/events", ids[1]),
            json!({ "type": "contact_missed", "at": "2026-01-12" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Timers fire into actions; one is acknowledged.
    api.set_clock("2026-02-03T09:00:00Z").await;
    let actions = api
        .wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
            b["actions"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    let first = actions["actions"][0]["id"].as_str().expect("id").to_owned();
    let r = api
        .post(&format!("{STOKE}/actions/{first}/ack"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for id in &ids {
        assert_eq!(
            api.get(&format!("{STOKE}/participants/{id}")).await.status,
            200
        );
        let r = api.get(&format!("{STOKE}/participants/{id}/export")).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // The first person is erased (after a hold is placed and lifted).
    let first_person = format!("{STOKE}/participants/{}", ids[0]);
    let r = api
        .put(
            &format!("{first_person}/hold"),
            json!({ "reason": "complaint 7" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(api.delete(&first_person).await.status, 409);
    assert_eq!(
        api.delete(&format!("{first_person}/hold")).await.status,
        204
    );
    let r = api.delete(&first_person).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The erasure reached every kind of record: decisions, and the fired reminders.
    let count = |k: &str| r.body[k].as_u64().unwrap_or(0);
    assert!(count("decisions") >= 2, "{}", r.body);
    assert!(
        count("actions_withdrawn") + count("actions_redacted") >= 1,
        "{}",
        r.body
    );
    assert!(count("timers_cancelled") >= 1, "{}", r.body);
    // Their eligibility item, and the plan item from resolving it before the plugin came.
    assert_eq!(count("reviews_removed"), 2, "{}", r.body);
    let r = api.get(&format!("{first_person}/export")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["erasure"].is_object(), "{}", r.body);

    let output = daemon.stop();
    assert!(
        output.contains("referral recorded"),
        "the log was not captured:\n{output}"
    );
    let mut leaks = Vec::new();
    for (postcode, dob) in PEOPLE {
        for value in spellings(postcode).into_iter().chain(spellings(dob)) {
            if output.contains(&value) {
                leaks.push(value);
            }
        }
    }
    for extra in ["ST4 7QZ!!", "2031-08-19", "1993-13-07", NOTE] {
        if output.contains(extra) {
            leaks.push(extra.to_owned());
        }
    }
    assert!(
        leaks.is_empty(),
        "personal data in the daemon's output: {leaks:?}\n{output}"
    );

    // Nothing of the erased person is left in any tree.
    let db = sled::open(dir.path().join("sled")).expect("open sled");
    let (postcode, dob) = PEOPLE[0];
    let mut found = Vec::new();
    let mut seen_second = false;
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        for kv in tree.iter() {
            let (k, v) = kv.expect("read");
            for bytes in [k.as_ref(), v.as_ref()] {
                let text = String::from_utf8_lossy(bytes);
                if text.contains(postcode) || text.contains(dob) || text.contains(NOTE) {
                    found.push(String::from_utf8_lossy(&name).into_owned());
                }
                // The review queue keeps nothing of them, not even their pseudonymous id.
                if name.as_ref() == b"reviews" && text.contains(ids[0].as_str()) {
                    found.push("reviews (participant id)".to_owned());
                }
                // Their journey is sealed at rest (`store/sealing.rs`): found by id.
                seen_second |= name.as_ref() == b"journeys" && text.contains(ids[1].as_str());
            }
        }
    }
    assert!(
        seen_second,
        "the scan should see the people who were not erased"
    );
    assert!(
        found.is_empty(),
        "the erased person's data remains in trees {found:?}"
    );
}
