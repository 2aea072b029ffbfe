//! A policy plugin for the host's tests whose settings schema has a `pattern` only a
//! backtracking regex engine runs (a look-ahead after a nested quantifier: with
//! backtracking, each value costs time exponential in its length). The upload must be
//! refused, naming the pattern and why, before anything validates against it. Its
//! hooks decide normally.

use waymark_sdk::__private::{self as glue, Guest, wit};
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral,
};

/// The pattern, as the schema gives it.
pub const PATTERN: &str = "^(a+)+(?=b)";

/// The schema, as JSON text.
pub fn schema() -> String {
    serde_json::json!({
        "type": "object",
        "properties": { "code": { "type": "string", "pattern": PATTERN } }
    })
    .to_string()
}

pub struct Backtracking;

fn reason() -> Reason {
    Reason::new("hostile.pattern", "A test plugin")
}

impl Policy for Backtracking {
    type Settings = serde_json::Value;

    fn eligibility(_: &Self::Settings, _: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        Ok(Eligibility::accept([reason()]))
    }

    fn plan(_: &Self::Settings, _: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        Ok(Plan::after(as_of)
            .reason("hostile.pattern", "Plans nothing")
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

/// The SDK's glue, but for `settings-schema`, which answers the backtracking pattern.
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
        glue::eligibility::<Backtracking>(settings, referral, as_of, calendar)
    }

    fn plan(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Plan, String> {
        glue::plan::<Backtracking>(settings, journey, as_of, calendar)
    }

    fn missed_contact(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::ContactDecision, String> {
        glue::missed_contact::<Backtracking>(settings, journey, as_of, calendar)
    }

    fn handover(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Handover, String> {
        glue::handover::<Backtracking>(settings, journey, as_of, calendar)
    }
}

#[cfg(target_arch = "wasm32")]
waymark_sdk::bindings::export_council_policy!(Exports with_types_in waymark_sdk::bindings);
