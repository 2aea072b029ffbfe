//! The right to rectification against the real daemon: a caseworker corrects a
//! participant's details, the corrected values replace the old everywhere the store
//! keeps the journey, and the correction is refused to the wrong role, the wrong
//! council, a closed or erased journey, and a body that is not a valid correction.

use crate::support;

use serde_json::{Value, json};
use support::{Client, Daemon, Reply, key};

const STOKE: &str = "/v1/councils/stoke-on-trent";
const LEEDS: &str = "/v1/councils/leeds";
const OLD_POSTCODE: &str = "ST4 1AB";
const NEW_POSTCODE: &str = "ST4 7QB";

/// The harness has no PATCH; it is sent the same way its other verbs are.
async fn patch(api: &Client, path: &str, body: Value) -> Reply {
    let resp = api
        .http
        .patch(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .json(&body)
        .send()
        .await
        .expect("request reached the daemon");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("read body");
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    }
}

async fn refer(api: &Client, postcode: &str) -> String {
    let r = api
        .post(
            &format!("{STOKE}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": postcode }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    format!(
        "{STOKE}/participants/{}",
        r.body["participant_id"].as_str().expect("id")
    )
}

fn problem(r: &Reply, status: u16, says: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["status"], status, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{detail:?} should say {says:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_postcode_replaces_the_old_one_everywhere_the_journey_is_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(&admin, "stoke-on-trent", "Stoke-on-Trent", "stoke-on-trent")
        .await;
    let r = admin
        .post("/v1/councils", json!({ "id": "leeds", "name": "Leeds" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, worker) = key(&admin, STOKE, "caseworker").await;
    let (_, auditor) = key(&admin, STOKE, "auditor").await;
    let (_, stoke_admin) = key(&admin, STOKE, "council_admin").await;
    let (_, leeds_worker) = key(&admin, LEEDS, "caseworker").await;

    let person = refer(&worker, OLD_POSTCODE).await;
    let before = worker.get(&person).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["state"]["state"], "accepted", "{}", before.body);
    let correction = json!({ "postcode": NEW_POSTCODE, "cohorts": ["mental_health"] });

    // Refused requests change nothing.
    for (who, client) in [("auditor", &auditor), ("council admin", &stoke_admin)] {
        let r = patch(client, &person, correction.clone()).await;
        assert_eq!(r.status, 403, "{who}: {}", r.body);
    }
    let other = person.replace(STOKE, LEEDS);
    let r = patch(&leeds_worker, &other, correction.clone()).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = patch(
        &worker,
        &person,
        json!({ "postcode": "ST4 1AB", "name": "Ann" }),
    )
    .await;
    problem(&r, 422, "name");
    let r = patch(&worker, &person, json!({ "route": "self" })).await;
    problem(&r, 422, "route");
    let r = patch(&worker, &person, json!({ "postcode": "not a postcode" })).await;
    problem(&r, 422, "postcode");
    assert_eq!(r.body["type"], "urn:waymark:problem:invalid-referral");
    let r = patch(&worker, &person, json!({ "date_of_birth": "2030-01-01" })).await;
    problem(&r, 422, "date_of_birth");
    let r = patch(&worker, &person, json!({})).await;
    problem(&r, 422, "at least one");
    assert_eq!(worker.get(&person).await.body, before.body);

    // The correction: answered like GET, recorded by field name only.
    let r = patch(&worker, &person, correction.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after = worker.get(&person).await;
    assert_eq!(r.body, after.body);
    assert_eq!(after.body["state"], before.body["state"], "not re-decided");
    let history = after.body["history"].as_array().expect("history");
    assert_eq!(history[0]["referral"]["postcode"], NEW_POSTCODE);
    assert_eq!(history[0]["referral"]["cohorts"], json!(["mental_health"]));
    let last = history.last().expect("event");
    assert_eq!(last["type"], "details_corrected", "{last}");
    assert_eq!(last["at"], "2026-01-05");
    assert_eq!(last["fields"], json!(["postcode", "cohorts"]));
    assert!(last["recorded_at"].is_string(), "{last}");
    assert!(
        !after.body.to_string().contains(OLD_POSTCODE),
        "{}",
        after.body
    );
    let export = worker.get(&format!("{person}/export")).await;
    assert_eq!(export.status, 200, "{}", export.body);
    let text = export.body.to_string();
    assert!(text.contains(NEW_POSTCODE), "{text}");
    assert!(!text.contains(OLD_POSTCODE), "{text}");

    // The same correction again changes nothing and records nothing.
    let r = patch(&worker, &person, correction.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, after.body);

    // The gate audited it: who, which route, never the values.
    let r = auditor.get(&format!("{STOKE}/audit?limit=500")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let entries = r.body["entries"].as_array().cloned().unwrap_or_default();
    let patches: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["method"] == "PATCH"
                && e["route"] == "/v1/councils/{council}/participants/{participant}"
        })
        .collect();
    assert_eq!(patches.len(), 2, "{entries:?}");
    assert!(
        patches.iter().all(|e| e["role"] == "caseworker"),
        "{entries:?}"
    );
    let text = serde_json::to_string(&entries).unwrap_or_default();
    assert!(
        !text.contains(NEW_POSTCODE) && !text.contains(OLD_POSTCODE),
        "{text}"
    );

    // A closed journey is not corrected: a Manchester postcode is declined.
    let declined = refer(&worker, "M1 1AE").await;
    assert_eq!(
        worker.get(&declined).await.body["state"]["state"],
        "declined"
    );
    let r = patch(&worker, &declined, json!({ "in_work": true })).await;
    problem(&r, 409, "closed");
    // An erased one is gone.
    let r = stoke_admin.delete(&declined).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = patch(&worker, &declined, json!({ "in_work": true })).await;
    problem(&r, 404, "no participant");

    // The store's journeys, decisions and timers never hold the old postcode, nor the
    // new one in the clear: the journey is sealed at rest (`store/sealing.rs`). (The
    // whole data folder is not searched: sled may keep a replaced value in a log
    // segment until it reclaims the segment, which Waymark does not control.)
    daemon.stop();
    let db = sled::open(dir.path().join("sled")).expect("open sled");
    let mut found_new = false;
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        for entry in tree.iter() {
            let (k, v) = entry.expect("entry");
            for bytes in [k.as_ref(), v.as_ref()] {
                let text = String::from_utf8_lossy(bytes);
                assert!(
                    !text.contains(OLD_POSTCODE),
                    "tree {} still holds the old postcode",
                    String::from_utf8_lossy(&name)
                );
                found_new |= text.contains(NEW_POSTCODE);
            }
        }
    }
    assert!(!found_new, "the corrected postcode is stored sealed");
}
