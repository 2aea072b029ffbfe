//! A hostile plugin behind the real daemon: each attack on a referral sends the
//! case to human review with the reason, nothing is decided for it, another
//! council's plugin keeps deciding, and the daemon keeps answering.

mod support;

use serde_json::json;
use support::{Daemon, fixture_plugin, plugin};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_go_to_human_review_and_the_daemon_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    for (id, wasm) in [
        ("hostile", fixture_plugin("hostile-kit")),
        ("stoke-on-trent", plugin("stoke-on-trent")),
    ] {
        let r = api
            .post("/v1/councils", json!({ "id": id, "name": id }))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let bytes = std::fs::read(wasm).expect("built plugin");
        let r = api
            .put_wasm(&format!("/v1/councils/{id}/plugin"), bytes)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    // The postcode district picks the attack (see tests/plugins/hostile-kit).
    for (postcode, reason) in [
        ("ZE1 0AA", "fuel"),
        ("ZE2 9AA", "memory"),
        ("ZE3 9AA", "crashed"),
        ("ZE4 9AA", "over the 262144-byte limit"),
        ("ZE5 9AA", "crashed"),
    ] {
        let r = api
            .post(
                "/v1/councils/hostile/referrals",
                json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": postcode }),
            )
            .await;
        assert_eq!(r.status, 201, "{postcode}: {}", r.body);
        assert!(r.body["decision"].is_null(), "{postcode}: {}", r.body);
        let why = r.body["review_reason"].as_str().unwrap_or_default();
        assert!(why.contains(reason), "{postcode}: {why}");
        let id = r.body["participant_id"].as_str().expect("id");
        let r = api
            .get(&format!("/v1/councils/hostile/participants/{id}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.to_string().contains("sent_for_review"),
            "{postcode}: {}",
            r.body
        );

        // The daemon answers, and another council still decides.
        assert_eq!(api.get("/healthz").await.status, 200);
        let r = api
            .post(
                "/v1/councils/stoke-on-trent/referrals",
                json!({ "route": "jobcentre", "date_of_birth": "1990-01-01", "postcode": "ST4 1AB" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
    }

    // The hostile plugin itself decides an ordinary referral: a fresh sandbox each time.
    let r = api
        .post(
            "/v1/councils/hostile/referrals",
            json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": "ST4 1AB" }),
        )
        .await;
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
}
