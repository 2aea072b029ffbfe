//! `waymark simulate` end to end: the real binary, the real Stoke-on-Trent plugin,
//! a generated cohort; two runs give byte-identical reports, and a comparison of
//! review cadences finds the difference.

use crate::support;

use std::process::Command;

use serde_json::Value;

fn waymark(args: &[&str]) -> std::process::Output {
    let out = Command::new(support::waymark_bin())
        .args(args)
        .output()
        .expect("run waymark");
    assert!(
        out.status.success(),
        "waymark {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn simulation_is_deterministic_and_a_comparison_shows_the_cadence_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name).display().to_string();
    let plugin = support::plugin("stoke-on-trent").display().to_string();

    waymark(&[
        "simulate",
        "generate",
        "--size",
        "300",
        "--seed",
        "9",
        "--out",
        &p("cohort.jsonl"),
    ]);
    let again = waymark(&["simulate", "generate", "--size", "300", "--seed", "9"]);
    assert_eq!(
        std::fs::read(p("cohort.jsonl")).expect("cohort"),
        again.stdout,
        "the same seed must give the same cohort"
    );

    for run in ["a", "b"] {
        waymark(&[
            "simulate",
            "--plugin",
            &plugin,
            "--cohort",
            &p("cohort.jsonl"),
            "--months",
            "6",
            "--out",
            &p(&format!("{run}.json")),
            "--html",
            &p(&format!("{run}.html")),
        ]);
    }
    assert_eq!(
        std::fs::read(p("a.json")).ok(),
        std::fs::read(p("b.json")).ok()
    );
    assert_eq!(
        std::fs::read(p("a.html")).ok(),
        std::fs::read(p("b.html")).ok()
    );

    std::fs::write(
        p("four.json"),
        r#"{"review_every_weeks":4,"weekly_in_first_month":false}"#,
    )
    .expect("settings");
    std::fs::write(
        p("two.json"),
        r#"{"review_every_weeks":2,"weekly_in_first_month":false}"#,
    )
    .expect("settings");
    waymark(&[
        "simulate",
        "--plugin",
        &plugin,
        "--settings",
        &p("four.json"),
        "--compare-settings",
        &p("two.json"),
        "--cohort",
        &p("cohort.jsonl"),
        "--months",
        "9",
        "--out",
        &p("cmp.json"),
        "--html",
        &p("cmp.html"),
    ]);
    let cmp: Value =
        serde_json::from_slice(&std::fs::read(p("cmp.json")).expect("report")).expect("json");
    let reviews = cmp["actions_by_kind"]["review"]
        .as_array()
        .expect("review counts");
    let (four, two) = (
        reviews[0].as_f64().unwrap_or(0.0),
        reviews[1].as_f64().unwrap_or(0.0),
    );
    assert!(
        four > 0.0 && (1.7..=2.3).contains(&(two / four)),
        "{four} → {two}"
    );
    assert!(cmp["changed_decisions_total"].as_u64().unwrap_or(0) > 0);
    let html = std::fs::read_to_string(p("cmp.html")).expect("html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.matches("<svg").count() >= 6);
}

#[test]
fn a_bad_cohort_line_is_refused_with_its_number() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cohort = dir.path().join("cohort.jsonl");
    std::fs::write(&cohort, "{\"id\":\"x\"}\n").expect("write");
    let out = Command::new(support::waymark_bin())
        .args(["simulate", "--plugin"])
        .arg(support::plugin("stoke-on-trent"))
        .arg("--cohort")
        .arg(&cohort)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cohort line 1"), "{err}");
}

/// The report opens in a real browser (headless Chromium, installed by `scripts/test`)
/// and its charts are in the rendered page: the DOM the browser built holds every
/// chart's SVG and series, and a screenshot of the page is drawn.
#[test]
fn the_html_report_renders_its_charts_in_headless_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("Chromium is needed to check the report renders: scripts/test installs it (apt package `chromium`)");
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name).display().to_string();
    let plugin = support::plugin("stoke-on-trent").display().to_string();
    waymark(&[
        "simulate",
        "generate",
        "--size",
        "200",
        "--seed",
        "3",
        "--out",
        &p("c.jsonl"),
    ]);
    waymark(&[
        "simulate",
        "--plugin",
        &plugin,
        "--cohort",
        &p("c.jsonl"),
        "--months",
        "6",
        "--out",
        &p("r.json"),
        "--html",
        &p("r.html"),
    ]);
    let browser = |extra: &[String]| {
        let profile = tempfile::tempdir().expect("profile dir");
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1000,1600",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("file://{}", p("r.html")))
            .output()
            .expect("run chromium")
    };
    let dom = browser(&["--dump-dom".to_owned()]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.matches("<svg").count() >= 4,
        "charts missing from the rendered DOM"
    );
    assert!(
        dom.contains("<polyline") && dom.contains("class=\"bar\""),
        "chart series missing"
    );
    let shot = browser(&[format!("--screenshot={}", p("r.png"))]);
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png = std::fs::read(p("r.png")).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "blank screenshot"
    );
}
