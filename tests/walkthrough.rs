//! `examples/walkthrough.sh` against a live daemon, so the README's first walk
//! cannot rot: from an empty daemon to a review reminder pushed to a webhook,
//! signed, and acknowledged — and the same without a webhook (pulled).

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::receiver::Receiver;
use support::{ADMIN_TOKEN, Daemon, plugin, workspace};

const SECRET: &str = "whsec-walkthrough-test-0123456789abcdef";

async fn run_walkthrough(base: String, webhook: Option<String>) -> String {
    tokio::task::spawn_blocking(move || walkthrough(&base, webhook.as_deref()))
        .await
        .expect("the walkthrough thread")
}

fn walkthrough(base: &str, webhook: Option<&str>) -> String {
    let plugin = plugin("stoke-on-trent");
    let mut command = Command::new("bash");
    command
        .arg(workspace().join("examples").join("walkthrough.sh"))
        .env("WAYMARK_URL", base)
        .env("WAYMARK_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("WAYMARK_PLUGIN", &plugin)
        .env_remove("WEBHOOK_URL");
    if let Some(url) = webhook {
        command
            .env("WEBHOOK_URL", url)
            .env("WEBHOOK_SECRET", SECRET);
    }
    let out = command.output().expect("run bash examples/walkthrough.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the walkthrough failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The reminder the script reports at its end: `… reminder <id> delivered …`.
fn reminder_id(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Walkthrough complete"))
        .unwrap_or_else(|| panic!("no closing line in:\n{stdout}"));
    let id = line
        .split("reminder ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no reminder id in {line:?}"));
    id.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walkthrough_delivers_a_signed_review_reminder_to_the_webhook() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(dir.path());
    let receiver = Receiver::start().await;
    let stdout = run_walkthrough(daemon.base.clone(), Some(receiver.url.clone())).await;
    let action = reminder_id(&stdout);
    let got = receiver.wait_for(&action, 1, Duration::from_secs(10)).await;
    let first = &got[0];
    assert!(first.signed_with(SECRET), "the delivery is signed");
    assert_eq!(first.json()["kind"], "review", "{}", first.json());
    assert!(first.header("idempotency-key").is_some());

    assert!(stdout.contains(&format!("{action} delivered.")), "{stdout}");
    assert_eq!(status_of(&daemon, &action).await, "delivered");
}

async fn status_of(daemon: &Daemon, action: &str) -> String {
    let list = daemon
        .client()
        .get("/v1/councils/walkthrough-borough/actions?limit=500")
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == action))
        .and_then(|x| x["status"].as_str())
        .unwrap_or("missing")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walkthrough_without_a_webhook_leaves_the_reminder_to_be_pulled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(dir.path());
    let stdout = run_walkthrough(daemon.base.clone(), None).await;
    assert!(stdout.contains("No WEBHOOK_URL"), "{stdout}");
    let action = reminder_id(&stdout);
    assert!(
        stdout.contains(&format!("{action} acknowledged.")),
        "{stdout}"
    );
    assert_eq!(status_of(&daemon, &action).await, "acknowledged");
}
