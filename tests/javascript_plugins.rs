//! JavaScript plugins end to end: built with `waymark plugin build` (ComponentizeJS,
//! installed into the cache on first use), run in the real sandbox with the host's
//! deterministic WASI.
//!
//! - Stoke-on-Trent's JavaScript port (`plugins/stoke-on-trent-js`) holds the Rust
//!   plugin's own `golden.json` in the sandbox (and decides a 1,000-person cohort as
//!   the Rust plugin does: `python_plugins::the_rust_python_and_javascript_ports_…`).
//! - `waymark plugin new --lang javascript` in a folder outside the checkout, then
//!   `test`, `build` and `upload` to a live daemon, which decides by the template.
//! - A hostile JavaScript plugin (`tests/plugins/hostile-js`), uploaded to a live
//!   daemon, cannot read the real time, a file or the network, nor loop for ever:
//!   each case goes to human review, or decides with the decision's own clock.

use crate::support;

use std::process::Command;

use serde_json::{Value, json};
use support::{Daemon, fixture_plugin, plugin, waymark_bin, workspace};

fn waymark(args: &[&str]) -> String {
    let out = Command::new(waymark_bin())
        .args(args)
        .output()
        .expect("run waymark");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "waymark {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn stoke_on_trent_in_javascript_holds_the_rust_golden_cases_in_the_sandbox() {
    let js = std::fs::read(plugin("stoke-on-trent-js")).expect("the built port");
    let golden = workspace().join("plugins/stoke-on-trent/golden.json");
    let cases = serde_json::from_str::<Vec<Value>>(
        &std::fs::read_to_string(&golden).expect("the Rust plugin's golden.json"),
    )
    .expect("golden cases")
    .len();
    // The golden cases embedded by `waymark plugin build` are the Rust plugin's own
    // file (a symlink), run in the sandbox as an upload runs them.
    let policies = support::shared_policies();
    support::compiled_once(&policies, &js);
    let checked = policies
        .check_upload(&js, &waymark::policy::Limits::default())
        .unwrap_or_else(|e| panic!("the JavaScript port is refused: {e}"));
    assert_eq!(checked.golden_cases, cases);
    assert_eq!(
        checked.plugin.language(),
        waymark::policy::Language::JavaScript
    );

    // The 1,000-person cohort: tests/python_plugins.rs runs the three languages'
    // ports over one cohort and compares every decision.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_plugin_cannot_read_the_real_time_files_or_network_nor_loop_for_ever() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let api = daemon.client();
    api.set_clock("2026-03-02T10:00:00Z").await;
    let r = api
        .post(
            "/v1/councils",
            json!({ "id": "hostile-js", "name": "Hostile JS" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let bytes = std::fs::read(fixture_plugin("hostile-js")).expect("built plugin");
    let r = api.put_wasm("/v1/councils/hostile-js/plugin", bytes).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let refer = |postcode: &'static str| {
        let api = &api;
        async move {
            let r = api
                .post(
                    "/v1/councils/hostile-js/referrals",
                    json!({ "route": "self", "date_of_birth": "1990-01-01", "postcode": postcode }),
                )
                .await;
            assert_eq!(r.status, 201, "{postcode}: {}", r.body);
            r.body
        }
    };

    // The district picks the attack (see tests/plugins/hostile-js).
    for (postcode, reason) in [
        ("ZE1 0AA", &["fuel", "deadline"][..]),
        // The runtime is built without fetch: what is left of it traps.
        ("ZE2 9AA", &["crashed"]),
        ("ZE3 9AA", &["require is not defined"]),
    ] {
        let body = refer(postcode).await;
        assert!(body["decision"].is_null(), "{postcode}: {body}");
        let why = body["review_reason"].as_str().unwrap_or_default();
        assert!(reason.iter().any(|r| why.contains(r)), "{postcode}: {why}");
        assert_eq!(api.get("/healthz").await.status, 200);
    }

    // The clock is the decision's as-of date (midnight UTC), not the daemon's time
    // (10:00) nor the machine's; randomness is seeded by the input, so the same
    // referral sees the same number.
    let seen = |body: &Value| {
        assert_eq!(body["decision"]["outcome"], "accept", "{body}");
        body["decision"]["reasons"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let first = seen(&refer("TM1 1AA").await);
    assert!(
        first.starts_with("Date.now()=1772409600000 new Date()=2026-03-02T00:00:00.000Z random="),
        "{first}"
    );
    assert_eq!(seen(&refer("TM1 1AA").await), first);

    let body = refer("ST4 1AB").await;
    assert_eq!(body["decision"]["outcome"], "accept", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_javascript_plugin_tests_builds_and_uploads_from_outside_the_checkout() {
    let outside = tempfile::tempdir().expect("temp dir");
    let checkout = std::fs::canonicalize(workspace()).expect("the checkout");
    assert!(!outside.path().starts_with(&checkout));

    // The guide's commands (docs/plugins-javascript.md), outside the checkout.
    let out = waymark(&[
        "plugin",
        "new",
        "north-tyneside",
        "--lang",
        "javascript",
        "--dir",
        &outside.path().to_string_lossy(),
        "--sdk",
        &checkout.join("sdk").to_string_lossy(),
    ]);
    let project = outside.path().join("north-tyneside");
    assert!(
        out.starts_with(&format!("created {} (JavaScript)", project.display())),
        "{out}"
    );
    let run_in = |args: &[&str]| {
        let out = Command::new(waymark_bin())
            .args(args)
            .current_dir(&project)
            .output()
            .expect("run waymark");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "waymark {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let tested = run_in(&["plugin", "test", "."]);
    assert!(
        tested.contains("golden cases held in the sandbox"),
        "{tested}"
    );
    let built = run_in(&["plugin", "build", "."]);
    let wasm = project.join("dist/north-tyneside.wasm");
    assert!(wasm.is_file(), "{built}");

    let daemon = Daemon::start(&outside.path().join("data"));
    let admin = daemon.client();
    admin.set_clock("2026-03-02T10:00:00Z").await;
    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": "north-tyneside", "name": "North Tyneside" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, council_admin) =
        support::key(&admin, "/v1/councils/north-tyneside", "council_admin").await;
    let uploaded = Command::new(waymark_bin())
        .args(["plugin", "upload"])
        .arg(&wasm)
        .args(["--url", &daemon.base, "--council", "north-tyneside"])
        .env("WAYMARK_KEY", &council_admin.token)
        .output()
        .expect("run waymark plugin upload");
    let stdout = String::from_utf8_lossy(&uploaded.stdout);
    assert!(
        uploaded.status.success()
            && stdout.contains("all 3 golden cases held in the sandbox under the council's limits"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&uploaded.stderr)
    );
    let r = admin
        .post(
            "/v1/councils/north-tyneside/referrals",
            json!({ "route": "self", "date_of_birth": "1990-04-01", "postcode": "AB1 2CD" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["decision"]["outcome"], "accept", "{}", r.body);
    assert_eq!(
        r.body["decision"]["reasons"][0]["text"], "Lives in AB1 and is aged 35.",
        "{}",
        r.body
    );
}
