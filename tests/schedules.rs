//! Admin cron schedules against the real daemon: preview across both 2026 DST
//! changes, firing as the clock moves, pause, `kill -9` without duplicates, catch-up
//! after downtime, and a council calendar that moves a schedule off a closure day.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Client, Daemon};

const C: &str = "/v1/councils/leeds";

/// The schedule actions in the outbox: (scheduled_for, local time, schedule id).
async fn schedule_actions(api: &Client) -> Vec<(String, String, String)> {
    let r = api.get(&format!("{C}/actions?limit=500")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["schedule"].is_object())
        .map(|a| {
            (
                a["scheduled_for"].as_str().unwrap_or_default().to_owned(),
                a["schedule"]["local_time"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                a["schedule"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Waits until the schedule has recorded `n` runs (the scheduler is asynchronous).
async fn wait_runs(api: &Client, id: &str, n: usize) -> Vec<Value> {
    api.wait_for(
        &format!("{C}/schedules/{id}/runs"),
        Duration::from_secs(20),
        |b| b["runs"].as_array().is_some_and(|r| r.len() >= n),
    )
    .await["runs"]
        .as_array()
        .expect("runs")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_fires_right_across_dst_pauses_survives_kill_9_and_catches_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-27T12:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "leeds", "name": "Leeds City Council" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Refused: unknown field, bad cron, preview count too large.
    let r = api
        .post(
            &format!("{C}/schedules"),
            json!({ "name": "x", "cron": "30 1 * * *", "action": { "type": "caseload_digest" }, "colour": "red" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("colour"),
        "{}",
        r.body
    );
    let r = api
        .post(
            &format!("{C}/schedules"),
            json!({ "name": "x", "cron": "30 1 * *", "action": { "type": "caseload_digest" } }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("4 fields"),
        "{}",
        r.body
    );

    let r = api
        .post(
            &format!("{C}/schedules"),
            json!({
                "name": "Overnight overdue-review sweep",
                "cron": "30 1 * * *",
                "action": { "type": "overdue_review_sweep", "grace_working_days": 2 },
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["timezone"], "Europe/London",
        "council's zone by default"
    );
    let id = r.body["id"].as_str().expect("id").to_owned();

    let r = api
        .get(&format!("{C}/schedules/{id}/preview?count=501"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("500")
    );

    // Preview from 27 March to past the October change: one per local day.
    let r = api
        .get(&format!("{C}/schedules/{id}/preview?count=215"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let at: Vec<&str> = r.body["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| o["at"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        &at[..3],
        [
            "2026-03-28T01:30:00+00:00",
            "2026-03-29T02:00:00+01:00",
            "2026-03-30T01:30:00+01:00"
        ]
    );
    let october: Vec<&str> = at
        .iter()
        .copied()
        .filter(|a| a.starts_with("2026-10-2"))
        .collect();
    assert!(october.contains(&"2026-10-25T01:30:00+01:00"));
    assert!(october.contains(&"2026-10-26T01:30:00+00:00"));
    let days: Vec<&str> = at.iter().map(|a| &a[..10]).collect();
    let mut unique = days.clone();
    unique.dedup();
    assert_eq!(days, unique, "no local day twice");
    assert_eq!(
        r.body["occurrences"][1]["adjustments"],
        json!(["shifted_out_of_dst_gap"])
    );

    // The clock moves: exactly the expected actions.
    api.set_clock("2026-03-28T01:30:00Z").await;
    wait_runs(&api, &id, 1).await;
    api.set_clock("2026-03-29T01:00:00Z").await; // 02:00 BST, the end of the gap
    wait_runs(&api, &id, 2).await;
    assert_eq!(
        schedule_actions(&api).await,
        [
            (
                "2026-03-28T01:30:00Z".to_owned(),
                "2026-03-28T01:30:00+00:00".to_owned(),
                id.clone()
            ),
            (
                "2026-03-29T01:00:00Z".to_owned(),
                "2026-03-29T02:00:00+01:00".to_owned(),
                id.clone()
            ),
        ]
    );

    // Paused: the next occurrence is recorded as missed, nothing fires.
    let r = api
        .post(&format!("{C}/schedules/{id}/pause"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["paused"], true);
    api.set_clock("2026-03-30T06:00:00Z").await;
    let recorded = wait_runs(&api, &id, 3).await;
    assert_eq!(recorded[2]["outcome"], "missed");
    assert_eq!(recorded[2]["reason"], "paused");
    assert_eq!(schedule_actions(&api).await.len(), 2);
    let r = api
        .post(&format!("{C}/schedules/{id}/resume"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    api.set_clock("2026-03-31T00:30:00Z").await;
    wait_runs(&api, &id, 4).await;
    assert_eq!(schedule_actions(&api).await.len(), 3);

    // A second schedule that catches up everything within 48 hours.
    let r = api
        .post(
            &format!("{C}/schedules"),
            json!({
                "name": "Morning digest",
                "cron": "0 0 9 * * *",
                "action": { "type": "caseload_digest" },
                "catch_up": { "policy": "all_within", "window_hours": 48, "max": 10 },
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let digest = r.body["id"].as_str().expect("id").to_owned();

    // kill -9 and restart: nothing fires again.
    let before = schedule_actions(&api).await;
    daemon.kill9();
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-31T00:30:00Z").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        schedule_actions(&api).await,
        before,
        "no duplicate after kill -9"
    );

    // Down until Saturday 4 April, noon: the sweep (latest) fires once for the 4th,
    // the digest fires the 3rd and 4th (within 48 h); every other occurrence is recorded.
    api.set_clock("2026-04-04T12:00:00Z").await;
    let sweep_runs = wait_runs(&api, &id, 8).await;
    let digest_runs = wait_runs(&api, &digest, 5).await;
    let outcomes = |rs: &[Value]| -> Vec<(String, String)> {
        rs.iter()
            .map(|r| {
                (
                    r["scheduled_for"].as_str().unwrap_or_default().to_owned(),
                    r["outcome"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        outcomes(&sweep_runs[4..]),
        [
            ("2026-04-01T00:30:00Z".to_owned(), "missed".to_owned()),
            ("2026-04-02T00:30:00Z".to_owned(), "missed".to_owned()),
            ("2026-04-03T00:30:00Z".to_owned(), "missed".to_owned()),
            ("2026-04-04T00:30:00Z".to_owned(), "fired".to_owned()),
        ]
    );
    assert_eq!(sweep_runs[5]["reason"], "catch_up_rule");
    assert_eq!(
        outcomes(&digest_runs),
        [
            ("2026-03-31T08:00:00Z".to_owned(), "missed".to_owned()),
            ("2026-04-01T08:00:00Z".to_owned(), "missed".to_owned()),
            ("2026-04-02T08:00:00Z".to_owned(), "missed".to_owned()),
            ("2026-04-03T08:00:00Z".to_owned(), "fired".to_owned()),
            ("2026-04-04T08:00:00Z".to_owned(), "fired".to_owned()),
        ]
    );
    assert_eq!(schedule_actions(&api).await.len(), 3 + 1 + 2);
    let r = api.get(&format!("{C}/schedules/{id}")).await;
    assert_eq!(
        (r.body["fired"].clone(), r.body["missed"].clone()),
        (json!(4), json!(4))
    );

    // A council closure day moves a weekday schedule that skips non-working days.
    let r = api
        .post(
            &format!("{C}/schedules"),
            json!({
                "name": "Monthly MI export",
                "cron": "0 9 * * MON-FRI",
                "action": { "type": "management_information_export", "period_days": 30 },
                "non_working_days": "skip",
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let export = r.body["id"].as_str().expect("id").to_owned();
    let first = |b: &Value| {
        b["occurrences"][0]["at"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let r = api
        .get(&format!("{C}/schedules/{export}/preview?count=1"))
        .await;
    // Easter Monday 6 April is a bank holiday in England.
    assert_eq!(first(&r.body), "2026-04-07T09:00:00+01:00");
    let r = api.put(&format!("{C}/calendar"),
        json!({ "mode": "nation_rules", "nation": "england_and_wales", "extra_holidays": ["2026-04-07"] }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api
        .get(&format!("{C}/schedules/{export}/preview?count=1"))
        .await;
    assert_eq!(first(&r.body), "2026-04-08T09:00:00+01:00");
    let r = api.put(&format!("{C}/calendar"),
        json!({ "mode": "nation_rules", "nation": "england_and_wales", "removed_holidays": ["2026-04-08"] }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = api.get(&format!("{C}/calendar")).await;
    assert_eq!(
        r.body["extra_holidays"],
        json!(["2026-04-07"]),
        "refused PUT changed nothing"
    );

    // Redefined: the preview follows at once; a body with an unknown field changes nothing.
    let redefined = json!({
        "name": "Monthly MI export",
        "cron": "0 10 * * MON-FRI",
        "action": { "type": "management_information_export", "period_days": 30 },
        "non_working_days": "skip",
    });
    let r = api.put(&format!("{C}/schedules/{export}"), redefined).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api.put(&format!("{C}/schedules/{export}"),
        json!({ "name": "x", "cron": "0 11 * * *", "action": { "type": "caseload_digest" }, "when": 1 }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = api
        .get(&format!("{C}/schedules/{export}/preview?count=1"))
        .await;
    assert_eq!(first(&r.body), "2026-04-08T10:00:00+01:00");

    // List, paginated; delete.
    let r = api.get(&format!("{C}/schedules?limit=2")).await;
    assert_eq!(r.body["schedules"].as_array().map(Vec::len), Some(2));
    let cursor = r.body["next_cursor"].as_str().expect("more").to_owned();
    let r = api
        .get(&format!("{C}/schedules?limit=2&after={cursor}"))
        .await;
    assert_eq!(r.body["schedules"].as_array().map(Vec::len), Some(1));
    assert!(r.body["next_cursor"].is_null());
    let r = api
        .http
        .delete(format!("{}{C}/schedules/{export}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 204);
    let r = api.get(&format!("{C}/schedules/{export}")).await;
    assert_eq!(r.status, 404);
}
