//! A council's settings, checked against its plugin's JSON Schema before they are
//! stored, so a typo is refused at the API with the field named rather than
//! surfacing later as a refused decision in the review queue.

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

/// Compiles a schema, as an upload does to refuse a plugin whose schema is unusable.
pub fn compile(schema: &serde_json::Value) -> Result<jsonschema::Validator, InvalidSettings> {
    jsonschema::validator_for(schema).map_err(|e| InvalidSettings::BadSchema(e.to_string()))
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

    #[test]
    fn an_unusable_schema_is_reported_as_the_plugins_fault() {
        let err = validate_settings(&json!({"type": 12}), &json!({})).unwrap_err();
        assert!(matches!(err, InvalidSettings::BadSchema(_)), "{err:?}");
    }
}
