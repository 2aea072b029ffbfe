//! A policy plugin for the host's tests whose settings schema is within the host's
//! bounds but slow to check large settings against: each item of the `items` setting
//! is checked against nine levels of `allOf` two `$ref`s to the next (about 2,000
//! subschemas), so a megabyte of items takes many seconds. The host must stop such a
//! check when its client hangs up. Its hooks decide normally.

use waymark_sdk::__private::{self as glue, Guest, wit};
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral,
};

/// How many levels the items' schema chains.
pub const LEVELS: usize = 9;

/// The schema, as JSON text.
pub fn schema() -> String {
    let mut defs = serde_json::Map::new();
    for i in 0..LEVELS {
        let next = format!("#/$defs/e{}", i + 1);
        defs.insert(
            format!("e{i}"),
            serde_json::json!({ "allOf": [{ "$ref": next }, { "$ref": next }] }),
        );
    }
    defs.insert(
        format!("e{LEVELS}"),
        serde_json::json!({ "type": "string" }),
    );
    serde_json::json!({
        "type": "object",
        "$defs": defs,
        "properties": { "items": { "type": "array", "items": { "$ref": "#/$defs/e0" } } }
    })
    .to_string()
}

pub struct Slow;

fn reason() -> Reason {
    Reason::new("slow.schema", "A test plugin")
}

impl Policy for Slow {
    type Settings = serde_json::Value;

    fn eligibility(_: &Self::Settings, _: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        Ok(Eligibility::accept([reason()]))
    }

    fn plan(_: &Self::Settings, _: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        Ok(Plan::after(as_of)
            .reason("slow.schema", "Plans nothing")
            .build())
    }

    fn missed_contact(
        _: &Self::Settings,
        _: &Journey,
        _: Date,
    ) -> Result<ContactDecision, PolicyError> {
        Ok(ContactDecision::disengaged_exit([reason()]))
    }

    fn handover(_: &Self::Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
        Ok(Handover::new(Destination::Jobcentre, [], [reason()]))
    }
}

/// The SDK's glue, but for `settings-schema`, which answers the slow schema.
#[allow(dead_code)] // never constructed: the exports call it by type
struct Exports;

impl Guest for Exports {
    fn settings_schema() -> String {
        schema()
    }

    fn eligibility(
        settings: String,
        referral: wit::Referral,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Eligibility, String> {
        glue::eligibility::<Slow>(settings, referral, as_of, calendar)
    }

    fn plan(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Plan, String> {
        glue::plan::<Slow>(settings, journey, as_of, calendar)
    }

    fn missed_contact(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::ContactDecision, String> {
        glue::missed_contact::<Slow>(settings, journey, as_of, calendar)
    }

    fn handover(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Handover, String> {
        glue::handover::<Slow>(settings, journey, as_of, calendar)
    }
}

#[cfg(target_arch = "wasm32")]
waymark_sdk::bindings::export_council_policy!(Exports with_types_in waymark_sdk::bindings);
