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
//!
//! A check runs on a blocking thread and stops early, through a [`CheckStop`], when
//! its HTTP client hangs up or it passes [`MAX_CHECK_TIME`]: the host adds a
//! checkpoint keyword to every subschema, so the validator looks at the stop at each
//! one it enters.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonschema::PatternOptions;
use serde_json::Value;

/// The most subschemas a settings schema may have with every `$ref` expanded.
/// A plugin's generated settings schema has tens to a few hundred.
pub const MAX_SCHEMA_EXPANSION: usize = 10_000;

/// How deep a settings schema may nest, counting each `$ref` followed as a level.
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// The most a compiled `pattern` (and its lazy DFA cache) may take, in bytes.
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The most time one settings check may take: a safety net far past what settings
/// of a usual size take against a schema within the bounds above (milliseconds).
pub const MAX_CHECK_TIME: Duration = Duration::from_secs(10);

/// The keyword the host adds to every subschema it compiles for a check (never seen
/// by plugins or stored): each time the validator enters a subschema it looks at the
/// check's [`CheckStop`].
const CHECKPOINT: &str = "$waymark-checkpoint";

/// How many checkpoints pass between two looks at the clock.
const CLOCK_EVERY: u64 = 1024;

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
    #[error(
        "checking the settings against the plugin's settings schema took longer than {}s (the \
         most a check may take); send smaller settings, or simplify settings-schema in the plugin",
        MAX_CHECK_TIME.as_secs()
    )]
    TooSlow,
    #[error("the settings check was stopped: whoever asked for it has gone")]
    Abandoned,
}

/// Tells a settings check to stop before it is done: when whoever asked has gone
/// ([`CheckStop::abandon_on_drop`]) or past [`MAX_CHECK_TIME`].
#[derive(Clone, Debug)]
pub struct CheckStop {
    abandoned: Arc<AtomicBool>,
    deadline: Instant,
    /// Checkpoints passed, for the clock and the log line saying where it stopped.
    passed: Arc<AtomicU64>,
}

impl Default for CheckStop {
    fn default() -> Self {
        CheckStop::within(MAX_CHECK_TIME)
    }
}

/// Abandons its check when dropped. An HTTP handler holds one across the await: axum
/// drops the handler's future when the client hangs up, and the check stops too.
#[must_use = "the check is abandoned as soon as this is dropped"]
pub struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl CheckStop {
    /// A stop that ends the check after `time`.
    pub fn within(time: Duration) -> CheckStop {
        CheckStop {
            abandoned: Arc::default(),
            deadline: Instant::now() + time,
            passed: Arc::default(),
        }
    }

    /// A guard that abandons this check when dropped (a finished check ignores it).
    pub fn abandon_on_drop(&self) -> AbandonOnDrop {
        AbandonOnDrop(self.abandoned.clone())
    }

    /// Why the check must stop now, if it must. Looks at the clock every
    /// [`CLOCK_EVERY`] checkpoints only (and at every call outside the validator).
    fn reason(&self, checkpoint: bool) -> Option<InvalidSettings> {
        if self.abandoned.load(Ordering::Relaxed) {
            return Some(InvalidSettings::Abandoned);
        }
        let passed = if checkpoint {
            self.passed.fetch_add(1, Ordering::Relaxed)
        } else {
            0
        };
        (passed % CLOCK_EVERY == 0 && Instant::now() >= self.deadline)
            .then_some(InvalidSettings::TooSlow)
    }
}

/// The keyword behind [`CHECKPOINT`]: valid unless the check must stop.
struct Checkpoint(CheckStop);

impl<'i> jsonschema::Keyword<'i> for Checkpoint {
    fn validate(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if jsonschema::Keyword::is_valid(self, instance) {
            Ok(())
        } else {
            Err(jsonschema::ValidationError::custom("the check was stopped"))
        }
    }

    fn is_valid(&self, _: &'i Value) -> bool {
        self.0.reason(true).is_none()
    }
}

/// Checks `settings` against `schema`, listing every problem, unless `stop` ends the
/// check first (logged, with how far it got: the caller may be gone).
pub fn validate_settings(
    schema: &serde_json::Value,
    settings: &serde_json::Value,
    stop: &CheckStop,
) -> Result<(), InvalidSettings> {
    let checked = check(schema, settings, stop);
    if let Err(e @ (InvalidSettings::Abandoned | InvalidSettings::TooSlow)) = &checked {
        tracing::info!(
            checkpoints = stop.passed.load(Ordering::Relaxed),
            "settings check stopped before it was done: {e}"
        );
    }
    checked
}

fn check(
    schema: &serde_json::Value,
    settings: &serde_json::Value,
    stop: &CheckStop,
) -> Result<(), InvalidSettings> {
    let stopped = || stop.reason(false).map_or(Ok(()), Err);
    stopped()?;
    compile(schema)?;
    stopped()?;
    let mut instrumented = schema.clone();
    add_checkpoints(&mut instrumented);
    let checkpoint = stop.clone();
    let validator = options()
        .with_keyword(CHECKPOINT, move |_, _, _| {
            Ok(Box::new(Checkpoint(checkpoint.clone())))
        })
        .build(&instrumented)
        .map_err(|e| InvalidSettings::BadSchema(excerpt(&e.to_string())))?;
    // Most settings fit: the quick yes/no first (it stops at the first problem, and
    // at the first checkpoint once stopped), then the problems, one by one.
    let fits = validator.is_valid(settings);
    stopped()?;
    if fits {
        return Ok(());
    }
    let mut problems = Vec::new();
    for error in validator.iter_errors(settings) {
        stopped()?;
        let path = error.instance_path().to_string();
        let field = if path.is_empty() {
            "the settings object".to_owned()
        } else {
            format!("`{path}`")
        };
        problems.push(format!("{field}: {error}"));
    }
    stopped()?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidSettings::Mismatch(problems))
    }
}

/// Adds the [`CHECKPOINT`] keyword to every subschema of a vetted schema (the same
/// places [`Vetting::size`] walks; a boolean schema does no work to stop).
fn add_checkpoints(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    for (keyword, value) in map.iter_mut() {
        match (keyword.as_str(), value) {
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
                value @ Value::Object(_),
            ) => add_checkpoints(value),
            ("allOf" | "anyOf" | "oneOf" | "prefixItems" | "items", Value::Array(items)) => {
                items.iter_mut().for_each(add_checkpoints);
            }
            (
                "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas"
                | "dependencies",
                Value::Object(named),
            ) => named
                .values_mut()
                .filter(|v| !v.is_array())
                .for_each(add_checkpoints),
            _ => {}
        }
    }
    map.insert(CHECKPOINT.to_owned(), Value::Bool(true));
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
        assert_eq!(
            validate_settings(&schema(), &json!({}), &CheckStop::default()),
            Ok(())
        );
        assert_eq!(
            validate_settings(
                &schema(),
                &json!({"review_weeks": 2}),
                &CheckStop::default()
            ),
            Ok(())
        );
    }

    #[test]
    fn each_problem_names_its_field() {
        let err = validate_settings(
            &schema(),
            &json!({"review_weeks": "four", "postcode_districts": ["ST4", 5]}),
            &CheckStop::default(),
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
        let text = validate_settings(
            &schema(),
            &json!({"review_wekes": 2}),
            &CheckStop::default(),
        )
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
        assert_eq!(
            validate_settings(&validation_bomb(4), &json!("x"), &CheckStop::default()),
            Ok(())
        );
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
        assert!(validate_settings(&schema, &json!({ "x": long }), &CheckStop::default()).is_err());
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
            validate_settings(
                &schema,
                &json!({ "$ref": "x", "id": 1 }),
                &CheckStop::default()
            ),
            Ok(())
        );
    }

    /// Within the bounds but slow for large settings: each item of `items` walks the
    /// nine-level bomb (about 2,000 subschemas).
    fn slow_schema() -> serde_json::Value {
        let mut schema = validation_bomb(9);
        let defs = schema["$defs"].take();
        json!({
            "type": "object",
            "$defs": defs,
            "properties": { "items": { "type": "array", "items": { "$ref": "#/$defs/e0" } } }
        })
    }

    #[test]
    fn a_check_stops_when_its_caller_has_gone_or_its_time_is_up() {
        let schema = slow_schema();
        compile(&schema).expect("within the bounds");
        let items = 20_000;
        let settings = json!({ "items": vec!["x"; items] });

        // Abandoned before it starts: no subschema is entered.
        let stop = CheckStop::default();
        drop(stop.abandon_on_drop());
        assert_eq!(
            validate_settings(&schema, &settings, &stop),
            Err(InvalidSettings::Abandoned)
        );
        assert_eq!(stop.passed.load(Ordering::Relaxed), 0);

        // Out of time part-way: it stops at a checkpoint, long before the end.
        let stop = CheckStop::within(Duration::from_millis(20));
        let err = validate_settings(&schema, &settings, &stop).expect_err("stopped");
        assert_eq!(err, InvalidSettings::TooSlow);
        let passed = stop.passed.load(Ordering::Relaxed);
        assert!(passed > 0 && passed < (items * 1000) as u64, "{passed}");
        let text = err.to_string();
        assert!(text.contains("longer than 10s"), "{text}");
        assert!(text.contains("send smaller settings"), "{text}");

        // Unhindered, the checkpoints change nothing: the same settings fit, a bad
        // item is named.
        assert_eq!(
            validate_settings(
                &schema,
                &json!({ "items": ["x", "y"] }),
                &CheckStop::default()
            ),
            Ok(())
        );
        let err = validate_settings(
            &schema,
            &json!({ "items": ["x", 5] }),
            &CheckStop::default(),
        )
        .expect_err("refused");
        assert!(err.to_string().contains("`/items/1`"), "{err}");
    }

    #[test]
    fn an_unusable_schema_is_reported_as_the_plugins_fault() {
        let err =
            validate_settings(&json!({"type": 12}), &json!({}), &CheckStop::default()).unwrap_err();
        assert!(matches!(err, InvalidSettings::BadSchema(_)), "{err:?}");
    }
}
