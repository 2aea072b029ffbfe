//! The API's OpenAPI 3.1 description, built from the same things the server runs on:
//! the routes come from the permission [`TABLE`] (which a test proves lists every
//! route), and the bodies from the Rust types the handlers read and write, through
//! schemars. Served at `GET /v1/openapi.json` and written to `schemas/openapi.json`
//! by `waymark schemas export` (a test fails when that file drifts).
//!
//! schemars generates JSON Schema draft 2020-12, which OpenAPI 3.1 uses as is: each
//! type's `$defs` move into `components/schemas` and their references follow.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::response::Json;
use axum::routing::get;
use schemars::{JsonSchema, schema_for};
use serde_json::{Map, Value, json};

use super::AppState;
use super::access::{Permission, TABLE};
use super::actions::{ActionPage, ActionQuery};
use super::audit::{AuditPage, AuditQuery};
use super::backup::NewBackup;
use super::clock::SetClock;
use super::councils::{
    CouncilChange, CouncilPage, CouncilQuery, CouncilView, NewCouncil, PluginInstalled,
};
use super::indicators::IndicatorQuery;
use super::key_workers::{
    AssignKeyWorker, KeyWorkerAssignment, KeyWorkerChange, KeyWorkerList, NewKeyWorker,
};
use super::keys::{CreatedKey, KeyList, KeyQuery, NewKey, NewPlatformKey};
use super::participants::NewReferral;
use super::plugins::{PluginActivated, PluginVersionView, PluginVersions, ReplayRequest};
use super::privacy::NewLegalHold;
use super::problem::Problem;
use super::retention::{RetentionSettings, RetentionView};
use super::reviews::{DecisionLog, ResolveReview, ReviewPage, ReviewQuery};
use super::roster::{EventPage, EventQuery, ParticipantPage, ParticipantQuery};
use super::schedules::{
    PreviewQuery, RunPage, RunQuery, SchedulePage, SchedulePreview, ScheduleQuery,
};
use super::settings::CouncilSettings;
use crate::caseload::{ParticipantView, Referred};
use crate::indicators::Indicators;
use crate::journey::{CaseworkerEvent, ReferralCorrection};
use crate::key_workers::KeyWorkerView;
use crate::outbox::Action;
use crate::outbox::webhook::{WebhookSettings, WebhookView};
use crate::policy::Limits;
use crate::replay::ReplayReport;
use crate::review::ReviewItem;
use crate::schedule::admin::{AdminSchedule, ScheduleDefinition};
use crate::schedule::council_calendar::CalendarSpec;
use crate::store::{BackupTaken, Erasure, LegalHold, ParticipantExport};

/// A type's component name and its JSON Schema (draft 2020-12, with its `$defs`).
type Shape = fn() -> (String, Value);

fn shape<T: JsonSchema>() -> (String, Value) {
    (
        T::schema_name().into_owned(),
        serde_json::to_value(schema_for!(T)).unwrap_or_default(),
    )
}

/// What a route's request carries.
#[derive(Clone, Copy)]
enum Body {
    Empty,
    Json(Shape),
    /// A JSON object whose shape the council's active plugin defines (its settings).
    PluginSettings,
    /// A WebAssembly component, uploaded as `application/wasm`.
    Wasm,
}

/// A route's request and answer, by the types its handler uses.
struct Contract {
    method: &'static str,
    route: &'static str,
    query: Option<Shape>,
    body: Body,
    /// The success status; 204 answers with no body.
    status: u16,
    /// The success body; `None` with a 2xx other than 204 is a JSON document of any shape.
    answer: Option<Shape>,
}

const fn c(
    method: &'static str,
    route: &'static str,
    query: Option<Shape>,
    body: Body,
    status: u16,
    answer: Option<Shape>,
) -> Contract {
    Contract {
        method,
        route,
        query,
        body,
        status,
        answer,
    }
}

/// Every route whose body types are known. A route in [`TABLE`] but not here is still
/// described, with its parameters and a generic answer.
#[rustfmt::skip]
const CONTRACTS: &[Contract] = &[
    c("POST", "/v1/admin/clock", None, Body::Json(shape::<SetClock>), 200, Some(shape::<SetClock>)),
    c("POST", "/v1/admin/backup", None, Body::Json(shape::<NewBackup>), 200, Some(shape::<BackupTaken>)),
    c("POST", "/v1/councils", None, Body::Json(shape::<NewCouncil>), 201, Some(shape::<CouncilView>)),
    c("GET", "/v1/councils", Some(shape::<CouncilQuery>), Body::Empty, 200, Some(shape::<CouncilPage>)),
    c("GET", "/v1/councils/{council}", None, Body::Empty, 200, Some(shape::<CouncilView>)),
    c("PATCH", "/v1/councils/{council}", None, Body::Json(shape::<CouncilChange>), 200, Some(shape::<CouncilView>)),
    c("DELETE", "/v1/councils/{council}", None, Body::Empty, 204, None),
    c("PUT", "/v1/councils/{council}/plugin", None, Body::Wasm, 200, Some(shape::<PluginInstalled>)),
    c("POST", "/v1/councils/{council}/referrals", None, Body::Json(shape::<NewReferral>), 201, Some(shape::<Referred>)),
    c("GET", "/v1/councils/{council}/participants", Some(shape::<ParticipantQuery>), Body::Empty, 200, Some(shape::<ParticipantPage>)),
    c("GET", "/v1/councils/{council}/participants/{participant}", None, Body::Empty, 200, Some(shape::<ParticipantView>)),
    c("GET", "/v1/councils/{council}/participants/{participant}/events", Some(shape::<EventQuery>), Body::Empty, 200, Some(shape::<EventPage>)),
    c("DELETE", "/v1/councils/{council}/participants/{participant}", None, Body::Empty, 200, Some(shape::<Erasure>)),
    c("PATCH", "/v1/councils/{council}/participants/{participant}", None, Body::Json(shape::<ReferralCorrection>), 200, Some(shape::<ParticipantView>)),
    c("POST", "/v1/councils/{council}/participants/{participant}/events", None, Body::Json(shape::<CaseworkerEvent>), 200, Some(shape::<ParticipantView>)),
    c("GET", "/v1/councils/{council}/participants/{participant}/export", None, Body::Empty, 200, Some(shape::<ParticipantExport>)),
    c("PUT", "/v1/councils/{council}/participants/{participant}/hold", None, Body::Json(shape::<NewLegalHold>), 200, Some(shape::<LegalHold>)),
    c("DELETE", "/v1/councils/{council}/participants/{participant}/hold", None, Body::Empty, 204, None),
    c("GET", "/v1/councils/{council}/participants/{participant}/decisions", None, Body::Empty, 200, Some(shape::<DecisionLog>)),
    c("GET", "/v1/councils/{council}/actions", Some(shape::<ActionQuery>), Body::Empty, 200, Some(shape::<ActionPage>)),
    c("GET", "/v1/councils/{council}/actions/{action}", None, Body::Empty, 200, Some(shape::<Action>)),
    c("POST", "/v1/councils/{council}/actions/{action}/ack", None, Body::Empty, 200, Some(shape::<Action>)),
    c("POST", "/v1/councils/{council}/actions/{action}/redeliver", None, Body::Empty, 200, Some(shape::<Action>)),
    c("POST", "/v1/councils/{council}/keys", None, Body::Json(shape::<NewKey>), 201, Some(shape::<CreatedKey>)),
    c("GET", "/v1/councils/{council}/keys", Some(shape::<KeyQuery>), Body::Empty, 200, Some(shape::<KeyList>)),
    c("DELETE", "/v1/councils/{council}/keys/{key}", None, Body::Empty, 204, None),
    c("GET", "/v1/councils/{council}/audit", Some(shape::<AuditQuery>), Body::Empty, 200, Some(shape::<AuditPage>)),
    c("GET", "/v1/councils/{council}/retention", None, Body::Empty, 200, Some(shape::<RetentionView>)),
    c("PUT", "/v1/councils/{council}/retention", None, Body::Json(shape::<RetentionSettings>), 200, Some(shape::<RetentionView>)),
    c("GET", "/v1/councils/{council}/plugin/versions", None, Body::Empty, 200, Some(shape::<PluginVersions>)),
    c("GET", "/v1/councils/{council}/plugin/versions/{digest}", None, Body::Empty, 200, Some(shape::<PluginVersionView>)),
    c("DELETE", "/v1/councils/{council}/plugin/versions/{digest}", None, Body::Empty, 204, None),
    c("POST", "/v1/councils/{council}/plugin/versions/{digest}/activate", None, Body::Empty, 200, Some(shape::<PluginActivated>)),
    c("POST", "/v1/councils/{council}/plugin/rollback", None, Body::Empty, 200, Some(shape::<PluginActivated>)),
    c("POST", "/v1/councils/{council}/plugin/versions/{digest}/replay", None, Body::Json(shape::<ReplayRequest>), 200, Some(shape::<ReplayReport>)),
    c("GET", "/v1/councils/{council}/settings", None, Body::Empty, 200, Some(shape::<CouncilSettings>)),
    c("PUT", "/v1/councils/{council}/settings", None, Body::PluginSettings, 200, Some(shape::<CouncilSettings>)),
    c("GET", "/v1/councils/{council}/limits", None, Body::Empty, 200, Some(shape::<Limits>)),
    c("PUT", "/v1/councils/{council}/limits", None, Body::Json(shape::<Limits>), 200, Some(shape::<Limits>)),
    c("GET", "/v1/councils/{council}/reviews", Some(shape::<ReviewQuery>), Body::Empty, 200, Some(shape::<ReviewPage>)),
    c("GET", "/v1/councils/{council}/reviews/{review}", None, Body::Empty, 200, Some(shape::<ReviewItem>)),
    c("POST", "/v1/councils/{council}/reviews/{review}/resolve", None, Body::Json(shape::<ResolveReview>), 200, Some(shape::<ReviewItem>)),
    c("GET", "/v1/councils/{council}/webhook", None, Body::Empty, 200, Some(shape::<WebhookView>)),
    c("PUT", "/v1/councils/{council}/webhook", None, Body::Json(shape::<WebhookSettings>), 200, Some(shape::<WebhookView>)),
    c("DELETE", "/v1/councils/{council}/webhook", None, Body::Empty, 204, None),
    c("GET", "/v1/councils/{council}/calendar", None, Body::Empty, 200, Some(shape::<CalendarSpec>)),
    c("PUT", "/v1/councils/{council}/calendar", None, Body::Json(shape::<CalendarSpec>), 200, Some(shape::<CalendarSpec>)),
    c("GET", "/v1/councils/{council}/schedules", Some(shape::<ScheduleQuery>), Body::Empty, 200, Some(shape::<SchedulePage>)),
    c("POST", "/v1/councils/{council}/schedules", None, Body::Json(shape::<ScheduleDefinition>), 201, Some(shape::<AdminSchedule>)),
    c("GET", "/v1/councils/{council}/schedules/{schedule}", None, Body::Empty, 200, Some(shape::<AdminSchedule>)),
    c("PUT", "/v1/councils/{council}/schedules/{schedule}", None, Body::Json(shape::<ScheduleDefinition>), 200, Some(shape::<AdminSchedule>)),
    c("DELETE", "/v1/councils/{council}/schedules/{schedule}", None, Body::Empty, 204, None),
    c("GET", "/v1/councils/{council}/schedules/{schedule}/preview", Some(shape::<PreviewQuery>), Body::Empty, 200, Some(shape::<SchedulePreview>)),
    c("GET", "/v1/councils/{council}/schedules/{schedule}/runs", Some(shape::<RunQuery>), Body::Empty, 200, Some(shape::<RunPage>)),
    c("POST", "/v1/councils/{council}/schedules/{schedule}/pause", None, Body::Empty, 200, Some(shape::<AdminSchedule>)),
    c("POST", "/v1/councils/{council}/schedules/{schedule}/resume", None, Body::Empty, 200, Some(shape::<AdminSchedule>)),
    c("GET", "/v1/councils/{council}/key-workers", None, Body::Empty, 200, Some(shape::<KeyWorkerList>)),
    c("POST", "/v1/councils/{council}/key-workers", None, Body::Json(shape::<NewKeyWorker>), 201, Some(shape::<KeyWorkerView>)),
    c("GET", "/v1/councils/{council}/key-workers/{key_worker}", None, Body::Empty, 200, Some(shape::<KeyWorkerView>)),
    c("PATCH", "/v1/councils/{council}/key-workers/{key_worker}", None, Body::Json(shape::<KeyWorkerChange>), 200, Some(shape::<KeyWorkerView>)),
    c("POST", "/v1/councils/{council}/key-workers/{key_worker}/retire", None, Body::Empty, 200, Some(shape::<KeyWorkerView>)),
    c("PUT", "/v1/councils/{council}/participants/{participant}/key-worker", None, Body::Json(shape::<AssignKeyWorker>), 200, Some(shape::<KeyWorkerAssignment>)),
    c("GET", "/v1/councils/{council}/indicators", Some(shape::<IndicatorQuery>), Body::Empty, 200, Some(shape::<Indicators>)),
    c("POST", "/v1/keys", None, Body::Json(shape::<NewPlatformKey>), 201, Some(shape::<CreatedKey>)),
    c("GET", "/v1/keys", Some(shape::<KeyQuery>), Body::Empty, 200, Some(shape::<KeyList>)),
    c("DELETE", "/v1/keys/{key}", None, Body::Empty, 204, None),
    c("GET", "/v1/audit", Some(shape::<AuditQuery>), Body::Empty, 200, Some(shape::<AuditPage>)),
];

/// `components/schemas`, filled from each type's schema and its `$defs`.
#[derive(Default)]
struct Components {
    schemas: BTreeMap<String, Value>,
    /// Names two different schemas claimed; a test keeps this empty.
    clashes: Vec<String>,
}

impl Components {
    /// Adds a type (and everything it refers to) and returns its schema, with every
    /// reference pointing into `components/schemas`.
    fn add(&mut self, shape: Shape) -> (String, Value) {
        let (name, mut schema) = shape();
        let defs = match schema.as_object_mut() {
            Some(root) => {
                root.remove("$schema");
                // The root's title is its component name; `$defs` entries carry none.
                root.remove("title");
                root.remove("$defs")
            }
            None => None,
        };
        relink(&mut schema, &name);
        if let Some(Value::Object(defs)) = defs {
            for (def, mut s) in defs {
                relink(&mut s, &name);
                self.insert(def, s);
            }
        }
        self.insert(name.clone(), schema.clone());
        (name, schema)
    }

    fn insert(&mut self, name: String, schema: Value) {
        match self.schemas.get(&name) {
            Some(held) if *held != schema => self.clashes.push(name),
            Some(_) => {}
            None => {
                self.schemas.insert(name, schema);
            }
        }
    }

    fn reference(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }
}

/// Points `#/$defs/X` references at `#/components/schemas/X`, and the root's references
/// to itself (`#`) at its own component.
fn relink(value: &mut Value, root: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(target) = v
                {
                    if let Some(rest) = target.strip_prefix("#/$defs/") {
                        *target = format!("#/components/schemas/{rest}");
                    } else if target == "#" {
                        *target = format!("#/components/schemas/{root}");
                    }
                } else {
                    relink(v, root);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| relink(v, root)),
        _ => {}
    }
}

fn who_may_call(permission: Permission) -> String {
    match permission {
        Permission::PlatformAdmin => "Needs a platform-admin key.".to_owned(),
        Permission::AnyKey => "Any live API key may call this.".to_owned(),
        Permission::Council(grant) => {
            let roles: Vec<&str> = grant.roles().iter().map(|r| r.as_str()).collect();
            format!(
                "Needs a key of the council in the path with one of the roles: {} (or a platform-admin key).",
                roles.join(", ")
            )
        }
    }
}

fn path_parameters(route: &str) -> Vec<Value> {
    route
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let description = match name {
                "council" => "The council's id, e.g. `stoke-on-trent`.",
                "participant" => "A participant's id.",
                "action" => "An action's id.",
                "key" => "An API key's id (never its secret).",
                "digest" => "A plugin version's digest.",
                "review" => "A review item's id.",
                "schedule" => "An admin schedule's id.",
                _ => "An id from the path.",
            };
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": description,
                "schema": { "type": "string" },
            })
        })
        .collect()
}

/// One query parameter per property of the query type.
fn query_parameters(schema: &Value) -> Vec<Value> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut p = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": property,
            });
            if let Some(d) = property.get("description") {
                p["description"] = d.clone();
            }
            p
        })
        .collect()
}

fn problem_answer(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/problem+json": { "schema": Components::reference("Problem") },
        },
    })
}

fn operation(
    method: &str,
    route: &str,
    permission: Permission,
    contract: Option<&Contract>,
    components: &mut Components,
) -> Value {
    let mut parameters = path_parameters(route);
    if let Some(query) = contract.and_then(|c| c.query) {
        let (_, schema) = components.add(query);
        parameters.extend(query_parameters(&schema));
    }
    let id: String = format!(
        "{}{}",
        method.to_lowercase(),
        route.trim_start_matches("/v1")
    )
    .chars()
    .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
    .collect::<String>()
    .split('_')
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("_");
    if method == "POST" {
        parameters.push(idempotency_key_parameter());
    }
    let mut op = Map::new();
    op.insert("operationId".into(), json!(id));
    op.insert("description".into(), json!(who_may_call(permission)));
    op.insert("parameters".into(), json!(parameters));

    let mut answers = Map::new();
    match contract {
        Some(c) => {
            let request = match c.body {
                Body::Empty => None,
                Body::Json(shape) => {
                    let (name, _) = components.add(shape);
                    Some(json!({ "application/json": { "schema": Components::reference(&name) } }))
                }
                Body::PluginSettings => Some(json!({
                    "application/json": { "schema": {
                        "type": "object",
                        "description": "The council's settings, validated against the active plugin's settings schema (see `settings_schema` in the plugin's versions).",
                    } }
                })),
                Body::Wasm => Some(json!({
                    "application/wasm": { "schema": {
                        "type": "string",
                        "contentMediaType": "application/wasm",
                        "description": "A policy plugin component, built with `waymark plugin build`.",
                    } }
                })),
            };
            if let Some(content) = request {
                op.insert(
                    "requestBody".into(),
                    json!({ "required": true, "content": content }),
                );
            }
            let answer = match (c.status, c.answer) {
                (204, _) => json!({ "description": "Done; no body." }),
                (_, Some(shape)) => {
                    let (name, _) = components.add(shape);
                    json!({
                        "description": "Success.",
                        "content": { "application/json": { "schema": Components::reference(&name) } },
                    })
                }
                (_, None) => generic_answer(),
            };
            answers.insert(c.status.to_string(), answer);
        }
        None => {
            answers.insert("200".into(), generic_answer());
        }
    }
    answers.insert(
        "401".into(),
        problem_answer("No API key, or a revoked or expired one."),
    );
    answers.insert(
        "403".into(),
        problem_answer("The key's role or council may not use this route."),
    );
    answers.insert(
        "429".into(),
        problem_answer("The key's request rate was exceeded; see `Retry-After`."),
    );
    answers.insert(
        "default".into(),
        problem_answer("Any other refusal, with what to change in `detail`."),
    );
    op.insert("responses".into(), Value::Object(answers));
    Value::Object(op)
}

/// Every POST takes an `Idempotency-Key` (see `api/idempotency.rs`).
fn idempotency_key_parameter() -> Value {
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": format!(
            "Makes the request safe to retry: a retry with the same key and the same request (method, path, query and body) from the same API key within {} hours gets the first successful answer again, marked `Idempotent-Replayed: true`, and nothing runs twice. The same key on a different request is refused with 422 (`idempotency-key-reused`); a malformed key with 400 (`invalid-idempotency-key`). Requests with the same key run one at a time. Refused answers are not kept: fix the request and retry with the same key.",
            crate::store::IDEMPOTENCY_TTL.num_hours()
        ),
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": super::idempotency::MAX_KEY_LEN,
            "pattern": "^[!-~]+$",
        },
    })
}

fn generic_answer() -> Value {
    json!({
        "description": "Success.",
        "content": { "application/json": { "schema": { "type": "object" } } },
    })
}

/// The document and the component names that clashed while building it.
fn build() -> (Value, Vec<String>) {
    let mut components = Components::default();
    components.add(shape::<Problem>);
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for (method, route, permission) in TABLE {
        let contract = CONTRACTS
            .iter()
            .find(|c| c.method == *method && c.route == *route);
        let op = operation(method, route, *permission, contract, &mut components);
        paths
            .entry(route)
            .or_default()
            .insert(method.to_lowercase(), op);
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Waymark",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Waymark admin API: councils, keys, plugins, settings, schedules, webhooks, participants, actions, reviews, audit and data protection. Errors are RFC 9457 problem details.",
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: `Authorization: Bearer <secret>`.",
                },
            },
            "schemas": components.schemas,
        },
    });
    (doc, components.clashes)
}

/// The OpenAPI 3.1 document for every route of the API.
pub fn document() -> Value {
    build().0
}

async fn serve() -> Json<Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(document).clone())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in `value`.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", Value::String(target)) => out.push(target),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let doc = document();
        let text = serde_json::to_string(&doc).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["openapi"], "3.1.0");
        assert_eq!(back["info"]["title"], "Waymark");
        assert_eq!(back["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            back["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn every_route_in_the_table_is_described_with_its_method() {
        let doc = document();
        for (method, route, _) in TABLE {
            let op = &doc["paths"][route][method.to_lowercase()];
            assert!(op.is_object(), "{method} {route} is missing from paths");
            let params = op["parameters"].as_array().unwrap();
            for name in route
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            {
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                    "{method} {route} lacks its path parameter {name}"
                );
            }
            assert_eq!(
                op["responses"]["401"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem"
            );
        }
        let described: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(described, TABLE.len(), "paths describe routes not in TABLE");
    }

    #[test]
    fn every_reference_resolves_inside_the_document() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "too few references: {}", found.len());
        let dangling: Vec<&str> = found
            .into_iter()
            .filter(|r| {
                r.strip_prefix('#')
                    .is_none_or(|pointer| doc.pointer(pointer).is_none())
            })
            .collect();
        assert!(dangling.is_empty(), "dangling references: {dangling:?}");
    }

    #[test]
    fn no_two_types_claim_the_same_component_name() {
        let (_, clashes) = build();
        assert!(
            clashes.is_empty(),
            "types with the same schema name but different schemas: {clashes:?} (rename one with #[schemars(rename = …)])"
        );
    }

    #[test]
    fn every_contract_names_a_route_in_the_table() {
        for c in CONTRACTS {
            assert!(
                TABLE
                    .iter()
                    .any(|(m, r, _)| *m == c.method && *r == c.route),
                "CONTRACTS names {} {}, which is not a route",
                c.method,
                c.route
            );
        }
    }

    #[test]
    fn every_exported_schema_is_a_component_of_the_document() {
        let doc = document();
        let components = doc["components"]["schemas"].as_object().unwrap();
        let missing: Vec<String> = super::super::schemas::all()
            .into_iter()
            .filter_map(|(file, schema)| {
                let title = schema["title"].as_str().unwrap_or_default().to_owned();
                (!components.contains_key(&title)).then(|| format!("{file} ({title})"))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "types in schemas.rs that no route in api/openapi.rs CONTRACTS uses: {missing:?}"
        );
    }

    #[test]
    fn bodies_and_answers_use_the_handlers_types() {
        let doc = document();
        let refer = &doc["paths"]["/v1/councils/{council}/referrals"]["post"];
        assert_eq!(
            refer["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/NewReferral"
        );
        assert_eq!(
            refer["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Referred"
        );
        let actions = &doc["paths"]["/v1/councils/{council}/actions"]["get"];
        let query: Vec<&str> = actions["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            query,
            [
                "after",
                "due_before",
                "due_on",
                "key_worker",
                "limit",
                "status"
            ]
        );
        let header = refer["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["in"] == "header")
            .unwrap();
        assert_eq!(header["name"], "Idempotency-Key");
        assert_eq!(header["schema"]["maxLength"], 255);
        let takes_key = |method: &str, route: &str| {
            doc["paths"][route][method]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Idempotency-Key")
        };
        for (method, route, _) in TABLE {
            assert_eq!(
                takes_key(&method.to_lowercase(), route),
                *method == "POST",
                "{method} {route}"
            );
        }
        let delete = &doc["paths"]["/v1/councils/{council}/webhook"]["delete"];
        assert!(delete["responses"]["204"].is_object());
        assert!(delete["responses"]["204"].get("content").is_none());
    }

    #[test]
    fn a_route_without_a_contract_gets_its_parameters_and_a_generic_answer() {
        let mut components = Components::default();
        let op = operation(
            "GET",
            "/v1/councils/{council}/things/{thing}",
            Permission::AnyKey,
            None,
            &mut components,
        );
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["council", "thing"]);
        assert!(op["responses"]["200"]["content"]["application/json"].is_object());
        assert!(op["responses"]["default"].is_object());
    }
}
