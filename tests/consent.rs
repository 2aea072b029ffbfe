//! Consent per purpose through the real daemon: withdrawing consent to take part
//! cancels the participant's timers and nothing of theirs fires; giving it again
//! resumes their journey with a fresh plan; employer work needs consent to employer
//! contact.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Client, Daemon};

const STOKE: &str = "/v1/councils/stoke-on-trent";

async fn stoke(api: &Client) {
    api.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(api, "stoke-on-trent", "Stoke", "stoke-on-trent").await;
}

/// Refers an eligible Stoke resident and starts them on 5 January 2026.
async fn started(api: &Client) -> String {
    support::started_participant(api, "stoke-on-trent").await
}

async fn event(api: &Client, id: &str, body: Value) -> Value {
    let r = api
        .post(&format!("{STOKE}/participants/{id}/events"), body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn timers(view: &Value) -> Vec<Value> {
    view["pending_timers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn actions_of<'a>(page: &'a Value, participant: &str) -> Vec<&'a Value> {
    page["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["participant"] == participant)
                .collect()
        })
        .unwrap_or_default()
}

fn is_employer_work(kind: &Value) -> bool {
    kind == "employer_check_in" || kind == "first_employer_contact"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_consent_to_take_part_cancels_timers_and_re_consent_resumes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let withdrawn = started(&api).await;
    let other = started(&api).await;

    let view = api.get(&format!("{STOKE}/participants/{withdrawn}")).await;
    assert!(
        timers(&view.body)
            .iter()
            .any(|t| t["kind"] == "review" && t["due"] == "2026-02-02"),
        "{}",
        view.body
    );
    assert_eq!(
        view.body["consent"]["taking_part"]["status"],
        "not_recorded"
    );
    assert_eq!(view.body["consent"]["taking_part"]["allowed"], true);

    let view = event(
        &api,
        &withdrawn,
        json!({ "type": "consent_withdrawn", "at": "2026-01-06", "purpose": "taking_part" }),
    )
    .await;
    assert!(timers(&view).is_empty(), "timers left: {view}");
    let taking_part = &view["consent"]["taking_part"];
    assert_eq!(taking_part["status"], "withdrawn", "{view}");
    assert_eq!(taking_part["allowed"], false);
    assert_eq!(taking_part["changed_on"], "2026-01-06");
    assert!(taking_part["recorded_at"].is_string(), "{view}");
    assert_eq!(
        view["state"]["state"], "active",
        "the stage is kept: {view}"
    );

    // While withdrawn, the journey does not move on, and withdrawing twice is refused.
    let r = api
        .post(
            &format!("{STOKE}/participants/{withdrawn}/events"),
            json!({ "type": "contact_made", "at": "2026-01-07" }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("consent-withdrawn")),
        "{}",
        r.body
    );
    let r = api
        .post(
            &format!("{STOKE}/participants/{withdrawn}/events"),
            json!({ "type": "consent_withdrawn", "at": "2026-01-07", "purpose": "taking_part" }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    // Past the cancelled review: the other participant's review fires, theirs does not.
    api.set_clock("2026-02-03T09:00:00Z").await;
    let page = api
        .wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
            !actions_of(b, &other).is_empty()
        })
        .await;
    assert!(
        actions_of(&page, &withdrawn).is_empty(),
        "a withdrawn participant's timer fired: {page}"
    );

    // They come back: the journey resumes where it was, with a fresh plan.
    let view = event(
        &api,
        &withdrawn,
        json!({ "type": "consent_given", "at": "2026-02-03", "purpose": "taking_part" }),
    )
    .await;
    assert_eq!(view["consent"]["taking_part"]["status"], "given");
    assert_eq!(view["state"]["state"], "active");
    let fresh = timers(&view);
    assert!(
        fresh
            .iter()
            .any(|t| t["kind"] == "review" && t["due"] == "2026-03-02"),
        "{view}"
    );
    assert!(
        fresh
            .iter()
            .all(|t| t["due"].as_str().is_some_and(|d| d > "2026-02-03")),
        "{view}"
    );
    api.set_clock("2026-03-02T12:00:00Z").await;
    let page = api
        .wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
            !actions_of(b, &withdrawn).is_empty()
        })
        .await;
    let theirs = actions_of(&page, &withdrawn);
    assert_eq!(theirs.len(), 1, "{page}");
    assert_eq!(theirs[0]["due"], "2026-03-02");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employer_check_ins_need_consent_to_employer_contact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let without = started(&api).await;
    let with = started(&api).await;
    let view = event(
        &api,
        &with,
        json!({ "type": "consent_given", "at": "2026-01-05", "purpose": "employer_contact" }),
    )
    .await;
    assert_eq!(view["consent"]["employer_contact"]["status"], "given");
    assert_eq!(
        view["consent"]["employer_contact"]["changed_on"],
        "2026-01-05"
    );
    assert!(
        timers(&view)
            .iter()
            .any(|t| t["kind"] == "first_employer_contact"),
        "{view}"
    );

    let job = json!({ "type": "job_started", "at": "2026-01-12" });
    let view = event(&api, &without, job.clone()).await;
    assert!(
        !timers(&view).iter().any(|t| is_employer_work(&t["kind"])),
        "employer work planned without consent: {view}"
    );
    // The plan's record says why the plugin's employer check-in was not scheduled.
    let plan = view["decisions"]
        .as_array()
        .and_then(|d| d.iter().rev().find(|d| d["hook"] == "plan"))
        .expect("a plan decision");
    assert!(
        plan["reasons"]
            .as_array()
            .is_some_and(|r| r
                .iter()
                .any(|r| r["rule"] == "host.consent.employer_contact"
                    && r["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("employer_check_in")))),
        "{plan}"
    );
    let view = event(&api, &with, job).await;
    assert!(
        timers(&view)
            .iter()
            .any(|t| t["kind"] == "employer_check_in" && t["due"] == "2026-01-19"),
        "{view}"
    );

    // Past the check-in: it fires for the participant who consented, and only for them.
    api.set_clock("2026-02-10T12:00:00Z").await;
    let page = api
        .wait_for(&format!("{STOKE}/actions"), Duration::from_secs(10), |b| {
            actions_of(b, &with)
                .iter()
                .any(|a| a["kind"] == "employer_check_in")
                && !actions_of(b, &without).is_empty()
        })
        .await;
    let theirs = actions_of(&page, &without);
    assert!(
        !theirs.iter().any(|a| is_employer_work(&a["kind"])),
        "an employer action without consent: {page}"
    );
}
