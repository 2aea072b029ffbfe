//! A policy plugin for the host's tests whose settings schema is a validation bomb:
//! entries `e0` … `e27`, each `allOf` two `$ref`s to the next, so validating one
//! value walks 2^28 subschemas. The upload must be refused, naming the bound, before
//! anything validates against it. Its hooks decide normally.

use waymark_sdk::__private::{self as glue, Guest, wit};
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral,
};

/// How many entries the bomb chains.
pub const ENTRIES: usize = 28;

/// The bomb, as JSON text.
pub fn bomb() -> String {
    let mut defs = serde_json::Map::new();
    for i in 0..ENTRIES {
        let next = format!("#/$defs/e{}", i + 1);
        defs.insert(
            format!("e{i}"),
            serde_json::json!({ "allOf": [{ "$ref": next }, { "$ref": next }] }),
        );
    }
    defs.insert(
        format!("e{ENTRIES}"),
        serde_json::json!({ "type": "object" }),
    );
    serde_json::json!({ "$defs": defs, "$ref": "#/$defs/e0" }).to_string()
}

pub struct Bomb;

fn reason() -> Reason {
    Reason::new("hostile.schema", "A test plugin")
}

impl Policy for Bomb {
    type Settings = serde_json::Value;

    fn eligibility(_: &Self::Settings, _: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        Ok(Eligibility::accept([reason()]))
    }

    fn plan(_: &Self::Settings, _: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        Ok(Plan::after(as_of)
            .reason("hostile.schema", "Plans nothing")
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

/// The SDK's glue, but for `settings-schema`, which answers the bomb.
#[allow(dead_code)] // never constructed: the exports call it by type
struct Exports;

impl Guest for Exports {
    fn settings_schema() -> String {
        bomb()
    }

    fn eligibility(
        settings: String,
        referral: wit::Referral,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Eligibility, String> {
        glue::eligibility::<Bomb>(settings, referral, as_of, calendar)
    }

    fn plan(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Plan, String> {
        glue::plan::<Bomb>(settings, journey, as_of, calendar)
    }

    fn missed_contact(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::ContactDecision, String> {
        glue::missed_contact::<Bomb>(settings, journey, as_of, calendar)
    }

    fn handover(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Handover, String> {
        glue::handover::<Bomb>(settings, journey, as_of, calendar)
    }
}

#[cfg(target_arch = "wasm32")]
waymark_sdk::bindings::export_council_policy!(Exports with_types_in waymark_sdk::bindings);
