//! Erasure that reaches the disk (crypto-shredding): after a participant is erased,
//! nothing in the data folder, nor in a backup taken afterwards, holds their postcode
//! or date of birth in any form (their journey, nor a reviewer's note that quotes
//! them); and the master data key is checked at start-up.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::{ADMIN_TOKEN, Client, Daemon, waymark_bin};

const STOKE: &str = "/v1/councils/stoke-on-trent";
/// A postcode and a date of birth found nowhere else (not in the plugin, nor its cases).
const POSTCODE: &str = "ST4 9ZQ";
const BORN: &str = "1961-11-23";

/// Every way the two could plausibly be stored: as given, in JSON, without the
/// space, in lower case, and the date in other common orders.
fn needles() -> Vec<Vec<u8>> {
    [
        POSTCODE,
        "ST49ZQ",
        "st4 9zq",
        "\"ST4 9ZQ\"",
        BORN,
        "\"1961-11-23\"",
        "23/11/1961",
        "19611123",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if entry.file_type().expect("file type").is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Where in `dir` any needle occurs: `file: needle`.
fn found_in(dir: &Path) -> Vec<String> {
    found_any(dir, &needles())
}

fn found_any(dir: &Path, needles: &[Vec<u8>]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files(dir) {
        let bytes = std::fs::read(&file).expect("read file");
        for needle in needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push(format!(
                    "{}: {}",
                    file.display(),
                    String::from_utf8_lossy(needle)
                ));
            }
        }
    }
    found
}

/// A reviewer's note quoting both (caseworkers write such things): it is kept in the
/// human-review queue's item as well as in the journey.
fn note() -> String {
    format!("Checked: lives at {POSTCODE}, born {BORN}; eligible")
}

/// Stoke-on-Trent, and one participant referred with the unique details before the
/// council has a plugin, so a person decides from the review queue with [`note`];
/// then the plugin, and a few events recorded. The participant's id.
async fn referred_with_events(admin: &Client) -> String {
    admin.set_clock("2026-01-05T10:00:00Z").await;
    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": "stoke-on-trent", "name": "Stoke-on-Trent" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = admin
        .post(
            &format!("{STOKE}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": BORN, "postcode": POSTCODE }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["state"]["state"], "awaiting_review", "{}", r.body);
    let id = r.body["participant_id"].as_str().expect("id").to_owned();
    let r = admin.get(&format!("{STOKE}/reviews")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let review = r.body["reviews"][0]["id"].clone();
    assert_eq!(r.body["reviews"][0]["participant"], id.as_str());
    let r = admin
        .post(
            &format!("{STOKE}/reviews/{review}/resolve"),
            json!({ "outcome": "accept", "note": note() }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The queue shows the note to reviewers: it is stored readable to the daemon.
    let r = admin.get(&format!("{STOKE}/reviews/{review}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["resolution"]["note"], note().as_str(), "{}", r.body);
    let wasm = std::fs::read(support::plugin("stoke-on-trent")).expect("built plugin");
    let r = admin.put_wasm(&format!("{STOKE}/plugin"), wasm).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for event in [
        json!({ "type": "started", "at": "2026-01-05" }),
        json!({ "type": "contact_made", "at": "2026-01-05" }),
        json!({ "type": "job_started", "at": "2026-01-05" }),
    ] {
        let r = admin
            .post(&format!("{STOKE}/participants/{id}/events"), event)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    id
}

/// The participant's export, as text.
async fn export(admin: &Client, id: &str) -> (u16, String) {
    let r = admin
        .get(&format!("{STOKE}/participants/{id}/export"))
        .await;
    (r.status, r.body.to_string())
}

fn offline_backup(data: &Path, dest: &Path) {
    let out = Command::new(waymark_bin())
        .arg("backup")
        .arg(dest)
        .arg("--data")
        .arg(data)
        .env_remove("WAYMARK_ADMIN_TOKEN")
        .env_remove("WAYMARK_DATA")
        .env_remove("WAYMARK_URL")
        .output()
        .expect("run waymark backup");
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_participant_leaves_nothing_findable_in_the_data_folder_or_a_later_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    let admin = daemon.client();
    let id = referred_with_events(&admin).await;

    // Before erasure the details read back through the API as usual.
    let (status, text) = export(&admin, &id).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(POSTCODE) && text.contains(BORN), "{text}");
    // A backup taken before erasure holds them only sealed.
    let before = dir.path().join("backup-before");
    let r = admin
        .post(
            "/v1/admin/backup",
            json!({ "dest": before.to_str().expect("utf-8 path") }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        found_in(&before),
        Vec::<String>::new(),
        "sealed in a backup"
    );

    let r = admin.delete(&format!("{STOKE}/participants/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, text) = export(&admin, &id).await;
    assert!(!text.contains(POSTCODE) && !text.contains(BORN), "{text}");
    daemon.stop();

    assert_eq!(found_in(&data), Vec::<String>::new(), "in the data folder");
    let after = dir.path().join("backup-after");
    offline_backup(&data, &after);
    assert_eq!(found_in(&after), Vec::<String>::new(), "in the backup");
    // The search does read every file: the tombstone's participant id is found.
    let id = vec![id.into_bytes()];
    assert!(!found_any(&data, &id).is_empty());
    assert!(!found_any(&after, &id).is_empty());
}

/// `waymark serve` on `data` with `key`; its exit status and output if it stops
/// within 30 s, `None` (and it is killed) if it is still serving.
fn serve_briefly(data: &Path, key: &str) -> Option<(bool, String)> {
    let mut child = Command::new(waymark_bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--manual-clock",
            "--data",
        ])
        .arg(data)
        .env("WAYMARK_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("WAYMARK_DATA_KEY", key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn waymark serve");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            let out = child.wait_with_output().expect("output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return Some((out.status.success(), text));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_the_same_key_reads_everything_and_another_key_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    let admin = daemon.client();
    let id = referred_with_events(&admin).await;
    let (_, before) = export(&admin, &id).await;
    daemon.stop();

    let other_key = "11".repeat(32);
    let (ok, output) = serve_briefly(&data, &other_key).expect("refused to start");
    assert!(!ok, "{output}");
    assert!(
        output.contains("does not open this data folder"),
        "the refusal says why: {output}"
    );
    assert!(!output.contains(POSTCODE), "{output}");

    let daemon = Daemon::start(&data);
    let admin = daemon.client();
    let (status, after) = export(&admin, &id).await;
    assert_eq!(status, 200, "{after}");
    let strip = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).expect("json");
        v["exported_at"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&before), strip(&after));
    assert!(after.contains(POSTCODE) && after.contains(BORN), "{after}");
}

/// A correction replaces a wrong postcode (rectification). The superseded journey
/// stays in sled's log until its segment is reclaimed, but it was sealed with a key
/// the correction destroyed (`store::sealed_records`): the old postcode is found
/// nowhere on disk, and the export shows the new one only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_postcode_leaves_the_old_one_nowhere_on_disk() {
    const WRONG: &str = "ST4 8ZW";
    const RIGHT: &str = "ST4 2XY";
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let daemon = Daemon::start(&data);
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(&admin, "stoke-on-trent", "Stoke-on-Trent", "stoke-on-trent")
        .await;
    let r = admin
        .post(
            &format!("{STOKE}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": "1980-02-02", "postcode": WRONG }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["participant_id"].as_str().expect("id").to_owned();
    let r = admin
        .http
        .patch(format!("{}{STOKE}/participants/{id}", admin.base))
        .bearer_auth(&admin.token)
        .json(&json!({ "postcode": RIGHT }))
        .send()
        .await
        .expect("request reached the daemon");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let (status, text) = export(&admin, &id).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(RIGHT) && !text.contains(WRONG), "{text}");
    daemon.stop();

    let wrong: Vec<Vec<u8>> = [WRONG, "ST48ZW", "st4 8zw"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(found_any(&data, &wrong), Vec::<String>::new());
}
