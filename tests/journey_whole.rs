//! The journey, whole, through the real daemon with the manual clock: re-engagement
//! after missed contacts, handover at the end of support or on a caseworker's exit,
//! job and outcome events, the programme's end enforced by the host, and the daemon
//! deciding exactly what `waymark simulate` decides for the same cohort.

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

async fn event(api: &Client, council: &str, id: &str, body: Value) -> Value {
    let r = api
        .post(&format!("{council}/participants/{id}/events"), body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Every action of a council, all pages, oldest first.
async fn all_actions(api: &Client, council: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("{council}/actions?limit=500&after={a}"),
            None => format!("{council}/actions?limit=500"),
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

fn of_participant<'a>(actions: &'a [Value], id: &str) -> Vec<&'a Value> {
    actions.iter().filter(|a| a["participant"] == id).collect()
}

/// Waits until no timer of `ids` is due by `now` (the scheduler has caught up).
async fn settled(api: &Client, council: &str, ids: &[String], now: &str) {
    let now: chrono::DateTime<chrono::Utc> = now.parse().expect("instant");
    for id in ids {
        api.wait_for(
            &format!("{council}/participants/{id}"),
            Duration::from_secs(20),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stoke_three_missed_contacts_give_outreach_on_the_plugins_dates_then_a_disengaged_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let id = support::started_participant(&api, "stoke-on-trent").await;
    let ids = [id.clone()];

    // Each miss gets an outreach attempt a week later (the next working day), and
    // the attempt fires as an `outreach` action on that date.
    let misses = [
        ("2026-02-02", "2026-02-09"),
        ("2026-02-10", "2026-02-17"),
        ("2026-02-18", "2026-02-25"),
    ];
    for (n, (missed, due)) in misses.iter().enumerate() {
        let now = format!("{missed}T12:00:00Z");
        api.set_clock(&now).await;
        settled(&api, STOKE, &ids, &now).await;
        let view = event(
            &api,
            STOKE,
            &id,
            json!({ "type": "contact_missed", "at": missed }),
        )
        .await;
        assert_eq!(view["state"]["state"], "outreach", "{view}");
        let outreach: Vec<&Value> = view["pending_timers"]
            .as_array()
            .expect("timers")
            .iter()
            .filter(|t| t["kind"] == "outreach")
            .collect();
        assert!(
            outreach.iter().any(|t| t["due"] == *due),
            "attempt {} due {due}: {view}",
            n + 1
        );
        let decision = view["decisions"]
            .as_array()
            .and_then(|d| d.iter().rev().find(|d| d["hook"] == "missed_contact"))
            .expect("the missed-contact decision is logged");
        assert_eq!(
            decision["reasons"][0]["rule"], "outreach.attempts",
            "{decision}"
        );
        let now = format!("{due}T12:00:00Z");
        api.set_clock(&now).await;
        settled(&api, STOKE, &ids, &now).await;
    }
    let actions = all_actions(&api, STOKE).await;
    let outreach: Vec<&str> = of_participant(&actions, &id)
        .into_iter()
        .filter(|a| a["kind"] == "outreach")
        .map(|a| a["due"].as_str().expect("due"))
        .collect();
    assert_eq!(outreach, vec!["2026-02-09", "2026-02-17", "2026-02-25"]);

    // The fourth miss: the attempts are used up, the journey closes as disengaged,
    // with the plugin's reasons, and every pending timer is cancelled.
    let view = event(
        &api,
        STOKE,
        &id,
        json!({ "type": "contact_missed", "at": "2026-02-26" }),
    )
    .await;
    assert_eq!(view["state"]["state"], "exited", "{view}");
    assert_eq!(view["state"]["reason"], "disengaged", "{view}");
    assert_eq!(view["pending_timers"], json!([]), "{view}");
    let decision = view["decisions"]
        .as_array()
        .and_then(|d| d.iter().rev().find(|d| d["hook"] == "missed_contact"))
        .expect("decision");
    assert_eq!(
        decision["reasons"][0]["rule"], "outreach.exhausted",
        "{decision}"
    );
    assert_eq!(decision["output"]["step"]["step"], "disengaged_exit");

    // A year on, nothing more fired for them.
    let before = of_participant(&all_actions(&api, STOKE).await, &id).len();
    api.set_clock("2027-03-01T12:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = all_actions(&api, STOKE).await;
    assert_eq!(
        of_participant(&after, &id).len(),
        before,
        "fired after the exit"
    );
    // A contact made resets the count: another participant misses once, comes back,
    // and their pending outreach attempt is cancelled.
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_made_resets_the_count_and_cancels_pending_outreach() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let id = support::started_participant(&api, "stoke-on-trent").await;
    api.set_clock("2026-02-02T12:00:00Z").await;
    for missed in ["2026-02-02", "2026-02-03"] {
        event(
            &api,
            STOKE,
            &id,
            json!({ "type": "contact_missed", "at": missed }),
        )
        .await;
    }
    let view = event(
        &api,
        STOKE,
        &id,
        json!({ "type": "contact_made", "at": "2026-02-04" }),
    )
    .await;
    assert_eq!(view["state"]["state"], "active", "{view}");
    assert!(
        !view["pending_timers"]
            .as_array()
            .expect("timers")
            .iter()
            .any(|t| t["kind"] == "outreach"),
        "outreach left after contact was made: {view}"
    );
    // The next miss is the first again: attempt 1 of 3.
    let view = event(
        &api,
        STOKE,
        &id,
        json!({ "type": "contact_missed", "at": "2026-02-05" }),
    )
    .await;
    let attempt = view["pending_timers"]
        .as_array()
        .expect("timers")
        .iter()
        .find(|t| t["kind"] == "outreach")
        .expect("an outreach attempt");
    assert!(
        attempt["purpose"]
            .as_str()
            .is_some_and(|p| p.starts_with("Outreach attempt 1 of 3")),
        "{attempt}"
    );
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_support_hands_over_once_and_closes_the_journey() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let id = support::started_participant(&api, "stoke-on-trent").await;
    let view = api.get(&format!("{STOKE}/participants/{id}")).await.body;
    assert_eq!(view["support_ends_on"], "2027-01-05", "{view}");
    assert!(
        view["pending_timers"]
            .as_array()
            .expect("timers")
            .iter()
            .any(|t| t["kind"] == "end_of_support" && t["due"] == "2027-01-05"),
        "{view}"
    );

    let (view, handover) = handed_over_at(&api, STOKE, &id, "2027-01-05T12:00:00Z").await;
    assert_eq!(view["pending_timers"], json!([]));
    let history = view["history"].as_array().expect("history");
    let decided: Vec<&Value> = history
        .iter()
        .filter(|e| e["type"] == "handover_decided")
        .collect();
    assert_eq!(decided.len(), 1, "{view}");
    assert_eq!(
        history.iter().filter(|e| e["type"] == "exited").count(),
        1,
        "closed exactly once: {view}"
    );
    assert!(
        view["decisions"]
            .as_array()
            .expect("decisions")
            .iter()
            .any(|d| d["hook"] == "handover" && d["error"].is_null()),
        "{view}"
    );

    let actions = all_actions(&api, STOKE).await;
    assert_eq!(handover["due"], "2027-01-05");
    assert_eq!(
        handover["handover"]["destination"],
        decided[0]["handover"]["destination"]
    );
    assert!(
        handover["handover"]["pack"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "{handover}"
    );
    assert!(
        handover["handover"]["reasons"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{handover}"
    );
    assert!(
        !of_participant(&actions, &id)
            .iter()
            .any(|a| a["kind"] == "end_of_support"),
        "the end of support became the handover, not a second action"
    );

    // The export shows the handover too.
    let export = api.get(&format!("{STOKE}/participants/{id}/export")).await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(
        export.body.to_string().contains("handover_decided"),
        "{}",
        export.body
    );

    // Nothing fires after it.
    let before = of_participant(&actions, &id).len();
    api.set_clock("2027-06-01T12:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        of_participant(&all_actions(&api, STOKE).await, &id).len(),
        before
    );
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworkers_completed_exit_asks_for_the_handover() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let id = support::started_participant(&api, "stoke-on-trent").await;
    api.set_clock("2026-03-02T12:00:00Z").await;
    let view = event(
        &api,
        STOKE,
        &id,
        json!({ "type": "exited", "at": "2026-03-02", "reason": "completed" }),
    )
    .await;
    assert_eq!(view["state"]["reason"], "completed", "{view}");
    assert_eq!(view["pending_timers"], json!([]));
    let actions = all_actions(&api, STOKE).await;
    let handover: Vec<&Value> = of_participant(&actions, &id)
        .into_iter()
        .filter(|a| a["kind"] == "handover")
        .collect();
    assert_eq!(handover.len(), 1, "{actions:?}");
    assert_eq!(handover[0]["due"], "2026-03-02");
    assert!(handover[0]["handover"]["destination"].is_string());
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_ended_and_outcome_checkpoints_are_recorded_and_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let id = support::started_participant(&api, "stoke-on-trent").await;
    api.set_clock("2026-06-01T12:00:00Z").await;
    event(
        &api,
        STOKE,
        &id,
        json!({ "type": "job_started", "at": "2026-03-02" }),
    )
    .await;
    let view = event(
        &api,
        STOKE,
        &id,
        json!({ "type": "outcome_checkpoint", "at": "2026-05-25", "met": true, "hours_per_week": 16 }),
    )
    .await;
    assert_eq!(view["state"]["phase"], "in_work", "{view}");
    let view = event(
        &api,
        STOKE,
        &id,
        json!({ "type": "job_ended", "at": "2026-05-29", "reason": "contract_ended" }),
    )
    .await;
    assert_eq!(
        view["state"]["phase"], "started",
        "back to job search: {view}"
    );
    let plan = view["decisions"]
        .as_array()
        .and_then(|d| d.iter().rev().find(|d| d["hook"] == "plan"))
        .expect("a plan");
    assert_eq!(plan["facts"]["job_ended_on"], "2026-05-29", "{plan}");
    assert_eq!(
        plan["facts"]["outcome_checkpoints"],
        json!([{ "on": "2026-05-25", "met": true, "hours_per_week": 16 }])
    );
    let events = api.get(&format!("{STOKE}/participants/{id}/events")).await;
    let kinds: Vec<&str> = events.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"]["type"].as_str().or(e["type"].as_str()))
        .collect();
    assert!(kinds.contains(&"outcome_checkpoint"), "{}", events.body);
    assert!(kinds.contains(&"job_ended"), "{}", events.body);
    // A job cannot end twice.
    let r = api
        .post(
            &format!("{STOKE}/participants/{id}/events"),
            json!({ "type": "job_ended", "at": "2026-05-30", "reason": "other" }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_the_handover_leaves_exactly_one_handover_action() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut daemon = Daemon::start(dir.path());
    let api = daemon.client();
    stoke(&api).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(support::started_participant(&api, "stoke-on-trent").await);
    }
    // The ends of support fire while the daemon is killed at once, several times.
    api.set_clock("2027-01-05T12:00:00Z").await;
    for pause_ms in [0, 5, 20, 60] {
        tokio::time::sleep(Duration::from_millis(pause_ms)).await;
        daemon.kill9();
        daemon = Daemon::start(dir.path());
    }
    let api = daemon.client();
    for id in &ids {
        api.wait_for(
            &format!("{STOKE}/participants/{id}"),
            Duration::from_secs(30),
            |v| v["state"]["state"] == "exited",
        )
        .await;
    }
    let actions = all_actions(&api, STOKE).await;
    for id in &ids {
        let handovers = of_participant(&actions, id)
            .into_iter()
            .filter(|a| a["kind"] == "handover")
            .count();
        assert_eq!(handovers, 1, "participant {id}: {actions:?}");
        let view = api.get(&format!("{STOKE}/participants/{id}")).await.body;
        let history = view["history"].as_array().expect("history");
        assert_eq!(
            history.iter().filter(|e| e["type"] == "exited").count(),
            1,
            "{view}"
        );
        assert_eq!(
            history
                .iter()
                .filter(|e| e["type"] == "handover_decided")
                .count(),
            1,
            "{view}"
        );
    }
    daemon.stop();
}

/// The same cohort through the daemon (over HTTP, day by day with the manual clock)
/// and through `waymark simulate`'s run: the same actions, participant by participant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_and_the_simulator_decide_the_same_actions_for_a_cohort() {
    use waymark::journey::{CaseworkerEvent, Event, Programme};
    use waymark::simulate::{self, CohortSpec, Variant};

    let mut spec = CohortSpec::stoke(60, 11);
    spec.without_employer_consent = 0.25;
    let cohort = simulate::generate(&spec);
    let months = 10;
    let policies = simulate::engine().expect("engine");
    let variant = Variant {
        plugin: simulate::load_plugin(&policies, &support::plugin("stoke-on-trent"))
            .expect("plugin"),
        settings: json!({}),
        programme: Programme::ConnectToWork,
    };
    let (_, run) = simulate::simulate(
        &variant,
        &cohort,
        months,
        waymark::schedule::calendar::Nation::EnglandAndWales,
        |_, _| {},
    )
    .expect("simulated");
    let first = run.first_day.expect("first day");
    let last = run.last_day.expect("last day");
    let kinds: BTreeMap<&str, usize> = run.fired.iter().fold(BTreeMap::new(), |mut m, f| {
        *m.entry(f.kind.as_str()).or_default() += 1;
        m
    });
    for needed in ["review", "outreach", "handover"] {
        assert!(
            kinds.get(needed).copied().unwrap_or(0) > 0,
            "the cohort must exercise {needed}: {kinds:?}"
        );
    }

    // Everything that happens, by day: referrals, then life events, in cohort order.
    let mut days: BTreeMap<chrono::NaiveDate, Vec<(usize, Option<CaseworkerEvent>)>> =
        BTreeMap::new();
    for (i, m) in cohort.iter().enumerate() {
        days.entry(m.referred_on).or_default().push((i, None));
    }
    for (i, m) in cohort.iter().enumerate() {
        for e in &m.life {
            let at = Event::from(e.clone()).at();
            days.entry(at).or_default().push((i, Some(e.clone())));
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // The test polls every participant each simulated day: lift the per-key rate.
    let daemon = Daemon::start_with(
        dir.path(),
        &[
            ("WAYMARK_RATE_PER_SECOND", "100000"),
            ("WAYMARK_RATE_BURST", "100000"),
        ],
    );
    let api = daemon.client();
    api.set_clock(&format!("{first}T00:00:00Z")).await;
    support::council_with_plugin(&api, "stoke-on-trent", "Stoke", "stoke-on-trent").await;
    let mut ids: Vec<Option<String>> = vec![None; cohort.len()];
    for (day, happenings) in days.range(first..last) {
        let now = format!("{day}T12:00:00Z");
        api.set_clock(&now).await;
        let known: Vec<String> = ids.iter().flatten().cloned().collect();
        settled(&api, STOKE, &known, &now).await;
        for (i, happening) in happenings {
            match happening {
                None => {
                    let mut body = serde_json::to_value(&cohort[*i].referral).expect("json");
                    body["referred_on"] = json!(day);
                    let r = api.post(&format!("{STOKE}/referrals"), body).await;
                    assert_eq!(r.status, 201, "{}", r.body);
                    ids[*i] = r.body["participant_id"].as_str().map(str::to_owned);
                }
                Some(e) => {
                    let Some(id) = &ids[*i] else { continue };
                    let r = api
                        .post(
                            &format!("{STOKE}/participants/{id}/events"),
                            serde_json::to_value(e).expect("json"),
                        )
                        .await;
                    // What the journey does not allow is refused, as the run skips it.
                    assert!(matches!(r.status, 200 | 409 | 422), "{}", r.body);
                }
            }
        }
    }
    let final_day = last.pred_opt().expect("a day");
    let now = format!("{final_day}T12:00:00Z");
    api.set_clock(&now).await;
    let known: Vec<String> = ids.iter().flatten().cloned().collect();
    settled(&api, STOKE, &known, &now).await;

    let mut daemon_actions: Vec<(String, String, String)> = all_actions(&api, STOKE)
        .await
        .iter()
        .filter(|a| {
            a["due"]
                .as_str()
                .is_some_and(|d| d < last.to_string().as_str())
        })
        .map(|a| {
            (
                a["participant"].as_str().unwrap_or_default().to_owned(),
                a["kind"].as_str().unwrap_or_default().to_owned(),
                a["due"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut simulated: Vec<(String, String, String)> = run
        .fired
        .iter()
        .map(|f| {
            (
                ids[f.member].clone().unwrap_or_default(),
                f.kind.as_str().to_owned(),
                f.on.to_string(),
            )
        })
        .collect();
    daemon_actions.sort();
    simulated.sort();
    assert_eq!(
        daemon_actions.len(),
        simulated.len(),
        "daemon {} actions, simulator {}",
        daemon_actions.len(),
        simulated.len()
    );
    assert_eq!(daemon_actions, simulated);
    eprintln!(
        "daemon and simulator agree on {} actions for {} people: {kinds:?}",
        simulated.len(),
        cohort.len()
    );
    daemon.stop();
}

/// Creates `id` running `programme` with `plugin_name` as its plugin.
async fn council_running(api: &Client, id: &str, plugin_name: &str, programme: Value) {
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": id, "name": id, "programme": programme }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let wasm = std::fs::read(support::plugin(plugin_name)).expect("built plugin");
    let r = api
        .put_wasm(&format!("/v1/councils/{id}/plugin"), wasm)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Refers someone `council` accepts and starts them on `start`: their id and view.
async fn accepted_and_started(
    api: &Client,
    council: &str,
    referral: Value,
    start: &str,
) -> (String, Value) {
    let referred = refer(api, council, referral).await;
    assert_eq!(referred["state"]["state"], "accepted", "{referred}");
    let id = referred["participant_id"].as_str().expect("id").to_owned();
    let view = event(api, council, &id, json!({ "type": "started", "at": start })).await;
    (id, view)
}

/// Moves the clock to `now` and waits for the journey to close by its handover:
/// the participant's view and their one `handover` action.
async fn handed_over_at(api: &Client, council: &str, id: &str, now: &str) -> (Value, Value) {
    api.set_clock(now).await;
    let view = api
        .wait_for(
            &format!("{council}/participants/{id}"),
            Duration::from_secs(20),
            |v| v["state"]["state"] == "exited",
        )
        .await;
    assert_eq!(view["state"]["reason"], "handed_over", "{view}");
    let actions = all_actions(api, council).await;
    let handovers: Vec<&Value> = of_participant(&actions, id)
        .into_iter()
        .filter(|a| a["kind"] == "handover")
        .collect();
    assert_eq!(handovers.len(), 1, "one handover: {actions:?}");
    (view, handovers[0].clone())
}

async fn refer(api: &Client, council: &str, body: Value) -> Value {
    let r = api.post(&format!("{council}/referrals"), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_well_hands_over_to_nhs_talking_therapies_nine_months_after_the_start() {
    const WWEM: &str = "/v1/councils/working-well";
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    council_running(
        &api,
        "working-well",
        "working-well-east-midlands",
        json!({ "kind": "ips_primary_care", "max_months": 9 }),
    )
    .await;
    let (id, view) = accepted_and_started(
        &api,
        WWEM,
        json!({
            "route": "health", "date_of_birth": "1985-06-01", "postcode": "NG7 2RD",
            "known_to_health_services": true, "cohorts": ["mental_health"],
            "health_condition_or_disability": true
        }),
        "2026-01-05",
    )
    .await;
    // The view's end of support and the plugin's planned end agree: nine months.
    assert_eq!(view["support_ends_on"], "2026-10-05", "{view}");
    let ends: Vec<&Value> = view["pending_timers"]
        .as_array()
        .expect("timers")
        .iter()
        .filter(|t| t["kind"] == "end_of_support")
        .collect();
    assert_eq!(ends.len(), 1, "{view}");
    assert_eq!(ends[0]["due"], "2026-10-05");
    assert!(
        !view["decisions"]
            .as_array()
            .expect("decisions")
            .iter()
            .any(|d| d["reasons"].as_array().is_some_and(|r| r
                .iter()
                .any(|r| r["rule"] == "host.programme.end_of_support"))),
        "the plugin planned the end itself: {view}"
    );

    let (view, handover) = handed_over_at(&api, WWEM, &id, "2026-10-05T12:00:00Z").await;
    let pack = &handover["handover"];
    assert_eq!(pack["destination"], "nhs_talking_therapies", "{pack}");
    assert!(
        pack["pack"]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i
                .as_str()
                .is_some_and(|i| i.contains("NHS Talking Therapies")))),
        "{pack}"
    );
    assert_eq!(handover["due"], view["support_ends_on"]);
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_london_forward_calls_a_waitlisted_referral_before_the_wait_ends() {
    const CLF: &str = "/v1/councils/central-london-forward";
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    council_running(
        &api,
        "central-london-forward",
        "central-london-forward",
        json!({ "kind": "connect_to_work" }),
    )
    .await;
    let r = api
        .put(&format!("{CLF}/settings"), json!({ "intake_open": false }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let referred = refer(
        &api,
        CLF,
        json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": "N1 9GU" }),
    )
    .await;
    assert_eq!(referred["state"]["state"], "waitlisted", "{referred}");
    let id = referred["participant_id"].as_str().expect("id").to_owned();
    let view = api.get(&format!("{CLF}/participants/{id}")).await.body;
    let call = view["pending_timers"]
        .as_array()
        .expect("timers")
        .iter()
        .find(|t| {
            t["purpose"]
                .as_str()
                .is_some_and(|p| p.contains("key worker's call"))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no key worker's call planned: {view}"));
    assert_eq!(call["due"], "2026-03-16", "{call}");

    api.set_clock("2026-03-16T12:00:00Z").await;
    let page = api
        .wait_for(&format!("{CLF}/actions"), Duration::from_secs(20), |p| {
            p["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["participant"] == id.as_str()))
        })
        .await;
    let fired: Vec<&Value> = page["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["participant"] == id.as_str())
        .collect();
    assert_eq!(fired.len(), 1, "{page}");
    assert_eq!(fired[0]["due"], "2026-03-16");
    assert_eq!(fired[0]["purpose"], call["purpose"]);
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipes_support_runs_21_months_with_6_in_work_and_a_timer_past_the_end_is_dropped() {
    const IPES: &str = "/v1/councils/ipes";
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-01-05T10:00:00Z").await;
    council_running(&api, "ipes", "ipes-provider", json!({ "kind": "ipes" })).await;
    // A checkpoint 30 weeks after a job start falls after six months in work.
    let r = api
        .put(
            &format!("{IPES}/settings"),
            json!({ "outcome_checkpoint_weeks": 30 }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (id, view) = accepted_and_started(
        &api,
        IPES,
        json!({
            "route": "jobcentre", "date_of_birth": "1980-02-01", "postcode": "ST4 1AB",
            "health_condition_or_disability": true
        }),
        "2026-01-05",
    )
    .await;
    // Before a job: up to 15 months.
    assert_eq!(view["support_ends_on"], "2027-04-05", "{view}");

    // A job on the last day before the end (recorded before that day's reminders):
    // six months in work take support to 21 months.
    api.set_clock("2027-04-05T05:00:00Z").await;
    let view = event(
        &api,
        IPES,
        &id,
        json!({ "type": "job_started", "at": "2027-04-05" }),
    )
    .await;
    assert_eq!(view["support_ends_on"], "2027-10-05", "{view}");
    let timers = view["pending_timers"].as_array().expect("timers");
    assert!(
        timers
            .iter()
            .all(|t| t["due"].as_str().is_some_and(|d| d <= "2027-10-05")),
        "{view}"
    );
    assert!(
        !timers.iter().any(|t| t["kind"] == "outcome_checkpoint"),
        "the checkpoint after the end is dropped: {view}"
    );
    let plan = view["decisions"]
        .as_array()
        .and_then(|d| d.iter().rev().find(|d| d["hook"] == "plan"))
        .expect("plan");
    let asked: Vec<&Value> = plan["output"]["timers"]
        .as_array()
        .expect("the plugin's answer, as it gave it")
        .iter()
        .filter(|t| t["kind"] == "outcome_checkpoint")
        .collect();
    assert_eq!(asked.len(), 1, "the plugin did ask for it: {plan}");
    assert!(
        plan["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| {
                r["rule"] == "host.programme.end"
                    && r["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("outcome_checkpoint"))
            })),
        "{plan}"
    );
    let weekly = timers
        .iter()
        .filter(|t| t["kind"] == "in_work_review")
        .count();
    assert!(
        weekly >= 20,
        "weekly in-work contact for 182 days: {weekly}"
    );

    let (_, handover) = handed_over_at(&api, IPES, &id, "2027-10-05T12:00:00Z").await;
    assert_eq!(handover["due"], "2027-10-05");
    assert_eq!(
        handover["handover"]["destination"], "employer",
        "{handover}"
    );
    daemon.stop();
}
