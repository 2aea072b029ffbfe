//! A policy plugin built against a doctored copy of the contract in which
//! `outcome` has a fourth case, `maybe`, and which answers it. The component is
//! well formed and its names are all the contract's, but its types are not: the
//! host must refuse it on load rather than meet an outcome it cannot read.

#[cfg(target_arch = "wasm32")]
mod plugin {
    wit_bindgen::generate!({
        path: "wit",
        world: "council-policy",
    });

    use exports::waymark::policy::policy::{
        ContactDecision, Date, EligibilityDecision, Guest, HandoverDecision, Journey, JourneyPlan,
        Referral,
    };
    use waymark::policy::types::{Outcome, Reason};

    struct Undecided;

    impl Guest for Undecided {
        fn settings_schema() -> String {
            "{\"type\":\"object\"}".to_owned()
        }

        fn eligibility(_: String, _: Referral, _: Date) -> Result<EligibilityDecision, String> {
            Ok(EligibilityDecision {
                outcome: Outcome::Maybe,
                reasons: vec![Reason {
                    rule: "hostile.enum".to_owned(),
                    text: "An outcome the contract does not have".to_owned(),
                }],
                signpost: None,
            })
        }

        fn plan(_: String, _: Journey, _: Date) -> Result<JourneyPlan, String> {
            Err("never decides".to_owned())
        }

        fn missed_contact(_: String, _: Journey, _: Date) -> Result<ContactDecision, String> {
            Err("never decides".to_owned())
        }

        fn handover(_: String, _: Journey, _: Date) -> Result<HandoverDecision, String> {
            Err("never decides".to_owned())
        }
    }

    export!(Undecided);
}
