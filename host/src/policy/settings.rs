//! A council's settings, checked against its plugin's JSON Schema before they are
//! stored, so a typo is refused at the API with the field named rather than
//! surfacing later as a refused decision in the review queue.
//!
//! The schema is the plugin's, so it is untrusted input to the validator. Before a
//! schema is compiled, [`vet`] holds it to what bounds the validator's work: only
//! references inside the schema (`#/…`: nothing fetched, no files), no reference
//! cycles, at most [`MAX_SCHEMA_EXPANSION`] subschemas once every `$ref` is expanded
//! (each entry `allOf` two references to the next doubles the work per entry), and
//! nesting at most [`MAX_SCHEMA_DEPTH`] deep. Patterns are compiled by the linear-time
//! `regex` engine, never a backtracking one: a pattern it does not accept (look-around,
//! back-references) is refused rather than run. Validating a value then costs at most
//! the expansion times the value's size. Uploads are vetted; so is every later use,
//! for versions stored before these checks.

use std::collections::{HashMap, HashSet};

use jsonschema::PatternOptions;
use serde_json::Value;

/// The most subschemas a settings schema may have with every `$ref` expanded.
/// A plugin's generated settings schema has tens to a few hundred.
pub const MAX_SCHEMA_EXPANSION: usize = 10_000;

/// How deep a settings schema may nest, counting each `$ref` followed as a level.
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// The most a compiled `pattern` (and its lazy DFA cache) may take, in bytes.
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// Why settings were refused: each problem names the field (a JSON Pointer) and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    #[error("the settings do not fit the plugin's settings schema: {}", .0.join("; "))]
    Mismatch(Vec<String>),
    #[error(
        "the plugin's settings schema is not a usable JSON Schema ({0}); fix settings-schema in the plugin"
    )]
    BadSchema(String),
    #[error(
        "the plugin's settings schema {0}; simplify settings-schema in the plugin so its settings \
         can be checked in bounded time"
    )]
    Unbounded(String),
}

/// Checks `settings` against `schema`, listing every problem.
pub fn validate_settings(
    schema: &serde_json::Value,
    settings: &serde_json::Value,
) -> Result<(), InvalidSettings> {
    let validator = compile(schema)?;
    let problems: Vec<String> = validator
        .iter_errors(settings)
        .map(|error| {
            let path = error.instance_path().to_string();
            let field = if path.is_empty() {
                "the settings object".to_owned()
            } else {
                format!("`{path}`")
            };
            format!("{field}: {error}")
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidSettings::Mismatch(problems))
    }
}

/// Vets and compiles a schema, as an upload does to refuse a plugin whose schema is
/// unusable or unbounded.
pub fn compile(schema: &serde_json::Value) -> Result<jsonschema::Validator, InvalidSettings> {
    vet(schema).map_err(InvalidSettings::Unbounded)?;
    options().build(schema).map_err(|e| {
        // Name the pattern the linear engine refused, if that is what failed.
        match patterns(schema).into_iter().find(|p| !linear(p)) {
            Some(pattern) => InvalidSettings::Unbounded(format!(
                "has the pattern {:?}, which the linear-time regex engine does not accept \
                 (look-around and back-references are not allowed in a settings schema)",
                excerpt(pattern)
            )),
            None => InvalidSettings::BadSchema(excerpt(&e.to_string())),
        }
    })
}

/// The validator's options: nothing fetched, and patterns on the linear-time engine
/// with a size cap.
fn options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options().offline().with_pattern_options(
        PatternOptions::regex()
            .size_limit(MAX_PATTERN_BYTES)
            .dfa_size_limit(MAX_PATTERN_BYTES),
    )
}

/// Whether the linear engine compiles `pattern`, alone in a schema.
fn linear(pattern: &str) -> bool {
    options()
        .build(&serde_json::json!({ "pattern": pattern }))
        .is_ok()
}

/// At most 200 characters of `text`, cut on a character boundary.
fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Holds a schema to the bounds in the module doc; `Err` says which it breaks.
pub fn vet(schema: &Value) -> Result<(), String> {
    let mut vetting = Vetting {
        root: schema,
        expanded: HashMap::new(),
        following: HashSet::new(),
    };
    let size = vetting.size(schema, 0)?;
    if size > MAX_SCHEMA_EXPANSION {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> String {
    format!(
        "expands to more than {MAX_SCHEMA_EXPANSION} subschemas once its `$ref`s are followed \
         (the most a settings schema may have)"
    )
}

/// Every `pattern` and `patternProperties` key in a schema, wherever it sits.
fn patterns(schema: &Value) -> Vec<&str> {
    let mut found = Vec::new();
    let mut stack = vec![schema];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("pattern", Value::String(p)) => found.push(p.as_str()),
                        ("patternProperties", Value::Object(ps)) => {
                            found.extend(ps.keys().map(String::as_str));
                        }
                        _ => {}
                    }
                    stack.push(v);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// The walk behind [`vet`]: each subschema's size with its references expanded.
struct Vetting<'a> {
    root: &'a Value,
    /// Expanded sizes of the references already followed, by JSON Pointer.
    expanded: HashMap<&'a str, usize>,
    /// The references being followed now: meeting one again is a cycle.
    following: HashSet<&'a str>,
}

impl<'a> Vetting<'a> {
    fn size(&mut self, schema: &'a Value, depth: usize) -> Result<usize, String> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(format!(
                "nests more than {MAX_SCHEMA_DEPTH} levels deep, counting each `$ref` followed \
                 (the most a settings schema may)"
            ));
        }
        let Value::Object(map) = schema else {
            return Ok(1); // `true`, `false`
        };
        let mut total: usize = 1;
        for (keyword, value) in map {
            let part = match (keyword.as_str(), value) {
                ("$ref", Value::String(reference)) => self.reference(reference, depth)?,
                ("$ref", _) => return Err("has a `$ref` that is not a string".to_owned()),
                ("$dynamicRef" | "$recursiveRef" | "$anchor" | "$dynamicAnchor", _) => {
                    return Err(format!(
                        "uses `{keyword}`; a settings schema may refer only with `$ref` to a \
                         JSON Pointer inside itself (`#/$defs/…`)"
                    ));
                }
                ("$id" | "id", _) if depth > 0 && value.is_string() => {
                    return Err(format!(
                        "has an `{keyword}` inside it; a settings schema is one document, with \
                         `$ref`s inside it only"
                    ));
                }
                (
                    "not"
                    | "if"
                    | "then"
                    | "else"
                    | "additionalItems"
                    | "additionalProperties"
                    | "contains"
                    | "propertyNames"
                    | "unevaluatedItems"
                    | "unevaluatedProperties"
                    | "contentSchema"
                    | "items",
                    Value::Object(_) | Value::Bool(_),
                ) => self.size(value, depth + 1)?,
                ("allOf" | "anyOf" | "oneOf" | "prefixItems" | "items", Value::Array(items)) => {
                    self.all(items.iter(), depth)?
                }
                (
                    "properties" | "patternProperties" | "$defs" | "definitions"
                    | "dependentSchemas" | "dependencies",
                    Value::Object(named),
                ) => self.all(named.values().filter(|v| !v.is_array()), depth)?,
                _ => 0,
            };
            total = total.saturating_add(part);
            if total > MAX_SCHEMA_EXPANSION {
                return Err(too_large());
            }
        }
        Ok(total)
    }

    fn all(
        &mut self,
        schemas: impl Iterator<Item = &'a Value>,
        depth: usize,
    ) -> Result<usize, String> {
        let mut total: usize = 0;
        for schema in schemas {
            total = total.saturating_add(self.size(schema, depth + 1)?);
            if total > MAX_SCHEMA_EXPANSION {
                return Err(too_large());
            }
        }
        Ok(total)
    }

    /// The expanded size of what `reference` points at (counted again at every use:
    /// the validator does that work at every use).
    fn reference(&mut self, reference: &'a str, depth: usize) -> Result<usize, String> {
        let pointer = match reference.strip_prefix('#') {
            Some(p) if p.is_empty() || p.starts_with('/') => p,
            _ => {
                return Err(format!(
                    "has the reference {:?}; a settings schema may refer only to a JSON Pointer \
                     inside itself (`#/$defs/…`): nothing remote, no files",
                    excerpt(reference)
                ));
            }
        };
        if let Some(&size) = self.expanded.get(pointer) {
            return Ok(size);
        }
        if !self.following.insert(pointer) {
            return Err(format!(
                "refers to {:?} from inside itself; a settings schema may not be recursive",
                excerpt(reference)
            ));
        }
        let target = self.root.pointer(pointer).ok_or_else(|| {
            format!(
                "has the reference {:?}, which points at nothing in the schema",
                excerpt(reference)
            )
        })?;
        let size = self.size(target, depth + 1)?;
        self.following.remove(pointer);
        self.expanded.insert(pointer, size);
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> serde_json::Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "review_weeks": { "type": "integer", "minimum": 1 },
                "postcode_districts": { "type": "array", "items": { "type": "string" } }
            }
        })
    }

    #[test]
    fn valid_settings_pass() {
        assert_eq!(validate_settings(&schema(), &json!({})), Ok(()));
        assert_eq!(
            validate_settings(&schema(), &json!({"review_weeks": 2})),
            Ok(())
        );
    }

    #[test]
    fn each_problem_names_its_field() {
        let err = validate_settings(
            &schema(),
            &json!({"review_weeks": "four", "postcode_districts": ["ST4", 5]}),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`/review_weeks`: \"four\" is not of type"),
            "{text}"
        );
        assert!(
            text.contains("`/postcode_districts/1`: 5 is not of type"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_setting_is_named() {
        let text = validate_settings(&schema(), &json!({"review_wekes": 2}))
            .unwrap_err()
            .to_string();
        assert!(text.contains("the settings object:"), "{text}");
        assert!(text.contains("review_wekes"), "{text}");
    }

    /// Entries `e0` … `e27`, each `allOf` two references to the next: validating
    /// one value walks 2^28 subschemas.
    fn validation_bomb(entries: usize) -> serde_json::Value {
        let mut defs = serde_json::Map::new();
        for i in 0..entries {
            let next = format!("#/$defs/e{}", i + 1);
            defs.insert(
                format!("e{i}"),
                json!({ "allOf": [{ "$ref": next }, { "$ref": next }] }),
            );
        }
        defs.insert(format!("e{entries}"), json!({ "type": "string" }));
        json!({ "$defs": defs, "$ref": "#/$defs/e0" })
    }

    #[test]
    fn a_validation_bomb_is_refused_naming_the_bound() {
        let started = std::time::Instant::now();
        let err = compile(&validation_bomb(28)).expect_err("refused");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let InvalidSettings::Unbounded(why) = &err else {
            panic!("{err:?}");
        };
        assert!(why.contains("more than 10000 subschemas"), "{why}");
        // A few levels of the same shape are fine, and validate.
        assert_eq!(validate_settings(&validation_bomb(4), &json!("x")), Ok(()));
    }

    #[test]
    fn a_backtracking_pattern_is_refused_and_a_linear_one_kept() {
        for pattern in ["^(a+)+(?=b)", "^(a|aa)+\\1$", "(?<!x)y"] {
            let schema = json!({
                "type": "object",
                "properties": { "name": { "type": "string", "pattern": pattern } }
            });
            let err = compile(&schema).expect_err("refused");
            assert!(
                err.to_string()
                    .contains("linear-time regex engine does not accept"),
                "{pattern}: {err}"
            );
        }
        // Nested quantifiers the linear engine runs in linear time stay allowed.
        let schema = json!({ "properties": { "x": { "pattern": "^(a+)+$" } } });
        let started = std::time::Instant::now();
        let long = format!("{}b", "a".repeat(50_000));
        assert!(validate_settings(&schema, &json!({ "x": long })).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn remote_file_and_cyclic_references_are_refused() {
        for (schema, why) in [
            (
                json!({ "$ref": "https://example.com/s.json" }),
                "nothing remote",
            ),
            (json!({ "$ref": "file:///etc/passwd" }), "nothing remote"),
            (json!({ "$ref": "#anchor" }), "nothing remote"),
            (json!({ "$ref": "#/$defs/missing" }), "points at nothing"),
            (
                json!({ "$defs": { "a": { "items": { "$ref": "#/$defs/a" } } }, "$ref": "#/$defs/a" }),
                "may not be recursive",
            ),
            (json!({ "$dynamicRef": "#meta" }), "`$dynamicRef`"),
        ] {
            let err = compile(&schema).expect_err("refused");
            assert!(err.to_string().contains(why), "{schema}: {err}");
        }
    }

    #[test]
    fn a_schema_nested_past_the_depth_bound_is_refused() {
        let mut schema = json!({ "type": "string" });
        for _ in 0..(MAX_SCHEMA_DEPTH + 1) {
            schema = json!({ "not": schema });
        }
        let err = compile(&schema).expect_err("refused");
        assert!(err.to_string().contains("more than 64 levels"), "{err}");
    }

    #[test]
    fn a_property_named_like_a_keyword_is_just_a_name() {
        let schema = json!({
            "type": "object",
            "properties": { "$ref": { "type": "string" }, "id": { "type": "integer" } }
        });
        assert_eq!(
            validate_settings(&schema, &json!({ "$ref": "x", "id": 1 })),
            Ok(())
        );
    }

    #[test]
    fn an_unusable_schema_is_reported_as_the_plugins_fault() {
        let err = validate_settings(&json!({"type": 12}), &json!({})).unwrap_err();
        assert!(matches!(err, InvalidSettings::BadSchema(_)), "{err:?}");
    }
}
