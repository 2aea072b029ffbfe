//! A plugin in its own repository: `waymark plugin new` into a folder outside the
//! Waymark checkout, pointed at this checkout's SDK the documented way (`--sdk`,
//! which writes the `[patch.crates-io]` lines), then `cargo test` and `waymark
//! plugin build` run there, the component built is uploaded with `waymark plugin
//! upload` to a live daemon, and a referral gets the template's decision; and the
//! SDK itself packages as a crate. Slow: it builds the SDK and its dependencies
//! natively and again for wasm, so it is the only test of its kind. Only the
//! sources must be outside: the builds share the checkout's compiled dependencies
//! where cargo can reuse them (see the target folders below).

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;
use support::{Daemon, waymark_bin, workspace};

/// Runs `command`, failing the test with its output unless it succeeds.
fn succeeds(command: &mut Command, what: &str) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(
        status.success(),
        "{what} failed ({status}):\n{stdout}\n{}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

/// Cargo as the test runs under it, without the settings of Waymark's own build.
fn cargo(dir: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    command
}

/// Cargo verifies packaged crates against the others just packaged, through a
/// local registry it unpacks into `$CARGO_HOME/registry/src/-<hash>/`, keyed by the
/// target folder, and it never unpacks or rebuilds a registry version twice. A crate
/// changed since the last run at the same version would be verified against its
/// old source, so the unpacked copies of ours go first (crates.io's own folder is
/// left alone), and their builds (`cargo clean -p`, in the test).
fn forget_packaged_sources(names: &[&str], version: &str) {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let Some(sources) = home.map(|h| h.join("registry/src")) else {
        return;
    };
    let Ok(registries) = std::fs::read_dir(&sources) else {
        return;
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for name in names {
            let unpacked = registry.path().join(format!("{name}-{version}"));
            if unpacked.is_dir() {
                std::fs::remove_dir_all(&unpacked)
                    .unwrap_or_else(|e| panic!("could not remove {}: {e}", unpacked.display()));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_plugin_tests_builds_and_uploads_from_outside_the_checkout_and_the_sdk_packages() {
    let outside = tempfile::tempdir().expect("temp dir");
    let checkout = std::fs::canonicalize(workspace()).expect("the checkout");
    assert!(
        !outside.path().starts_with(&checkout),
        "the temporary folder must be outside the checkout"
    );
    let sdk = checkout.join("sdk");

    let out = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "new", "north-tyneside", "--dir"])
            .arg(outside.path())
            .arg("--sdk")
            .arg(&sdk),
        "waymark plugin new",
    );
    let plugin = outside.path().join("north-tyneside");
    assert!(
        out.starts_with(&format!("created {}\n", plugin.display())),
        "{out}"
    );
    let manifest = std::fs::read_to_string(plugin.join("Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.contains("\n[workspace]\n"), "{manifest}");
    assert!(!manifest.contains("workspace = true"), "{manifest}");
    assert!(
        manifest.contains("\nwaymark-sdk = \"0.2.0\"\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!(
            "[patch.crates-io]\nwaymark-sdk = {{ path = {:?} }}\n",
            sdk.display().to_string()
        )),
        "{manifest}"
    );

    // Waymark's lockfile pins the dependencies to versions already downloaded.
    std::fs::copy(checkout.join("Cargo.lock"), plugin.join("Cargo.lock")).expect("lockfile");
    // Native builds (the plugin's tests, then cargo's verification of the packaged
    // SDK) share one folder, kept between runs, so the SDK's dependencies compile
    // once; Waymark's own target folder stays locked by the cargo running this test.
    let native_dir = checkout.join("target/standalone-plugin");
    let tests_out = succeeds(
        cargo(&plugin)
            .arg("test")
            .env("CARGO_TARGET_DIR", &native_dir),
        "cargo test in the new plugin",
    );
    assert!(
        tests_out.contains("golden_cases_hold ... ok"),
        "{tests_out}"
    );

    // The wasm dependencies are those the checkout's plugins were built with, so
    // the documented setting points the build at their folder to reuse them.
    let shared_wasm_dir = checkout.join("target/plugin-build");
    let built = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "build", "."])
            .env("WAYMARK_PLUGIN_TARGET_DIR", &shared_wasm_dir)
            .current_dir(&plugin),
        "waymark plugin build in the new plugin",
    );
    let wasm = plugin.join("target/plugins/waymark-plugin-north-tyneside.wasm");
    assert!(wasm.is_file(), "{built}");
    assert!(
        !plugin.join("target/plugin-build").exists()
            && shared_wasm_dir
                .join("wasm32-unknown-unknown/plugin/waymark_plugin_north_tyneside.wasm")
                .is_file(),
        "cargo did not build in WAYMARK_PLUGIN_TARGET_DIR ({})",
        shared_wasm_dir.display()
    );
    let checked = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "check"])
            .arg(&wasm)
            .arg("--golden")
            .arg(plugin.join("golden.json")),
        "waymark plugin check",
    );
    assert!(
        checked.contains("golden cases held in the sandbox"),
        "{checked}"
    );

    // Uploaded as the guide says, it decides a referral by the template's rules.
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
    let uploaded = succeeds(
        Command::new(waymark_bin())
            .args(["plugin", "upload"])
            .arg(&wasm)
            .args(["--url", &daemon.base, "--council", "north-tyneside"])
            .env("WAYMARK_KEY", &council_admin.token)
            .current_dir(&plugin),
        "waymark plugin upload",
    );
    assert!(
        uploaded.contains("all 3 golden cases held in the sandbox under the council's limits"),
        "{uploaded}"
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
        r.body["decision"]["reasons"][0]["rule"], "eligible",
        "{}",
        r.body
    );
    drop(daemon);

    // The SDK packages as a crate (metadata, README, licence, no path-only
    // dependency), and the packaged crate builds on its own (cargo verifies it).
    // Every publishable member is packaged with it: a crate the SDK depends on
    // must be published too, and cargo verifies them together.
    let metadata: serde_json::Value = serde_json::from_str(&succeeds(
        cargo(&checkout).args(["metadata", "--no-deps", "--format-version", "1"]),
        "cargo metadata",
    ))
    .expect("cargo metadata is JSON");
    let publishable: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        // `publish`: null for any registry, [] for none.
        .filter(|p| p["publish"].as_array().is_none_or(|r| !r.is_empty()))
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(publishable.contains(&"waymark-sdk"), "{publishable:?}");
    // The SDK and the contract are versioned together (sdk/README.md).
    let version = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "waymark-sdk"))
        .and_then(|sdk| sdk["version"].as_str())
        .expect("the SDK's version");
    forget_packaged_sources(&publishable, version);
    let mut clean = cargo(&checkout);
    clean.arg("clean");
    for name in &publishable {
        clean.args(["-p", name]);
    }
    succeeds(
        clean.env("CARGO_TARGET_DIR", &native_dir),
        "cargo clean of the publishable crates",
    );
    let mut package = cargo(&checkout);
    package.args(["package", "--allow-dirty"]);
    for name in &publishable {
        package.args(["-p", name]);
    }
    succeeds(
        package.env("CARGO_TARGET_DIR", &native_dir),
        "cargo package of the publishable crates",
    );
    assert!(
        native_dir.join("package/waymark-sdk-0.2.0.crate").is_file(),
        "no waymark-sdk-0.2.0.crate in {}",
        native_dir.display()
    );
}
