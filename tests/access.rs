//! Keys, roles and tenancy against the real daemon: each role against each kind of
//! route, keys of one council against another's data, expired and revoked keys, the
//! audit log and its offline verification, and the body-size and rate limits.

use crate::support;

use serde_json::{Value, json};
use support::{Client, Daemon};

const STOKE: &str = "/v1/councils/stoke-on-trent";
const LEEDS: &str = "/v1/councils/leeds";

async fn key(
    admin: &Client,
    council: &str,
    role: &str,
    expires_at: Option<&str>,
) -> (String, Client) {
    let r = admin
        .post(
            &format!("{council}/keys"),
            json!({ "role": role, "name": format!("{role} key"), "expires_at": expires_at }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("wm_"), "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    (id, admin.with_token(&secret))
}

fn is_problem(r: &support::Reply, status: u16) -> bool {
    r.status == status
        && r.body["status"] == status
        && r.body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:waymark:problem:"))
}

async fn refer(api: &Client, council: &str, postcode: &str) -> String {
    let r = api
        .post(
            &format!("{council}/referrals"),
            json!({ "route": "jobcentre", "date_of_birth": "1990-04-01", "postcode": postcode }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["participant_id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_councils_are_enforced_and_audited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    admin.set_clock("2026-01-05T10:00:00Z").await;
    support::council_with_plugin(&admin, "stoke-on-trent", "Stoke-on-Trent", "stoke-on-trent")
        .await;
    let r = admin
        .post("/v1/councils", json!({ "id": "leeds", "name": "Leeds" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let (_, stoke_admin) = key(&admin, STOKE, "council_admin", None).await;
    let (worker_id, worker) = key(&admin, STOKE, "caseworker", None).await;
    let (_, auditor) = key(&admin, STOKE, "auditor", None).await;
    let (leeds_worker_id, leeds_worker) = key(&admin, LEEDS, "caseworker", None).await;
    let (_, short_lived) = key(&admin, STOKE, "caseworker", Some("2026-01-06T00:00:00Z")).await;

    // Listing shows the keys, never a secret or its hash.
    let r = stoke_admin.get(&format!("{STOKE}/keys")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["keys"].as_array().map(Vec::len),
        Some(4),
        "{}",
        r.body
    );
    let listed = r.body.to_string();
    assert!(
        !listed.contains("wm_") && !listed.contains("secret"),
        "{listed}"
    );
    assert!(
        !listed.contains(&leeds_worker_id),
        "another council's key is listed"
    );

    // A council admin makes keys for its council, never platform-admin ones.
    let r = stoke_admin
        .post(
            &format!("{STOKE}/keys"),
            json!({ "role": "platform_admin", "name": "x" }),
        )
        .await;
    assert!(is_problem(&r, 422), "{} {}", r.status, r.body);
    let r = stoke_admin.post("/v1/keys", json!({ "name": "x" })).await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);
    let r = stoke_admin
        .post("/v1/councils", json!({ "id": "york", "name": "York" }))
        .await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);
    let r = worker
        .post(
            &format!("{STOKE}/keys"),
            json!({ "role": "auditor", "name": "x" }),
        )
        .await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);

    // Casework by caseworkers only.
    let stoke_person = refer(&worker, STOKE, "ST4 1AB").await;
    let leeds_person = refer(&leeds_worker, LEEDS, "LS1 4AP").await;
    let r = stoke_admin
        .post(
            &format!("{STOKE}/referrals"),
            json!({ "route": "self", "date_of_birth": "1990-04-01", "postcode": "ST4 1AB" }),
        )
        .await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);
    let r = worker
        .get(&format!("{STOKE}/participants/{stoke_person}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let history = r.body["history"].as_array().map(Vec::len);

    // Tenancy: another council's route is refused the same way whether or not it exists,
    // and another council's participant id under one's own council is simply unknown.
    let theirs = worker
        .get(&format!("{LEEDS}/participants/{leeds_person}"))
        .await;
    assert!(
        is_problem(&theirs, 403),
        "{} {}",
        theirs.status,
        theirs.body
    );
    let nowhere = worker
        .get(&format!("/v1/councils/york/participants/{leeds_person}"))
        .await;
    assert_eq!(theirs.body["detail"], nowhere.body["detail"]);
    let guessed = worker
        .get(&format!("{STOKE}/participants/{leeds_person}"))
        .await;
    let unknown = worker
        .get(&format!(
            "{STOKE}/participants/00000000-0000-4000-8000-000000000000"
        ))
        .await;
    assert!(
        is_problem(&guessed, 404),
        "{} {}",
        guessed.status,
        guessed.body
    );
    assert!(
        !guessed.body.to_string().contains("leeds"),
        "{}",
        guessed.body
    );
    assert_eq!(
        guessed.body["detail"]
            .as_str()
            .map(|d| d.replace(&leeds_person, "ID")),
        unknown.body["detail"]
            .as_str()
            .map(|d| d.replace("00000000-0000-4000-8000-000000000000", "ID"))
    );
    let r = leeds_worker
        .get(&format!("{STOKE}/participants/{stoke_person}"))
        .await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);
    let r = leeds_worker
        .post(
            &format!("{LEEDS}/participants/{stoke_person}/events"),
            json!({ "type": "started", "at": "2026-01-05" }),
        )
        .await;
    assert!(is_problem(&r, 404), "{} {}", r.status, r.body);
    let r = leeds_worker.get(&format!("{STOKE}/actions")).await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);

    // The auditor reads, and changes nothing.
    let r = auditor
        .get(&format!("{STOKE}/participants/{stoke_person}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = auditor
        .post(
            &format!("{STOKE}/participants/{stoke_person}/events"),
            json!({ "type": "started", "at": "2026-01-05" }),
        )
        .await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);
    let r = worker
        .get(&format!("{STOKE}/participants/{stoke_person}"))
        .await;
    assert_eq!(
        r.body["history"].as_array().map(Vec::len),
        history,
        "a refusal changed the journey"
    );
    let r = worker.get(&format!("{STOKE}/audit")).await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);

    // Legal hold and erasure are the council admin's; a hold blocks erasure with its reason.
    let person = format!("{STOKE}/participants/{stoke_person}");
    let r = worker.delete(&person).await;
    assert!(is_problem(&r, 403), "{} {}", r.status, r.body);
    let r = stoke_admin
        .put(
            &format!("{person}/hold"),
            json!({ "reason": "tribunal claim 2026/114" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = stoke_admin.delete(&person).await;
    assert!(is_problem(&r, 409), "{} {}", r.status, r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("tribunal claim 2026/114"),
        "{}",
        r.body
    );
    assert_eq!(
        worker.get(&person).await.status,
        200,
        "a refused erasure erased"
    );
    let r = stoke_admin.delete(&format!("{person}/hold")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = stoke_admin.delete(&person).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["events"], 2, "{}", r.body);
    assert_eq!(worker.get(&person).await.status, 404);
    let r = worker.get(&format!("{person}/export")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["events"], json!([]), "{}", r.body);
    assert!(!r.body.to_string().contains("ST4"), "{}", r.body);

    // Revocation: by id, only within the council that owns the key.
    let r = stoke_admin
        .delete(&format!("{STOKE}/keys/{leeds_worker_id}"))
        .await;
    assert!(is_problem(&r, 404), "{} {}", r.status, r.body);
    assert_eq!(
        leeds_worker.get(&format!("{LEEDS}/actions")).await.status,
        200
    );
    let r = stoke_admin
        .delete(&format!("{STOKE}/keys/{worker_id}"))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = worker.get(&format!("{STOKE}/actions")).await;
    assert!(is_problem(&r, 401), "{} {}", r.status, r.body);
    assert!(
        r.body["detail"].as_str().unwrap_or("").contains("revoked"),
        "{}",
        r.body
    );

    // Expiry follows the daemon's clock.
    assert_eq!(
        short_lived.get(&format!("{STOKE}/actions")).await.status,
        200
    );
    admin.set_clock("2026-01-06T00:00:01Z").await;
    let r = short_lived.get(&format!("{STOKE}/actions")).await;
    assert!(is_problem(&r, 401), "{} {}", r.status, r.body);
    assert!(
        r.body["detail"].as_str().unwrap_or("").contains("expired"),
        "{}",
        r.body
    );
    let r = admin
        .with_token("wm_not-a-key")
        .get(&format!("{STOKE}/actions"))
        .await;
    assert!(is_problem(&r, 401), "{} {}", r.status, r.body);

    // The audit log: who did what to which route, never a body.
    let r = auditor.get(&format!("{STOKE}/audit?limit=3")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["entries"].as_array().map(Vec::len),
        Some(3),
        "{}",
        r.body
    );
    let mut entries: Vec<Value> = r.body["entries"].as_array().cloned().unwrap_or_default();
    let mut cursor = r.body["next_cursor"].clone();
    while let Some(after) = cursor.as_u64() {
        let r = auditor.get(&format!("{STOKE}/audit?after={after}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        entries.extend(r.body["entries"].as_array().cloned().unwrap_or_default());
        cursor = r.body["next_cursor"].clone();
    }
    let routes: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (f("method"), f("route"), f("role"))
        })
        .collect();
    let has = |m: &str, r: &str, role: &str| {
        routes.contains(&(
            m.into(),
            format!("/v1/councils/{{council}}{r}"),
            role.into(),
        ))
    };
    assert!(has("POST", "/referrals", "caseworker"), "{routes:?}");
    assert!(
        has("PUT", "/participants/{participant}/hold", "council_admin"),
        "{routes:?}"
    );
    assert!(
        has("DELETE", "/participants/{participant}", "council_admin"),
        "{routes:?}"
    );
    assert!(has("DELETE", "/keys/{key}", "council_admin"), "{routes:?}");
    assert!(
        entries.iter().all(|e| e["council"] == "stoke-on-trent"),
        "{entries:?}"
    );
    assert!(
        !routes.iter().any(|(_, r, _)| r.contains("leeds")),
        "{routes:?}"
    );
    let text = serde_json::to_string(&entries).unwrap_or_default();
    assert!(
        !text.contains("ST4 1AB") && !text.contains("1990-04-01"),
        "{text}"
    );
    // Refused requests changed nothing, so they are not in the log.
    assert!(
        entries
            .iter()
            .all(|e| e["status"].as_u64().is_some_and(|s| s < 300))
    );

    // Offline verification: intact, then a flipped byte is found at its entry.
    let output = daemon.stop();
    let verify = || {
        std::process::Command::new(support::waymark_bin())
            .args(["audit", "verify", "--data"])
            .arg(dir.path())
            .output()
            .expect("run waymark audit verify")
    };
    let ok = verify();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    {
        let db = sled::open(dir.path().join("sled")).expect("open sled");
        let audit = db.open_tree("audit").expect("audit tree");
        let key = 3u64.to_be_bytes();
        let mut bytes = audit.get(key).expect("read").expect("entry 3").to_vec();
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let at = text.find("\"method\":\"").expect("method") + "\"method\":\"".len();
        bytes[at] ^= 0x01; // e.g. PUT becomes QUT
        audit.insert(key, bytes).expect("write");
        db.flush().expect("flush");
    }
    let broken = verify();
    assert!(!broken.status.success(), "tampering went unnoticed");
    let err = String::from_utf8_lossy(&broken.stderr);
    assert!(err.contains("entry 3"), "{err}");
    assert!(
        !output.contains("wm_"),
        "a key secret reached the log:\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_declared_route_refuses_a_request_without_a_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let anonymous = daemon.client().with_token("");
    let http = reqwest::Client::new();
    for declared in waymark::api::declared() {
        let (method, route) = (declared.method.as_str(), declared.path);
        let path = route
            .replace("{council}", "stoke-on-trent")
            .replace("{participant}", "00000000-0000-4000-8000-000000000000")
            .replace("{action}", "0000000000000000-0000000000000000")
            .replace("{key}", "key_00000000000000000000000000000000");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = http
            .request(method.clone(), format!("{}{path}", anonymous.base))
            .json(&json!({}))
            .send()
            .await
            .expect("request reached the daemon");
        assert_eq!(
            r.status().as_u16(),
            401,
            "{method} {route} answered without a key"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_key_reads_the_openapi_document_and_no_key_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    let r = admin
        .post("/v1/councils", json!({ "id": "leeds", "name": "Leeds" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(support::workspace().join("schemas/openapi.json"))
            .expect("schemas/openapi.json"),
    )
    .expect("committed openapi.json is JSON");
    for role in ["auditor", "caseworker", "council_admin"] {
        let (_, client) = key(&admin, LEEDS, role, None).await;
        let r = client.get("/v1/openapi.json").await;
        assert_eq!(r.status, 200, "{role}: {}", r.body);
        assert_eq!(r.body["openapi"], "3.1.0");
        assert!(
            r.body["paths"]["/v1/openapi.json"]["get"].is_object(),
            "{}",
            r.body
        );
        assert!(
            r.body == committed,
            "the served document differs from schemas/openapi.json"
        );
    }
    let r = reqwest::Client::new()
        .get(format!("{}/v1/openapi.json", admin.base))
        .send()
        .await
        .expect("request reached the daemon");
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.expect("problem body");
    assert_eq!(body["type"], "urn:waymark:problem:unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_and_fast_keys_get_429_with_retry_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start_with(
        dir.path(),
        &[
            ("WAYMARK_RATE_PER_SECOND", "0.5"),
            ("WAYMARK_RATE_BURST", "4"),
            ("WAYMARK_MAX_BODY_BYTES", "2048"),
        ],
    );
    let admin = daemon.client();
    let r = admin
        .post(
            "/v1/councils",
            json!({ "id": "leeds", "name": "x".repeat(4000) }),
        )
        .await;
    assert!(is_problem(&r, 413), "{} {}", r.status, r.body);
    assert_eq!(r.body["type"], "urn:waymark:problem:body-too-large");
    assert_eq!(admin.get("/v1/keys").await.status, 200);
    assert_eq!(admin.get("/v1/keys").await.status, 200);
    assert_eq!(admin.get("/v1/keys").await.status, 200);
    let r = admin.get("/v1/keys").await;
    assert!(is_problem(&r, 429), "{} {}", r.status, r.body);
    let retry: u64 = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    let r = admin
        .post("/v1/councils", json!({ "id": "leeds", "name": "Leeds" }))
        .await;
    assert!(is_problem(&r, 429), "{} {}", r.status, r.body);
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    assert_eq!(admin.get("/v1/keys").await.status, 200);
    // The refused POST created nothing.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let r = admin.get("/v1/councils/leeds").await;
    assert!(is_problem(&r, 404), "{} {}", r.status, r.body);
}

/// One declaration per route (`api::route`): every route it lists is mounted, refuses
/// each key its permission leaves out with the gate's 403, lets the keys it names past
/// the gate, and is in the OpenAPI document with that permission. A route added to a
/// module's `routes()` is covered here without touching this file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_declared_route_is_routed_gated_by_its_permission_and_described() {
    use waymark::access::Role;
    use waymark::api::permission::Permission;

    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::start(dir.path());
    let admin = daemon.client();
    for (id, name) in [("leeds", "Leeds"), ("york", "York")] {
        let r = admin
            .post("/v1/councils", json!({ "id": id, "name": name }))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut keys = Vec::new();
    for role in [Role::CouncilAdmin, Role::Caseworker, Role::Auditor] {
        let (_, client) = key(&admin, LEEDS, role.as_str(), None).await;
        keys.push((role, "leeds", client));
    }
    let (_, york) = key(&admin, "/v1/councils/york", "council_admin", None).await;
    keys.push((Role::CouncilAdmin, "york", york));

    let doc = admin.get("/v1/openapi.json").await;
    assert_eq!(doc.status, 200, "{}", doc.body);
    let declared = waymark::api::declared();
    let described: usize = doc.body["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(
        described,
        declared.len(),
        "the document describes other routes"
    );

    let http = reqwest::Client::new();
    for route in declared {
        let (method, pattern) = (route.method.as_str(), route.path);
        let op = &doc.body["paths"][pattern][method.to_lowercase()];
        assert!(op.is_object(), "{method} {pattern} is not in the document");
        assert_eq!(
            op["description"],
            route.permission.describe(),
            "{method} {pattern}"
        );
        let path = pattern
            .replace("{council}", "leeds")
            .replace("{participant}", "00000000-0000-4000-8000-000000000000")
            .replace("{action}", "0000000000000000-0000000000000000")
            .replace("{key}", "key_00000000000000000000000000000000")
            .replace("{schedule}", "sch_00000000000000000000000000000000")
            .replace("{digest}", &"0".repeat(64))
            .replace("{review}", "00000000-0000-4000-8000-000000000000")
            .replace("{key_worker}", "kw_00000000000000000000000000000000");
        for (role, council, client) in &keys {
            let may = match route.permission {
                Permission::PlatformAdmin => false,
                Permission::AnyKey => true,
                Permission::Council(grant) => *council == "leeds" && grant.roles().contains(role),
            };
            let mut req = http
                .request(route.method.clone(), format!("{}{path}", client.base))
                .bearer_auth(&client.token);
            if route.method != reqwest::Method::GET {
                req = req.json(&json!({}));
            }
            let r = req.send().await.expect("request reached the daemon");
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let who = format!("{method} {path} with a {role} key of {council}");
            if may {
                assert!(
                    ![401, 403, 405].contains(&status)
                        && !body["detail"]
                            .as_str()
                            .is_some_and(|d| d.starts_with("no such route")),
                    "{who} did not get past the gate: {status} {body}"
                );
            } else {
                assert_eq!(status, 403, "{who} was not refused: {body}");
                assert_eq!(
                    body["type"], "urn:waymark:problem:forbidden",
                    "{who}: {body}"
                );
            }
        }
    }
}
