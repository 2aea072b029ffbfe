//! [`export_policy!`](crate::export_policy) and the glue it calls.
//!
//! The macro defines, in the plugin crate, a hidden type implementing the
//! generated `Guest` trait; every method forwards to a generic function here, so
//! the glue (settings parsing, conversions, error text) is written and tested once,
//! in the SDK, rather than expanded into every plugin.

/// Exports a policy as the plugin's `waymark:policy/policy@1.2.0` interface. Use
/// it once, in the plugin's `lib.rs`, in one of two forms.
///
/// A type implementing [`Policy`](crate::Policy):
///
/// ```ignore
/// waymark_sdk::export_policy!(StokeOnTrent);
/// ```
///
/// Or plain functions, one per hook, each with the hook's signature; the macro
/// declares the named type and its `Policy` implementation (name it in tests,
/// e.g. `run_golden::<MyCouncil>(..)`):
///
/// ```ignore
/// waymark_sdk::export_policy! {
///     pub struct MyCouncil {
///         settings: Settings,
///         eligibility: rules::eligibility,
///         plan: rules::plan,
///         missed_contact: rules::missed_contact,
///         handover: rules::handover,
///     }
/// }
/// ```
///
/// The wasm exports are only emitted when compiling for `wasm32`, so the same crate
/// builds and tests natively.
#[macro_export]
macro_rules! export_policy {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            settings: $settings:ty,
            eligibility: $eligibility:path,
            plan: $plan:path,
            missed_contact: $missed_contact:path,
            handover: $handover:path $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name;

        impl $crate::Policy for $name {
            type Settings = $settings;

            fn eligibility(
                settings: &$settings,
                referral: &$crate::Referral,
                as_of: $crate::Date,
            ) -> ::std::result::Result<$crate::Eligibility, $crate::PolicyError> {
                $eligibility(settings, referral, as_of)
            }

            fn plan(
                settings: &$settings,
                journey: &$crate::Journey,
                as_of: $crate::Date,
            ) -> ::std::result::Result<$crate::Plan, $crate::PolicyError> {
                $plan(settings, journey, as_of)
            }

            fn missed_contact(
                settings: &$settings,
                journey: &$crate::Journey,
                as_of: $crate::Date,
            ) -> ::std::result::Result<$crate::ContactDecision, $crate::PolicyError> {
                $missed_contact(settings, journey, as_of)
            }

            fn handover(
                settings: &$settings,
                journey: &$crate::Journey,
                as_of: $crate::Date,
            ) -> ::std::result::Result<$crate::Handover, $crate::PolicyError> {
                $handover(settings, journey, as_of)
            }
        }

        $crate::export_policy!($name);
    };
    ($policy:ty) => {
        const _: () = {
            /// The component's exports, forwarding to the policy.
            #[allow(dead_code)] // never constructed: the exports call it by type
            struct WaymarkPolicyExport;

            impl $crate::__private::Guest for WaymarkPolicyExport {
                fn settings_schema() -> ::std::string::String {
                    $crate::__private::settings_schema::<$policy>()
                }

                fn eligibility(
                    settings: ::std::string::String,
                    referral: $crate::__private::wit::Referral,
                    as_of: $crate::__private::wit::Date,
                    calendar: $crate::__private::wit::WorkingDays,
                ) -> ::std::result::Result<
                    $crate::__private::wit::Eligibility,
                    ::std::string::String,
                > {
                    $crate::__private::eligibility::<$policy>(settings, referral, as_of, calendar)
                }

                fn plan(
                    settings: ::std::string::String,
                    journey: $crate::__private::wit::Journey,
                    as_of: $crate::__private::wit::Date,
                    calendar: $crate::__private::wit::WorkingDays,
                ) -> ::std::result::Result<$crate::__private::wit::Plan, ::std::string::String>
                {
                    $crate::__private::plan::<$policy>(settings, journey, as_of, calendar)
                }

                fn missed_contact(
                    settings: ::std::string::String,
                    journey: $crate::__private::wit::Journey,
                    as_of: $crate::__private::wit::Date,
                    calendar: $crate::__private::wit::WorkingDays,
                ) -> ::std::result::Result<
                    $crate::__private::wit::ContactDecision,
                    ::std::string::String,
                > {
                    $crate::__private::missed_contact::<$policy>(settings, journey, as_of, calendar)
                }

                fn handover(
                    settings: ::std::string::String,
                    journey: $crate::__private::wit::Journey,
                    as_of: $crate::__private::wit::Date,
                    calendar: $crate::__private::wit::WorkingDays,
                ) -> ::std::result::Result<$crate::__private::wit::Handover, ::std::string::String>
                {
                    $crate::__private::handover::<$policy>(settings, journey, as_of, calendar)
                }
            }

            #[cfg(target_arch = "wasm32")]
            $crate::bindings::export_council_policy!(
                WaymarkPolicyExport with_types_in $crate::bindings
            );
        };
    };
}

#[doc(hidden)]
pub mod __private {
    //! Called by [`export_policy!`](crate::export_policy) only. Not API.

    use serde::de::DeserializeOwned;
    use serde_json::{Map, Value};

    pub use crate::bindings::exports::waymark::policy::policy::Guest;
    pub use crate::bindings::waymark::policy::types as wit;
    use crate::calendar::Window;
    use crate::convert::date_from_wit;
    use crate::{Journey, Policy, Referral};

    /// The JSON Schema of the policy's settings, as JSON text.
    pub fn settings_schema<P: Policy>() -> String {
        schemars::schema_for!(P::Settings).as_value().to_string()
    }

    pub fn eligibility<P: Policy>(
        settings: String,
        referral: wit::Referral,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Eligibility, String> {
        started();
        let _window = Window::hand_over(calendar);
        let settings = settings_from_json::<P::Settings>(&settings)?;
        let as_of = as_of_date(as_of)?;
        P::eligibility(&settings, &Referral::from(referral), as_of)
            .map(Into::into)
            .map_err(|e| e.to_string())
    }

    pub fn plan<P: Policy>(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Plan, String> {
        started();
        let _window = Window::hand_over(calendar);
        let settings = settings_from_json::<P::Settings>(&settings)?;
        let as_of = as_of_date(as_of)?;
        let journey = journey_from_wit(journey)?;
        P::plan(&settings, &journey, as_of)
            .map(Into::into)
            .map_err(|e| e.to_string())
    }

    pub fn missed_contact<P: Policy>(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::ContactDecision, String> {
        started();
        let _window = Window::hand_over(calendar);
        let settings = settings_from_json::<P::Settings>(&settings)?;
        let as_of = as_of_date(as_of)?;
        let journey = journey_from_wit(journey)?;
        P::missed_contact(&settings, &journey, as_of)
            .map(Into::into)
            .map_err(|e| e.to_string())
    }

    pub fn handover<P: Policy>(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Handover, String> {
        started();
        let _window = Window::hand_over(calendar);
        let settings = settings_from_json::<P::Settings>(&settings)?;
        let as_of = as_of_date(as_of)?;
        let journey = journey_from_wit(journey)?;
        P::handover(&settings, &journey, as_of)
            .map(Into::into)
            .map_err(|e| e.to_string())
    }

    fn as_of_date(date: wit::Date) -> Result<crate::Date, String> {
        date_from_wit(date).map_err(|e| format!("the as-of {e}"))
    }

    fn journey_from_wit(journey: wit::Journey) -> Result<Journey, String> {
        Journey::try_from(journey).map_err(|e| format!("the journey's {e}"))
    }

    /// Parses the council's settings. No settings (an empty string, `null` or `{}`)
    /// means the defaults. A bad value is named by its setting, because serde's
    /// own message ("invalid type: string, expected u32") does not say which field
    /// an administrator has to fix.
    pub(crate) fn settings_from_json<S: DeserializeOwned + Default>(
        text: &str,
    ) -> Result<S, String> {
        let text = text.trim();
        if text.is_empty() || text == "null" || is_empty_object(text) {
            return Ok(S::default());
        }
        // Every decision parses the settings afresh (each runs in a fresh sandbox), so
        // the common case goes straight into the settings type, with no JSON tree in
        // between; only settings that fail are parsed again to say why.
        if let Ok(settings) = serde_json::from_str::<S>(text) {
            return Ok(settings);
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("the settings are not valid JSON: {e}"))?;
        let fields = match &value {
            Value::Null => return Ok(S::default()),
            Value::Object(fields) if fields.is_empty() => return Ok(S::default()),
            Value::Object(fields) => fields,
            other => {
                return Err(format!(
                    "the settings must be a JSON object of named settings, not {}",
                    json_kind(other)
                ));
            }
        };
        S::deserialize(&value).map_err(|whole| {
            // Settings have a default for every field, so each setting on its own
            // deserializes unless it is the bad one: the first that fails is named.
            let blamed = fields.iter().find_map(|(name, v)| {
                let alone = Value::Object(Map::from_iter([(name.clone(), v.clone())]));
                S::deserialize(&alone)
                    .err()
                    .map(|e| format!("invalid setting `{name}`: {e}"))
            });
            blamed.unwrap_or_else(|| format!("invalid settings: {whole}"))
        })
    }

    /// `{}`, with any whitespace inside.
    fn is_empty_object(text: &str) -> bool {
        text.strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
            .is_some_and(|inside| inside.trim().is_empty())
    }

    fn json_kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// Runs at the start of every hook. In the sandbox, a panic aborts the plugin
    /// (the `plugin` profile has `panic = "abort"`) and the host records a trap;
    /// logging the panic message first means the recorded log says why.
    fn started() {
        #[cfg(target_arch = "wasm32")]
        {
            static HOOK: std::sync::Once = std::sync::Once::new();
            HOOK.call_once(|| {
                std::panic::set_hook(Box::new(|info| {
                    crate::calendar::log(&format!("the plugin panicked: {info}"));
                }));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::Deserialize;

    use super::__private::settings_from_json;
    use crate::testing::{date, run_golden};
    use crate::{
        ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy,
        PolicyError, Reason, Referral,
    };

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Settings {
        review_every_weeks: u32,
        districts: Vec<String>,
    }

    impl Default for Settings {
        fn default() -> Self {
            Settings {
                review_every_weeks: 4,
                districts: vec!["ST4".to_owned()],
            }
        }
    }

    #[test]
    fn no_settings_mean_the_defaults() {
        for text in ["", "  ", "null", "{}", " { } "] {
            assert_eq!(
                settings_from_json::<Settings>(text),
                Ok(Settings::default()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_partial_object_keeps_the_other_defaults() {
        let s: Settings = settings_from_json(r#"{"review_every_weeks": 2}"#).expect("valid");
        assert_eq!(s.review_every_weeks, 2);
        assert_eq!(s.districts, vec!["ST4".to_owned()]);
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        let err = settings_from_json::<Settings>(
            r#"{"districts": ["ST1"], "review_every_weeks": "four"}"#,
        )
        .unwrap_err();
        assert!(
            err.starts_with("invalid setting `review_every_weeks`:"),
            "{err}"
        );
    }

    #[test]
    fn a_misspelt_setting_is_named() {
        let err = settings_from_json::<Settings>(r#"{"reveiw_every_weeks": 2}"#).unwrap_err();
        assert!(err.contains("`reveiw_every_weeks`"), "{err}");
    }

    #[test]
    fn settings_that_are_not_an_object_are_refused() {
        let err = settings_from_json::<Settings>("[1, 2]").unwrap_err();
        assert!(err.contains("not an array"), "{err}");
        let err = settings_from_json::<Settings>("{").unwrap_err();
        assert!(err.starts_with("the settings are not valid JSON"), "{err}");
    }

    /// Hooks written as plain functions, exported with the function form.
    mod rules {
        use super::*;

        pub fn eligibility(
            s: &Settings,
            r: &Referral,
            _: Date,
        ) -> Result<Eligibility, PolicyError> {
            let why = Reason::new("age.minimum", "18 or over");
            if r.age >= 18 + s.review_every_weeks {
                Ok(Eligibility::accept([why]))
            } else {
                Ok(Eligibility::decline([why], "Elsewhere"))
            }
        }

        pub fn plan(_: &Settings, _: &Journey, _: Date) -> Result<Plan, PolicyError> {
            Ok(Plan::nothing([Reason::new("plan.none", "Nothing to plan")]))
        }

        pub fn missed_contact(
            _: &Settings,
            _: &Journey,
            _: Date,
        ) -> Result<ContactDecision, PolicyError> {
            Err(PolicyError::new("not decided here"))
        }

        pub fn handover(_: &Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
            Ok(Handover::new(
                Destination::Jobcentre,
                [],
                [Reason::new("handover.destination", "Jobcentre")],
            ))
        }
    }

    crate::export_policy! {
        /// A policy made of plain functions.
        struct FromFunctions {
            settings: Settings,
            eligibility: rules::eligibility,
            plan: rules::plan,
            missed_contact: rules::missed_contact,
            handover: rules::handover,
        }
    }

    #[test]
    fn a_policy_exported_from_plain_functions_decides_through_the_glue() {
        // Settings reach the function: 18 + 4 weeks' worth of "extra years".
        let e = FromFunctions::eligibility(
            &Settings::default(),
            &Referral::example(),
            date("2026-01-05"),
        )
        .expect("decides");
        assert_eq!(e.outcome, crate::Outcome::Accept);
        let golden = r#"[{"name": "a 20-year-old is too young with the default settings",
            "hook": "eligibility", "as_of": "2026-01-05",
            "input": {"route": "self", "age": 20, "postcode_district": "ST4", "in_work": false,
                      "on_universal_credit": false, "known_to_health_services": false,
                      "on_other_programme": false, "cohorts": []},
            "expect": {"outcome": "decline", "rules": ["age.minimum"]}}]"#;
        run_golden::<FromFunctions>(golden).expect("the golden case holds");
    }
}
