//! Store faults against the real binary: a full disk under the data folder, and a
//! damaged record. (A second writer on the same folder is refused: see
//! `walking_skeleton`.)

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::Daemon;

const COUNCIL: &str = "derby";

fn referral() -> Value {
    json!({ "route": "health", "date_of_birth": "1980-01-01", "postcode": "DE1 1AA" })
}

/// A small tmpfs, unmounted when dropped. `None` (with the reason) where this
/// process may not mount.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(at.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem holding `dir` with one file, until the disk says no.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("ballast");
    let mut f = std::fs::File::create(&path).expect("create ballast");
    let block = vec![0xa5u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    path
}

fn is_problem(r: &support::Reply) -> bool {
    r.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "application/problem+json")
        && r.body["detail"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_a_clear_503_keeps_reads_and_loses_nothing() {
    let outer = tempfile::tempdir().expect("temp dir");
    let mnt = outer.path().join("small-disk");
    let _disk = match Tmpfs::mount(&mnt, "16m") {
        Ok(d) => d,
        // CI (`CI=true`, as root) must run this fault: a CI that cannot set it up
        // fails with the reason rather than passing without testing anything.
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("cannot mount a small tmpfs to fill the disk ({why}): run CI as root")
        }
        Err(why) => {
            eprintln!("skipped: cannot mount a small tmpfs here ({why}); under CI=true this fails");
            return;
        }
    };
    let data = mnt.join("data");
    let daemon = Daemon::start(&data);
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": COUNCIL, "name": "Derby City Council" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = api.post("/v1/councils/derby/referrals", referral()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let kept = r.body["participant_id"].as_str().expect("id").to_owned();
    let before = api
        .get(&format!("/v1/councils/derby/participants/{kept}"))
        .await;
    assert_eq!(before.status, 200);

    // The disk fills up. Writes already accepted into sled's preallocated log may
    // still succeed (and must then be durable); after that, a clear 503.
    let ballast = fill(&mnt);
    let mut acknowledged = vec![kept.clone()];
    let mut refusal = None;
    for _ in 0..50 {
        let r = api.post("/v1/councils/derby/referrals", referral()).await;
        match r.status {
            201 => acknowledged.push(r.body["participant_id"].as_str().expect("id").to_owned()),
            503 => {
                refusal = Some(r);
                break;
            }
            other => panic!("a write on a full disk answered {other}: {}", r.body),
        }
    }
    let r = refusal.expect("a write on a full disk is refused");
    assert!(is_problem(&r), "{}", r.body);
    assert_eq!(
        r.body["type"], "urn:waymark:problem:storage-unavailable",
        "{}",
        r.body
    );
    let detail = r.body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("disk holding the data folder is full"),
        "{detail}"
    );
    assert!(detail.contains("Free space"), "{detail}");
    // Every later write is refused the same way, never with a 5xx of another kind.
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "leeds", "name": "Leeds City Council" }),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(
        r.body["type"], "urn:waymark:problem:storage-unavailable",
        "{}",
        r.body
    );

    let r = api.get("/v1/councils/leeds").await;
    assert_eq!(r.status, 404, "a refused write is visible: {}", r.body);
    // Reads keep working, and show what was there.
    let r = api
        .get(&format!("/v1/councils/derby/participants/{kept}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, before.body);
    assert_eq!(api.get("/healthz").await.status, 200);

    // Space returns and Waymark restarts (sled keeps an I/O error until reopened):
    // everything acknowledged is intact, nothing refused appeared, writes work.
    std::fs::remove_file(&ballast).expect("remove ballast");
    daemon.kill9();
    let daemon = Daemon::start(&data);
    let api = daemon.client();
    for id in &acknowledged {
        let r = api
            .get(&format!("/v1/councils/derby/participants/{id}"))
            .await;
        assert_eq!(
            r.status, 200,
            "acknowledged referral {id} lost after a full disk: {}",
            r.body
        );
    }
    let r = api.get("/v1/councils/leeds").await;
    assert_eq!(r.status, 404, "a refused write appeared: {}", r.body);
    let r = api.post("/v1/councils/derby/referrals", referral()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    eprintln!(
        "full disk: {} writes acknowledged before refusal all kept; refusal was a 503 \
         `storage-unavailable`; writes resumed after restart",
        acknowledged.len()
    );
}

/// Overwrites (or truncates) the first record in a stopped daemon's store whose key
/// or value mentions `needle`.
fn damage(data: &Path, tree: &str, needle: &str, how: fn(&[u8]) -> Vec<u8>) -> String {
    let db = sled::open(data.join("sled")).expect("open the stopped daemon's store");
    let tree = db.open_tree(tree).expect("tree");
    let (key, value) = tree
        .iter()
        .map(|kv| kv.expect("read"))
        .find(|(k, v)| {
            String::from_utf8_lossy(k).contains(needle)
                || String::from_utf8_lossy(v).contains(needle)
        })
        .unwrap_or_else(|| panic!("no record mentions `{needle}`"));
    tree.insert(&key, how(&value)).expect("write");
    db.flush().expect("flush");
    String::from_utf8_lossy(&key).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_record_is_reported_with_its_key_and_the_rest_keeps_working() {
    let _wasm = std::fs::read(support::plugin("stoke-on-trent")).expect("built plugin");
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(
        &api,
        "stoke-on-trent",
        "Stoke-on-Trent City Council",
        "stoke-on-trent",
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(support::started_participant(&api, "stoke-on-trent").await);
    }
    // The first reviews fire (2 February): one action each.
    api.set_clock("2026-02-03T09:00:00Z").await;
    let actions = api
        .wait_for(
            "/v1/councils/stoke-on-trent/actions",
            Duration::from_secs(10),
            |b| b["actions"].as_array().is_some_and(|a| a.len() == 3),
        )
        .await;
    // The outbox lists in key order: damage the middle action, so a walk page by
    // page has to pass it; the journey damaged is another participant's.
    let listed: Vec<(String, String)> = actions["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            let field = |f: &str| a[f].as_str().expect(f).to_owned();
            (field("id"), field("participant"))
        })
        .collect();
    let (bad_journey, bad_action) = (listed[0].1.clone(), listed[1].0.clone());
    let (fine, fine_action) = (listed[2].1.clone(), listed[2].0.clone());
    let readable_actions = vec![listed[0].0.clone(), fine_action.clone()];
    // A listed action may not be on disk yet (the scheduler flushes after it commits);
    // any acknowledged write flushes the whole store, so the records to damage are
    // there when the store is opened after the kill.
    api.set_clock("2026-02-03T09:00:00Z").await;
    daemon.kill9();

    let journey_key = damage(dir.path(), "journeys", &bad_journey, |_| {
        b"\x00\xffnot json".to_vec()
    });
    let action_key = damage(dir.path(), "actions", &bad_action, |v| {
        v[..v.len() / 2].to_vec()
    });
    // One of another participant's decision records: their view and decision log
    // leave it out and name it.
    let decision_key = damage(dir.path(), "decisions", &fine, |v| {
        v[..v.len() / 3].to_vec()
    });
    // The council's one uploaded plugin version record.
    let version_key = damage(dir.path(), "plugin_versions", "stoke-on-trent/", |_| {
        b"[".to_vec()
    });
    // The earliest pending timer: everything due sorts after it.
    damage(dir.path(), "timers", "", |v| v[..3].to_vec());

    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    assert_eq!(api.get("/healthz").await.status, 200);

    // The damaged journey: a clear error naming its key, not a crash.
    let r = api
        .get(&format!(
            "/v1/councils/stoke-on-trent/participants/{bad_journey}"
        ))
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(is_problem(&r), "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains(&journey_key),
        "{}",
        r.body
    );

    // The others still work: reads, writes, acknowledgements.
    let r = api
        .get(&format!("/v1/councils/stoke-on-trent/participants/{fine}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["damaged"][0]["key"],
        decision_key.as_str(),
        "{}",
        r.body
    );
    let decisions = r.body["decisions"].as_array().expect("decisions").len();
    let r = api
        .get(&format!(
            "/v1/councils/stoke-on-trent/participants/{fine}/decisions"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["decisions"].as_array().map(Vec::len),
        Some(decisions)
    );
    assert!(decisions > 0, "{}", r.body);
    assert_eq!(
        r.body["damaged"][0]["key"],
        decision_key.as_str(),
        "{}",
        r.body
    );
    let r = api
        .post(
            &format!("/v1/councils/stoke-on-trent/actions/{fine_action}/ack"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api
        .post(
            &format!("/v1/councils/stoke-on-trent/actions/{bad_action}/ack"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains(&action_key),
        "{}",
        r.body
    );

    // Listing the outbox skips the damaged action and names it, never quoting it.
    let r = api.get("/v1/councils/stoke-on-trent/actions").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids = |page: &Value| -> Vec<String> {
        page["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| a["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(ids(&r.body), readable_actions, "{}", r.body);
    let damaged = r.body["damaged"].as_array().expect("damaged");
    assert_eq!(damaged.len(), 1, "{}", r.body);
    assert_eq!(damaged[0]["key"], action_key.as_str(), "{}", r.body);
    assert!(damaged[0]["reason"].is_string(), "{}", r.body);
    // Filtered by status, a damaged action is still named: its status is unknown.
    let r = api
        .get("/v1/councils/stoke-on-trent/actions?status=pending")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body), vec![listed[0].0.clone()], "{}", r.body);
    assert_eq!(r.body["damaged"][0]["key"], action_key.as_str());

    // Page by page, one at a time: every readable action once, in order, and the
    // damaged one named once, on the page that passes it.
    let (mut walked, mut named, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut path = "/v1/councils/stoke-on-trent/actions?limit=1".to_owned();
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        pages += 1;
        assert!(pages <= 5, "the walk does not end: {}", r.body);
        walked.extend(ids(&r.body));
        for d in r.body["damaged"].as_array().expect("damaged") {
            named.push(d["key"].as_str().expect("key").to_owned());
        }
        match r.body["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/councils/stoke-on-trent/actions?limit=1&after={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(walked, readable_actions);
    assert_eq!(named, vec![action_key.clone()]);
    assert_eq!(pages, 2);

    // The plugin version list names its damaged record.
    let r = api.get("/v1/councils/stoke-on-trent/plugin/versions").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["versions"], json!([]), "{}", r.body);
    assert_eq!(
        r.body["damaged"][0]["key"],
        version_key.as_str(),
        "{}",
        r.body
    );

    // The scrape counts the others.
    let r = api.get("/metrics").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .as_str()
            .unwrap_or("")
            .contains("waymark_outbox_pending_actions{council=\"stoke-on-trent\"} 1"),
        "{}",
        r.body
    );

    // Timers keep firing past the damaged one: the second reviews (2 March).
    api.set_clock("2026-03-03T09:00:00Z").await;
    api.wait_for(
        &format!("/v1/councils/stoke-on-trent/participants/{fine}"),
        Duration::from_secs(10),
        |b| {
            b["pending_timers"].as_array().is_some_and(|ts| {
                ts.iter()
                    .all(|t| t["due"].as_str().unwrap_or("") > "2026-03-03")
            })
        },
    )
    .await;
    let log = daemon.stop();
    assert!(
        log.contains("damaged timer moved to the `quarantine` tree"),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("damaged record skipped") && l.contains(&action_key)),
        "{log}"
    );
    eprintln!(
        "damaged a journey, an action and a timer: each reported by key, lists skip and name \
         the damaged action, the rest kept working"
    );
}
