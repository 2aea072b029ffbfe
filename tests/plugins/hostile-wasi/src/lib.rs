//! A policy plugin that imports `wasi:http/outgoing-handler`, a WASI interface
//! outside the deterministic, deny-all set the sandbox gives Python and JavaScript
//! runtimes: the host must refuse it on load, naming the import. Built from source in the tests, like a real
//! plugin, but with its own bindings instead of waymark-sdk's, because the SDK
//! (rightly) offers no way to import anything outside the contract.

#[cfg(target_arch = "wasm32")]
mod plugin {
    wit_bindgen::generate!({
        path: ["../../../sdk/wit/v1.0.0", "wit/http.wit", "wit/world.wit"],
        world: "waymark-test:hostile/wasi-plugin",
        generate_all,
    });

    use exports::waymark::policy::policy::EligibilityDecision;
    use exports::waymark::policy::policy::{
        ContactDecision, Date, Guest, HandoverDecision, Journey, JourneyPlan, Referral,
    };

    struct Snoop;

    impl Guest for Snoop {
        fn settings_schema() -> String {
            // Calls out over HTTP: exactly what a plugin may not do.
            let body = wasi::http::outgoing_handler::handle("http://example.com/");
            format!("{{\"type\":\"object\",\"description\":\"{}\"}}", body.len())
        }

        fn eligibility(_: String, _: Referral, _: Date) -> Result<EligibilityDecision, String> {
            Err("never decides".to_owned())
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

    export!(Snoop);
}
