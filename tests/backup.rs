//! Backup and restore end to end: `waymark backup` against a daemon that keeps
//! serving 8 writing clients, `waymark restore` into a new data folder, and a daemon
//! started on it; and the refusals — a live data folder, a destination that is not
//! empty, a backup whose manifest is missing or damaged.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::{ADMIN_TOKEN, Daemon, waymark_bin};

const COUNCIL: &str = "stoke-on-trent";
const WRITERS: u64 = 8;
const TODAY: &str = "2026-01-05";

/// No rate limit: the load is the point.
fn start(dir: &Path) -> Daemon {
    Daemon::start_with(
        dir,
        &[
            ("WAYMARK_RATE_PER_SECOND", "1000000"),
            ("WAYMARK_RATE_BURST", "1000000"),
        ],
    )
}

/// Runs the `waymark` command with `args`, with none of the daemon's variables set.
fn waymark(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(waymark_bin());
    command
        .args(args)
        .env_remove("WAYMARK_ADMIN_TOKEN")
        .env_remove("WAYMARK_DATA")
        .env_remove("WAYMARK_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run waymark")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[derive(Default)]
struct Ledger {
    /// Referral ids the API answered 201.
    referrals: BTreeSet<String>,
    server_errors: Vec<String>,
}

/// Notes an answer that was a server error (or none at all).
fn server_error(ledger: &Mutex<Ledger>, what: String) {
    ledger.lock().expect("ledger").server_errors.push(what);
}

/// Refers and starts participants until told to stop.
async fn writer(base: String, stop: Arc<AtomicBool>, ledger: Arc<Mutex<Ledger>>, n: u64) {
    let http = reqwest::Client::new();
    let mut i = 0u64;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let referral = json!({
            "route": "jobcentre",
            "date_of_birth": format!("19{}-0{}-1{}", 70 + n, 1 + i % 9, i % 10),
            "postcode": format!("ST{} {}AB", 1 + n, i % 10),
            "referred_on": TODAY,
        });
        let resp = http
            .post(format!("{base}/v1/councils/{COUNCIL}/referrals"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&referral)
            .send()
            .await;
        let Ok(resp) = resp else {
            server_error(&ledger, "a referral got no answer".into());
            continue;
        };
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status >= 500 {
            server_error(&ledger, format!("referral → {status} {body}"));
            continue;
        }
        if status != 201 {
            continue;
        }
        let id = body["participant_id"].as_str().expect("id").to_owned();
        ledger.lock().expect("ledger").referrals.insert(id.clone());
        if body["state"]["state"] != "accepted" {
            continue;
        }
        let resp = http
            .post(format!(
                "{base}/v1/councils/{COUNCIL}/participants/{id}/events"
            ))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "type": "started", "at": TODAY }))
            .send()
            .await;
        let Ok(resp) = resp else {
            server_error(&ledger, "a start got no answer".into());
            continue;
        };
        if resp.status().as_u16() >= 500 {
            server_error(&ledger, format!("start → {}", resp.status()));
        }
    }
}

/// Reads one participant again and again; counts the answers.
async fn reader(
    base: String,
    id: String,
    stop: Arc<AtomicBool>,
    reads: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let http = reqwest::Client::new();
    while !stop.load(Ordering::SeqCst) {
        let resp = http
            .get(format!("{base}/v1/councils/{COUNCIL}/participants/{id}"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await;
        if resp.is_ok_and(|r| r.status().as_u16() == 200) {
            reads.fetch_add(1, Ordering::SeqCst);
        } else {
            failed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn set_up_council(api: &support::Client) {
    api.set_clock(&format!("{TODAY}T10:00:00Z")).await;
    support::council_with_plugin(
        api,
        COUNCIL,
        "Stoke-on-Trent City Council",
        "stoke-on-trent",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_holds_every_acknowledged_referral_and_restores_to_a_serving_daemon() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let daemon = start(&data);
    let api = daemon.client();
    set_up_council(&api).await;
    let first = api
        .post(
            &format!("/v1/councils/{COUNCIL}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": "1980-02-03",
                    "postcode": "ST1 1AB", "referred_on": TODAY }),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first = first.body["participant_id"]
        .as_str()
        .expect("id")
        .to_owned();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let failed_reads = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for n in 0..WRITERS {
        tasks.push(tokio::spawn(writer(
            daemon.base.clone(),
            stop.clone(),
            ledger.clone(),
            n,
        )));
    }
    tasks.push(tokio::spawn(reader(
        daemon.base.clone(),
        first.clone(),
        stop.clone(),
        reads.clone(),
        failed_reads.clone(),
    )));
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Everything acknowledged from here on back must be in the backup.
    let before: BTreeSet<String> = ledger.lock().expect("ledger").referrals.clone();
    let reads_before = reads.load(Ordering::SeqCst);
    let dest = root.path().join("backup");
    let (base, dest_arg, data_arg) = (
        daemon.base.clone(),
        path(&dest).to_owned(),
        path(&data).to_owned(),
    );
    let out = tokio::task::spawn_blocking(move || {
        waymark(
            &["backup", &dest_arg, "--data", &data_arg, "--url", &base],
            &[("WAYMARK_ADMIN_TOKEN", ADMIN_TOKEN)],
        )
    })
    .await
    .expect("backup command");
    assert!(out.status.success(), "backup failed: {}", text(&out));
    let reads_during = reads.load(Ordering::SeqCst) - reads_before;
    // The load goes on after the backup: later writes are simply not in it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("client task");
    }
    let (after, errors) = {
        let l = ledger.lock().expect("ledger");
        (l.referrals.clone(), l.server_errors.clone())
    };
    assert!(errors.is_empty(), "writes failed under load: {errors:?}");
    assert_eq!(
        failed_reads.load(Ordering::SeqCst),
        0,
        "reads failed under load"
    );
    assert!(
        before.len() >= 8,
        "the load acknowledged only {} referrals before the backup",
        before.len()
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("journeys:"), "{stdout}");

    // The backup request itself is audited like any state-changing admin request.
    let audit = api.get("/v1/audit?limit=500").await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let mut audited = false;
    let mut page = audit.body;
    loop {
        audited |= page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["route"] == "/v1/admin/backup" && e["method"] == "POST");
        match page["next_cursor"].as_u64() {
            Some(c) if !audited => {
                page = api
                    .get(&format!("/v1/audit?limit=500&after={c}"))
                    .await
                    .body;
            }
            _ => break,
        }
    }
    assert!(audited, "the backup request is not in the audit log");
    drop(daemon);

    let restored = root.path().join("restored");
    let out = waymark(&["restore", path(&dest), "--data", path(&restored)], &[]);
    assert!(out.status.success(), "restore failed: {}", text(&out));
    let out = waymark(&["audit", "verify", "--data", path(&restored)], &[]);
    assert!(out.status.success(), "audit verify failed: {}", text(&out));

    let daemon = start(&restored);
    let api = daemon.client();
    for id in &before {
        let r = api
            .get(&format!("/v1/councils/{COUNCIL}/participants/{id}"))
            .await;
        assert_eq!(
            r.status, 200,
            "referral {id}, acknowledged before the backup, lost: {}",
            r.body
        );
    }
    // The restored daemon takes new writes too.
    let r = api
        .post(
            &format!("/v1/councils/{COUNCIL}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": "1990-04-05",
                    "postcode": "ST2 2AB", "referred_on": TODAY }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    eprintln!(
        "backup under load: {} referrals acknowledged before the backup (all restored), {} by the end, \
         {reads_during} reads answered while `waymark backup` ran; {}",
        before.len(),
        after.len(),
        stdout.lines().next().unwrap_or_default()
    );
}

#[tokio::test]
async fn restore_into_a_data_folder_a_live_daemon_holds_is_refused_and_changes_nothing() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    let daemon = start(&data);
    let api = daemon.client();
    let r = api
        .post("/v1/councils", json!({ "id": "leeds", "name": "Leeds" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let dest = root.path().join("backup");
    let r = api
        .post("/v1/admin/backup", json!({ "dest": path(&dest) }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["manifest"]["trees"]["councils"], 1, "{}", r.body);

    let out = waymark(
        &["restore", path(&dest), "--data", path(&data), "--force"],
        &[],
    );
    assert!(!out.status.success(), "restore into a live folder ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in use by a running Waymark daemon")
            && stderr.contains("stop that daemon"),
        "{}",
        text(&out)
    );
    assert_eq!(api.get("/v1/councils/leeds").await.status, 200);
    assert!(!data.join(".restoring").exists());
}

#[tokio::test]
async fn a_backup_into_a_folder_that_is_not_empty_or_not_absolute_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let daemon = start(&root.path().join("data"));
    let api = daemon.client();
    let dest = root.path().join("taken");
    std::fs::create_dir_all(&dest).expect("dest");
    std::fs::write(dest.join("notes.txt"), b"keep me").expect("file");
    let r = api
        .post("/v1/admin/backup", json!({ "dest": path(&dest) }))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        r.body["type"], "urn:waymark:problem:backup-destination-not-empty",
        "{}",
        r.body
    );
    assert_eq!(
        std::fs::read(dest.join("notes.txt")).expect("file"),
        b"keep me"
    );
    assert!(!dest.join("manifest.json").exists());

    let r = api
        .post("/v1/admin/backup", json!({ "dest": "relative/backup" }))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = api
        .post("/v1/admin/backup", json!({ "dest": "/tmp/x", "extra": 1 }))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("extra")
    );
}

#[test]
fn restore_refuses_a_backup_whose_manifest_is_missing_or_damaged() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("data");
    {
        let daemon = start(&data);
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let r = daemon
                .client()
                .post("/v1/councils", json!({ "id": "leeds", "name": "Leeds" }))
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        });
    }
    // No daemon now: `waymark backup` copies the store itself.
    let dest = root.path().join("backup");
    let out = waymark(&["backup", path(&dest), "--data", path(&data)], &[]);
    assert!(
        out.status.success(),
        "offline backup failed: {}",
        text(&out)
    );

    let manifest = dest.join("manifest.json");
    let good = std::fs::read(&manifest).expect("manifest");
    std::fs::write(&manifest, &good[..good.len() / 2]).expect("truncate");
    let target = root.path().join("restored");
    let out = waymark(&["restore", path(&dest), "--data", path(&target)], &[]);
    assert!(!out.status.success(), "a damaged manifest was accepted");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("manifest of the backup"),
        "{}",
        text(&out)
    );
    assert!(!target.join("sled").exists());

    std::fs::remove_file(&manifest).expect("remove");
    let out = waymark(&["restore", path(&dest), "--data", path(&target)], &[]);
    assert!(
        !out.status.success(),
        "a backup without a manifest was accepted"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no manifest.json"),
        "{}",
        text(&out)
    );
    assert!(!target.join("sled").exists());

    // The intact manifest restores, and a second restore over it needs --force.
    std::fs::write(&manifest, &good).expect("put back");
    let out = waymark(&["restore", path(&dest), "--data", path(&target)], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = waymark(&["restore", path(&dest), "--data", path(&target)], &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--force"),
        "{}",
        text(&out)
    );
    let out = waymark(
        &["restore", path(&dest), "--data", path(&target), "--force"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
}
