//! Retention per council through the real daemon: a closed journey kept longer than
//! the council's period is erased by the daemon's own sweep when the (manual) clock
//! moves on, from every tree; one under a legal hold and one closed more recently
//! stay; the sweep is in the audit log, which still verifies.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Client, Daemon};

const STOKE: &str = "/v1/councils/stoke-on-trent";

/// (postcode, date of birth) of each person: distinctive, to search the trees for.
const OLD: (&str, &str) = ("ST4 8RW", "1971-06-14");
const HELD: (&str, &str) = ("ST6 4PJ", "1988-10-03");
const NEWER: (&str, &str) = ("ST3 2LK", "1995-03-27");

/// Refers someone, starts them on 5 January 2026 and closes their journey on `exit`.
async fn closed(api: &Client, (postcode, dob): (&str, &str), exit: &str) -> String {
    let r = api
        .post(
            &format!("{STOKE}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": dob, "postcode": postcode }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["participant_id"].as_str().expect("id").to_owned();
    for event in [
        json!({ "type": "started", "at": "2026-01-05" }),
        json!({ "type": "exited", "at": exit, "reason": "completed" }),
    ] {
        let r = api
            .post(&format!("{STOKE}/participants/{id}/events"), event)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    id
}

fn trees_holding(data: &std::path::Path, needles: &[&str]) -> Vec<String> {
    let db = sled::open(data.join("sled")).expect("open sled");
    let mut found = Vec::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        for kv in tree.iter() {
            let (k, v) = kv.expect("read");
            for bytes in [k.as_ref(), v.as_ref()] {
                let text = String::from_utf8_lossy(bytes);
                if needles.iter().any(|n| text.contains(n)) {
                    found.push(String::from_utf8_lossy(&name).into_owned());
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_erases_journeys_closed_longer_than_the_period_except_under_hold() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(&api, "stoke-on-trent", "Stoke", "stoke-on-trent").await;

    // The default, then the council's own period; a caseworker may not change it.
    let r = api.get(&format!("{STOKE}/retention")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({ "days_after_close": 2555, "default": true }));
    let r = api
        .post(
            &format!("{STOKE}/keys"),
            json!({ "role": "caseworker", "name": "cw", "expires_at": null }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let caseworker = api.with_token(r.body["secret"].as_str().expect("secret"));
    // `system` is how the audit log names the daemon's own work, not a role a key can
    // have: making such a key is refused and makes nothing.
    let keys = api.get(&format!("{STOKE}/keys")).await;
    let r = api
        .post(
            &format!("{STOKE}/keys"),
            json!({ "role": "system", "name": "sweep", "expires_at": null }),
        )
        .await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    assert_eq!(
        r.body["type"], "urn:waymark:problem:invalid-body",
        "{}",
        r.body
    );
    assert_eq!(api.get(&format!("{STOKE}/keys")).await.body, keys.body);
    let r = caseworker
        .put(
            &format!("{STOKE}/retention"),
            json!({ "days_after_close": 1 }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    for bad in [
        json!({ "days_after_close": 0 }),
        json!({ "days_after_close": 40000 }),
        json!({ "days_after_close": 30, "keep": "forever" }),
    ] {
        let r = api.put(&format!("{STOKE}/retention"), bad).await;
        assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    }
    let r = api
        .put(
            &format!("{STOKE}/retention"),
            json!({ "days_after_close": 30 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({ "days_after_close": 30, "default": false }));

    let old = closed(&api, OLD, "2026-01-06").await;
    let held = closed(&api, HELD, "2026-01-06").await;
    let newer = closed(&api, NEWER, "2026-01-26").await;
    let r = api
        .put(
            &format!("{STOKE}/participants/{held}/hold"),
            json!({ "reason": "tribunal claim 2026/114" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // 6 February: the first two closed 31 days ago, the third 11 days ago.
    api.set_clock("2026-02-06T12:00:00Z").await;
    let export = api
        .wait_for(
            &format!("{STOKE}/participants/{old}/export"),
            Duration::from_secs(10),
            |b| b["erasure"].is_object(),
        )
        .await;
    assert_eq!(
        export["erasure"]["erased_by"], "retention-sweep",
        "{export}"
    );
    assert_eq!(export["events"], json!([]), "{export}");
    assert_eq!(
        api.get(&format!("{STOKE}/participants/{old}")).await.status,
        404
    );
    for kept in [&held, &newer] {
        let r = api.get(&format!("{STOKE}/participants/{kept}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // The sweep audits once it has erased: wait for its entry rather than race it.
    let audit = api
        .wait_for(&format!("{STOKE}/audit"), Duration::from_secs(10), |b| {
            b["entries"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["route"] == "retention"))
        })
        .await;
    let sweeps: Vec<&Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["route"] == "retention")
        .collect();
    assert_eq!(sweeps.len(), 1, "{audit}");
    assert_eq!(sweeps[0]["key"], "retention-sweep");
    assert_eq!(
        sweeps[0]["role"], "system",
        "the daemon acted, not a platform admin"
    );
    assert_eq!(sweeps[0]["ids"]["erased"], "1");
    assert_eq!(sweeps[0]["ids"]["held"], "1");

    // Nothing of the erased person is left in any tree; the others are all there.
    daemon.stop();
    assert_eq!(
        trees_holding(dir.path(), &[OLD.0, OLD.1]),
        Vec::<String>::new()
    );
    // The others' journeys are sealed at rest (`store/sealing.rs`): found by their ids.
    assert!(!trees_holding(dir.path(), &[held.as_str()]).is_empty());
    assert!(!trees_holding(dir.path(), &[newer.as_str()]).is_empty());

    let verify = std::process::Command::new(support::waymark_bin())
        .args(["audit", "verify", "--data"])
        .arg(dir.path())
        .output()
        .expect("run waymark audit verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact"));
}
