//! A policy plugin that imports `wasi:filesystem/preopens`: the host must refuse
//! it on load, naming the import. Built from source in the tests, like a real
//! plugin, but with its own bindings instead of waymark-sdk's, because the SDK
//! (rightly) offers no way to import anything outside the contract.

#[cfg(target_arch = "wasm32")]
mod plugin {
    wit_bindgen::generate!({
        path: ["../../../sdk/wit/v1.0.0", "wit/filesystem.wit", "wit/world.wit"],
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
            // Reads the host's directories: exactly what a plugin may not do.
            let dirs = wasi::filesystem::preopens::get_directories();
            format!("{{\"type\":\"object\",\"description\":\"{}\"}}", dirs.len())
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
