//! The API's OpenAPI 3.1 description, built from the same declarations the server
//! runs on: each operation from its [`Route`] (path, permission, and the Rust types
//! its handler reads and writes, through schemars). Served at `GET /v1/openapi.json`
//! and written to `schemas/openapi.json` by `waymark schemas export` (a test fails
//! when that file drifts).
//!
//! schemars generates JSON Schema draft 2020-12, which OpenAPI 3.1 uses as is: each
//! type's `$defs` move into `components/schemas` and their references follow.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::response::Json;
use serde_json::{Map, Value, json};

use super::permission::Permission::AnyKey;
use super::problem::Problem;
use super::route::{self, Body, Route, Shape};

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

fn operation(route: &Route, components: &mut Components) -> Value {
    let (method, path) = (route.method.as_str(), route.path);
    let mut parameters = path_parameters(path);
    if let Some(query) = route.query {
        let (_, schema) = components.add(query);
        parameters.extend(query_parameters(&schema));
    }
    let id: String = format!(
        "{}{}",
        method.to_lowercase(),
        path.trim_start_matches("/v1")
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
    op.insert("description".into(), json!(route.permission.describe()));
    op.insert("parameters".into(), json!(parameters));

    let request = match route.body {
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
    let answer = match (route.status, route.answer) {
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
    let mut answers = Map::new();
    answers.insert(route.status.to_string(), answer);
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
    components.add(route::shape::<Problem>);
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for route in super::routes() {
        let op = operation(&route, &mut components);
        paths
            .entry(route.path)
            .or_default()
            .insert(route.method.as_str().to_lowercase(), op);
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

pub fn routes() -> Vec<Route> {
    // The API's own description.
    vec![Route::get("/v1/openapi.json", AnyKey, serve)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::declared;

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
    fn every_declared_route_is_described_with_its_method_and_permission() {
        let doc = document();
        let declared = declared();
        for r in declared {
            let (method, route) = (r.method.as_str(), r.path);
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
            assert_eq!(
                op["description"],
                r.permission.describe(),
                "{method} {route}"
            );
        }
        let described: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(
            described,
            declared.len(),
            "paths describe undeclared routes"
        );
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
            "types in schemas.rs that no route's declaration (its module's `routes()`) uses: {missing:?}"
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
        for r in declared() {
            assert_eq!(
                takes_key(&r.method.as_str().to_lowercase(), r.path),
                r.method == axum::http::Method::POST,
                "{} {}",
                r.method,
                r.path
            );
        }
        let delete = &doc["paths"]["/v1/councils/{council}/webhook"]["delete"];
        assert!(delete["responses"]["204"].is_object());
        assert!(delete["responses"]["204"].get("content").is_none());
    }

    #[test]
    fn a_route_declared_without_types_gets_its_parameters_and_a_generic_answer() {
        async fn thing() {}
        let route = Route::get("/v1/councils/{council}/things/{thing}", AnyKey, thing);
        let op = operation(&route, &mut Components::default());
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
