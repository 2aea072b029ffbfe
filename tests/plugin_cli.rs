//! `waymark plugin upload | versions | activate | rollback` against the real daemon:
//! the text a council developer reads and the exit status a script sees, for an
//! upload accepted, one refused by a golden case, and versions managed after.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::{Client, Daemon, plugin, waymark_bin};
use waymark::policy::golden::{GOLDEN_SECTION, embed_section, strip_section};

/// What one run of the command showed: its exit status, stdout and stderr.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `waymark plugin ARGS --url … --council stoke-on-trent`, with `key` (if any)
/// in `WAYMARK_KEY` and nothing else of the caller's Waymark settings.
fn waymark_plugin(daemon: &Daemon, key: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(waymark_bin());
    command
        .arg("plugin")
        .args(args)
        .args(["--url", &daemon.base, "--council", "stoke-on-trent"])
        .env_remove("WAYMARK_KEY")
        .env_remove("WAYMARK_URL")
        .env_remove("WAYMARK_COUNCIL");
    if let Some(key) = key {
        command.env("WAYMARK_KEY", key);
    }
    let out = command.output().expect("run waymark plugin");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn active(api: &Client) -> Value {
    let r = api.get("/v1/councils/stoke-on-trent").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["active_plugin"].clone()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a component");
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_council_developer_uploads_and_manages_versions_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(&dir.path().join("data"));
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": "stoke-on-trent", "name": "Stoke-on-Trent" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A council admin's key, as a council developer would be given.
    let (_, council_admin) =
        support::key(&admin, "/v1/councils/stoke-on-trent", "council_admin").await;
    let key = Some(council_admin.token.as_str());

    let stoke = std::fs::read(plugin("stoke-on-trent")).expect("built plugin");
    let golden: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(support::workspace().join("plugins/stoke-on-trent/golden.json"))
            .expect("golden.json"),
    )
    .expect("golden cases");
    let good_file = write(dir.path(), "stoke-on-trent.wasm", &stoke);

    // Accepted: the version, and every golden case the daemon ran, by name.
    let run = waymark_plugin(&daemon, key, &["upload", &good_file]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let good = active(&admin).await.as_str().expect("active").to_owned();
    assert!(
        run.stdout.starts_with(&format!(
            "accepted: {good_file} is now council stoke-on-trent's active plugin\n  digest    {good}\n"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "all {} golden cases held in the sandbox under the council's limits:",
            golden.len()
        )),
        "{}",
        run.stdout
    );
    for (i, case) in golden.iter().enumerate() {
        let line = format!(
            "  ok   case {} [{}] {}\n",
            i + 1,
            case["hook"].as_str().unwrap_or_default(),
            case["name"].as_str().unwrap_or_default()
        );
        assert!(run.stdout.contains(&line), "{line}not in\n{}", run.stdout);
    }

    // Refused by a golden case it does not pass: the case, what was expected and
    // what the plugin answered, on stderr, exit status 1; the active plugin stays.
    let wrong = r#"[{"name": "an adult in ST4 is waitlisted", "hook": "eligibility",
        "input": {"route": "jobcentre", "age": 35, "postcode_district": "ST4", "in_work": false,
                  "on_universal_credit": false, "known_to_health_services": false,
                  "on_other_programme": false, "cohorts": []},
        "as_of": "2026-01-05", "expect": {"outcome": "waitlist"}}]"#;
    let mut bad = strip_section(&stoke, GOLDEN_SECTION);
    embed_section(&mut bad, GOLDEN_SECTION, wrong.as_bytes());
    let bad_file = write(dir.path(), "waitlists.wasm", &bad);
    let run = waymark_plugin(&daemon, key, &["upload", &bad_file]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    let expected_start = format!(
        "refused: {bad_file} was not uploaded to council stoke-on-trent; its active plugin is unchanged
1 of 1 golden cases failed in the sandbox under the council's limits:
  FAIL case 1 [eligibility] an adult in ST4 is waitlisted
       - expected outcome waitlist, got accept
       the plugin answered: {{"
    );
    assert!(run.stderr.starts_with(&expected_start), "{}", run.stderr);
    assert!(
        run.stderr.contains(r#""outcome":"accept""#),
        "{}",
        run.stderr
    );
    assert_eq!(active(&admin).await, json!(good));

    // A second version, without golden cases: accepted, and said so.
    admin.set_clock("2026-01-05T11:00:00Z").await;
    let bare_file = write(
        dir.path(),
        "no-golden.wasm",
        &strip_section(&stoke, GOLDEN_SECTION),
    );
    let run = waymark_plugin(&daemon, key, &["upload", &bare_file]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("no golden cases: only the contract was checked"),
        "{}",
        run.stdout
    );
    let second = active(&admin).await.as_str().expect("active").to_owned();
    assert_ne!(second, good);

    // Versions: oldest first, the active one starred, short digests.
    let run = waymark_plugin(&daemon, key, &["versions"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0], "council stoke-on-trent: 2 plugin versions, oldest first (* active)",
        "{}",
        run.stdout
    );
    assert!(
        lines[1].starts_with(&format!(
            "    {}  uploaded 2026-01-05 10:00 UTC",
            &good[..12]
        )),
        "{}",
        run.stdout
    );
    assert!(
        lines[1].ends_with(&format!("{} golden cases", golden.len())),
        "{}",
        run.stdout
    );
    assert!(
        lines[2].starts_with(&format!(
            "  * {}  uploaded 2026-01-05 11:00 UTC",
            &second[..12]
        )),
        "{}",
        run.stdout
    );
    assert!(lines[2].ends_with("0 golden cases"), "{}", run.stdout);

    // Rollback returns to the version active before.
    let run = waymark_plugin(&daemon, key, &["rollback"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "rolled back: council stoke-on-trent's active plugin is now {good}\n  it was {second}\n"
        )
    );
    assert_eq!(active(&admin).await, json!(good));

    // Activate takes the start of a digest, as `versions` prints it.
    let run = waymark_plugin(&daemon, key, &["activate", &second[..12]]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "activated: council stoke-on-trent's active plugin is now {second}\n  it was {good}\n"
        )
    );
    assert_eq!(active(&admin).await, json!(second));

    // A digest the council never uploaded: refused by the daemon (status 1); a
    // prefix of none is caught before asking (status 2). Nothing changes.
    let run = waymark_plugin(&daemon, key, &["activate", &"f".repeat(64)]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("refused (404 Not found): council `stoke-on-trent` has no plugin version"),
        "{}",
        run.stderr
    );
    let prefix = if second.starts_with("000000") {
        "111111"
    } else {
        "000000"
    };
    let run = waymark_plugin(&daemon, key, &["activate", prefix]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("has no plugin version starting `{prefix}`")),
        "{}",
        run.stderr
    );
    assert_eq!(active(&admin).await, json!(second));

    // The key comes only from WAYMARK_KEY: without it nothing is asked; a wrong
    // one is refused by the daemon.
    let run = waymark_plugin(&daemon, None, &["rollback"]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("set WAYMARK_KEY"), "{}", run.stderr);
    let run = waymark_plugin(&daemon, Some("not-a-key-of-anyone-0123"), &["versions"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with("refused (401 Unauthorized)"),
        "{}",
        run.stderr
    );
    assert_eq!(active(&admin).await, json!(second));
}
