//! Bindings for `waymark:policy@1.x`, one module per minor version, and the one
//! place that knows which plugin gets which.
//!
//! Contract minors are additive (1.1 appends enum cases and record fields, 1.2 a
//! hook parameter and a host function), but
//! the component model compares records structurally: a 1.0 plugin's `journey` is
//! not a 1.1 `journey`. So each minor the host runs has its own `bindgen!` module
//! (as Zed's extension host keeps one per version), and a plugin is linked with the
//! bindings of the version it exports ([`Linkers::link`]). Both convert to and
//! from the same plain types in [`contract`](super::contract): a 1.0 plugin is
//! shown the 1.0 fields of a journey and never the rest.
//!
//! What a 1.0 plugin cannot see it is not asked about: [`answered_by_the_host`]
//! keeps that rule.
//!
//! Conversions out of a plugin are fallible: a WIT `date` can name a day that does
//! not exist, and that is an invalid answer, not a panic.

use chrono::NaiveDate;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use super::call::Sandbox;
use super::contract::{
    ContactDecision, Eligibility, Handover, JourneyFacts, Plan, Reason, ReferralFacts, Stage,
};
use crate::schedule::calendar::WorkingCalendar;

mod capped;
mod v1_0;
mod v1_1;
mod v1_2;

pub(crate) use capped::{AnswerTooLarge, within_budget};

/// The package and interfaces a 1.x plugin imports and exports.
pub(crate) const HOST_INTERFACE: &str = "waymark:policy/host";
pub(crate) const TYPES_INTERFACE: &str = "waymark:policy/types";
pub(crate) const POLICY_INTERFACE: &str = "waymark:policy/policy";
pub(crate) const MAJOR: u64 = 1;

/// The rule id of a plan the host answers for a 1.0 plugin.
pub(crate) const CONTRACT_1_0_RULE: &str = "host.contract_1_0";

/// The 1.x contract versions this host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Minor {
    /// `waymark:policy@1.0.x`: no waiting list, programme or outcome facts.
    V1_0,
    /// `waymark:policy@1.1.x`, what waymark-sdk 0.1 and the Python and JavaScript
    /// SDKs build.
    V1_1,
    /// `waymark:policy@1.2.x`, what waymark-sdk 0.2 builds: 1.1's records, with the
    /// council's working days handed to every hook and a string-free log.
    V1_2,
}

impl Minor {
    /// The minor a `1.y.z` version names, if this host runs it.
    pub(crate) fn of(version: &str) -> Option<Minor> {
        let mut parts = version.split('.');
        let major = parts.next()?.parse::<u64>().ok()?;
        let minor = parts.next()?.parse::<u64>().ok()?;
        match (major, minor) {
            (MAJOR, 0) => Some(Minor::V1_0),
            (MAJOR, 1) => Some(Minor::V1_1),
            (MAJOR, 2) => Some(Minor::V1_2),
            _ => None,
        }
    }
}

/// What a hook call gave: the plugin's answer in the host's types (or why it does
/// not convert to them), or the plugin's refusal; or a trap.
pub(crate) type Called<T> = wasmtime::Result<Result<Result<T, String>, String>>;

/// Decides for the host, without running the plugin, what a plugin of `minor`
/// cannot be asked: a 1.0 plugin has no waiting-list stage, so it is never asked to
/// plan a waitlisted journey (which it would misread as accepted). The host answers
/// an empty plan, with its reason. Every other case is the plugin's to decide.
pub(crate) fn answered_by_the_host(minor: Minor, journey: &JourneyFacts) -> Option<Plan> {
    match (minor, journey.stage) {
        (Minor::V1_0, Stage::Waitlisted) => Some(Plan {
            timers: Vec::new(),
            reasons: vec![Reason::new(
                CONTRACT_1_0_RULE,
                "The council's plugin is built against waymark:policy 1.0, which has no \
                 waiting list: nothing is planned while the referral is waitlisted. Rebuild \
                 the plugin with waymark-sdk (contract 1.1) to plan for waitlisted people.",
            )],
        }),
        _ => None,
    }
}

/// One linker per minor, each offering the host interface of its version and
/// nothing else: whatever else a plugin imports fails to link.
pub(crate) struct Linkers {
    v1_0: Linker<Sandbox>,
    v1_1: Linker<Sandbox>,
    v1_2: Linker<Sandbox>,
}

impl Linkers {
    pub(crate) fn new(engine: &Engine) -> wasmtime::Result<Linkers> {
        let mut v1_0 = v1_0::linker(engine)?;
        let mut v1_1 = v1_1::linker(engine)?;
        let mut v1_2 = v1_2::linker(engine)?;
        // Linked for every plugin, but only a plugin that imports WASI is given it,
        // and only one that calls it builds a context (see `wasi`).
        super::wasi::add_to_linker(&mut v1_0)?;
        super::wasi::add_to_linker(&mut v1_1)?;
        super::wasi::add_to_linker(&mut v1_2)?;
        Ok(Linkers { v1_0, v1_1, v1_2 })
    }

    /// Links a component with the bindings of the version it exports, once.
    pub(crate) fn link(&self, minor: Minor, component: &Component) -> wasmtime::Result<Linked> {
        Ok(match minor {
            Minor::V1_0 => Linked::V1_0(v1_0::link(&self.v1_0, component)?),
            Minor::V1_1 => Linked::V1_1(v1_1::link(&self.v1_1, component)?),
            Minor::V1_2 => Linked::V1_2(v1_2::link(&self.v1_2, component)?),
        })
    }
}

/// A plugin linked with the bindings of its contract version, ready to instantiate.
pub(crate) enum Linked {
    V1_0(v1_0::Bound),
    V1_1(v1_1::Bound),
    V1_2(v1_2::Bound),
}

impl Linked {
    /// The compiled component, whichever minor it binds.
    pub(crate) fn component(&self) -> &wasmtime::component::Component {
        match self {
            Linked::V1_0(bound) => bound.pre.instance_pre().component(),
            Linked::V1_1(bound) => bound.pre.instance_pre().component(),
            Linked::V1_2(bound) => bound.pre.instance_pre().component(),
        }
    }

    pub(crate) fn minor(&self) -> Minor {
        match self {
            Linked::V1_0(_) => Minor::V1_0,
            Linked::V1_1(_) => Minor::V1_1,
            Linked::V1_2(_) => Minor::V1_2,
        }
    }

    pub(crate) fn settings_schema(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<String> {
        match self {
            Linked::V1_0(pre) => v1_0::settings_schema(pre, store),
            Linked::V1_1(pre) => v1_1::settings_schema(pre, store),
            Linked::V1_2(pre) => v1_2::settings_schema(pre, store),
        }
    }

    pub(crate) fn eligibility(
        &self,
        store: &mut Store<Sandbox>,
        settings: &str,
        referral: &ReferralFacts,
        as_of: NaiveDate,
        calendar: &dyn WorkingCalendar,
    ) -> Called<Eligibility> {
        match self {
            Linked::V1_0(pre) => v1_0::eligibility(pre, store, settings, referral, as_of, calendar),
            Linked::V1_1(pre) => v1_1::eligibility(pre, store, settings, referral, as_of, calendar),
            Linked::V1_2(pre) => v1_2::eligibility(pre, store, settings, referral, as_of, calendar),
        }
    }

    pub(crate) fn plan(
        &self,
        store: &mut Store<Sandbox>,
        settings: &str,
        journey: &JourneyFacts,
        as_of: NaiveDate,
        calendar: &dyn WorkingCalendar,
    ) -> Called<Plan> {
        match self {
            Linked::V1_0(pre) => v1_0::plan(pre, store, settings, journey, as_of, calendar),
            Linked::V1_1(pre) => v1_1::plan(pre, store, settings, journey, as_of, calendar),
            Linked::V1_2(pre) => v1_2::plan(pre, store, settings, journey, as_of, calendar),
        }
    }

    pub(crate) fn missed_contact(
        &self,
        store: &mut Store<Sandbox>,
        settings: &str,
        journey: &JourneyFacts,
        as_of: NaiveDate,
        calendar: &dyn WorkingCalendar,
    ) -> Called<ContactDecision> {
        match self {
            Linked::V1_0(pre) => {
                v1_0::missed_contact(pre, store, settings, journey, as_of, calendar)
            }
            Linked::V1_1(pre) => {
                v1_1::missed_contact(pre, store, settings, journey, as_of, calendar)
            }
            Linked::V1_2(pre) => {
                v1_2::missed_contact(pre, store, settings, journey, as_of, calendar)
            }
        }
    }

    pub(crate) fn handover(
        &self,
        store: &mut Store<Sandbox>,
        settings: &str,
        journey: &JourneyFacts,
        as_of: NaiveDate,
        calendar: &dyn WorkingCalendar,
    ) -> Called<Handover> {
        match self {
            Linked::V1_0(pre) => v1_0::handover(pre, store, settings, journey, as_of, calendar),
            Linked::V1_1(pre) => v1_1::handover(pre, store, settings, journey, as_of, calendar),
            Linked::V1_2(pre) => v1_2::handover(pre, store, settings, journey, as_of, calendar),
        }
    }
}

/// A calendar date, or a sentence saying why the year, month and day are not one.
fn date_from_parts(year: i32, month: u8, day: u8) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day))
        .ok_or_else(|| format!("date {year:04}-{month:02}-{day:02} is not a calendar date"))
}

/// What both minors share, written once and expanded in each binding module against
/// its own generated `wit` types: dates, the enums and records whose shape did not
/// change, the answers, the hook calls and the host interface.
///
/// `Params` (the hooks' argument types) and `params` (which makes them) come with
/// the plain form, for 1.0 and 1.1; 1.2, which also hands the hooks the council's
/// working days, uses the `host_extra` form and defines its own. `host_extra` holds
/// the host functions a minor adds to 1.0's two.
macro_rules! shared_bindings {
    // 1.0 and 1.1: a hook's arguments are the settings, the facts and the as-of date.
    () => {
        super::shared_bindings!(host_extra {});

        type Params<'a, F> = (&'a str, F, wit::Date);

        fn params<'a, F>(
            settings: &'a str,
            facts: F,
            as_of: chrono::NaiveDate,
            _calendar: &dyn crate::schedule::calendar::WorkingCalendar,
        ) -> Params<'a, F> {
            (settings, facts, date_to_wit(as_of))
        }
    };
    (host_extra { $($host_extra:item)* }) => {
        use chrono::Datelike as _;

        pub(crate) use self::waymark::policy::{host, types as wit};

        use super::super::call::Sandbox;
        use super::super::contract;
        use super::Called;
        use super::capped::CappedString;

        pub(super) fn linker(
            engine: &wasmtime::Engine,
        ) -> wasmtime::Result<wasmtime::component::Linker<Sandbox>> {
            let mut linker = wasmtime::component::Linker::new(engine);
            CouncilPolicy::add_to_linker::<Sandbox, wasmtime::component::HasSelf<Sandbox>>(
                &mut linker,
                |sandbox| sandbox,
            )?;
            Ok(linker)
        }

        /// A plugin linked with this minor's bindings, and where its hooks are
        /// exported: looked up once, used by every decision.
        pub(crate) struct Bound {
            pub(super) pre: CouncilPolicyPre<Sandbox>,
            eligibility: Hook,
            plan: Hook,
            missed_contact: Hook,
            handover: Hook,
        }

        /// One hook's export, and whether its signature has been checked. Every
        /// instance of a component has the same types, so the check (a walk of the
        /// argument and answer types) runs on the first call only.
        struct Hook {
            index: wasmtime::component::ComponentExportIndex,
            typechecked: std::sync::atomic::AtomicBool,
        }

        pub(super) fn link(
            linker: &wasmtime::component::Linker<Sandbox>,
            component: &wasmtime::component::Component,
        ) -> wasmtime::Result<Bound> {
            // Type-checks every export against this minor's world.
            let pre = CouncilPolicyPre::new(linker.instantiate_pre(component)?)?;
            let policy = component
                .get_export_index(None, POLICY_EXPORT)
                .ok_or_else(|| wasmtime::format_err!("no export `{POLICY_EXPORT}`"))?;
            let hook = |name: &str| {
                let index = component
                    .get_export_index(Some(&policy), name)
                    .ok_or_else(|| wasmtime::format_err!("no export `{POLICY_EXPORT}#{name}`"))?;
                Ok::<_, wasmtime::Error>(Hook {
                    index,
                    typechecked: std::sync::atomic::AtomicBool::new(false),
                })
            };
            Ok(Bound {
                eligibility: hook("eligibility")?,
                plan: hook("plan")?,
                missed_contact: hook("missed-contact")?,
                handover: hook("handover")?,
                pre,
            })
        }

        pub(super) fn settings_schema(
            bound: &Bound,
            store: &mut wasmtime::Store<Sandbox>,
        ) -> wasmtime::Result<String> {
            let bindings = bound.pre.instantiate(&mut *store)?;
            bindings
                .waymark_policy_policy()
                .call_settings_schema(&mut *store)
        }

        /// Instantiates the plugin and calls one hook, lifting its answer as the
        /// capped types of [`lifted`], which measure it before copying it.
        fn call_hook<F: wasmtime::component::Lower, A: wasmtime::component::Lift>(
            bound: &Bound,
            hook: &Hook,
            store: &mut wasmtime::Store<Sandbox>,
            params: Params<'_, F>,
        ) -> wasmtime::Result<Result<A, String>> {
            use std::sync::atomic::Ordering;
            type Answer<A> = (Result<A, CappedString>,);
            type Hooked<'a, F, A> = wasmtime::component::TypedFunc<Params<'a, F>, Answer<A>>;
            let instance = bound.pre.instance_pre().instantiate(&mut *store)?;
            let func: Hooked<'_, F, A> = if hook.typechecked.load(Ordering::Acquire) {
                let func = instance
                    .get_func(&mut *store, &hook.index)
                    .ok_or_else(|| wasmtime::format_err!("the hook's export is missing"))?;
                // SAFETY: an earlier call checked this export of this same component
                // against these very types (each hook is only ever called with its
                // own `F` and `A`, in the functions below), and every instance of a
                // component has its component's types.
                unsafe { Hooked::new_unchecked(func) }
            } else {
                let func = instance
                    .get_typed_func::<Params<'_, F>, Answer<A>>(&mut *store, &hook.index)?;
                hook.typechecked.store(true, Ordering::Release);
                func
            };
            let (answer,) = func.call(&mut *store, params)?;
            Ok(answer.map_err(|refusal| refusal.0))
        }

        pub(super) fn eligibility(
            bound: &Bound,
            store: &mut wasmtime::Store<Sandbox>,
            settings: &str,
            referral: &contract::ReferralFacts,
            as_of: chrono::NaiveDate,
            calendar: &dyn crate::schedule::calendar::WorkingCalendar,
        ) -> Called<contract::Eligibility> {
            let facts = wit::Referral::from(referral);
            let answer: Result<lifted::Eligibility, String> =
                call_hook(bound, &bound.eligibility, store, params(settings, &facts, as_of, calendar))?;
            Ok(answer.map(|a| Ok(a.into())))
        }

        pub(super) fn plan(
            bound: &Bound,
            store: &mut wasmtime::Store<Sandbox>,
            settings: &str,
            journey: &contract::JourneyFacts,
            as_of: chrono::NaiveDate,
            calendar: &dyn crate::schedule::calendar::WorkingCalendar,
        ) -> Called<contract::Plan> {
            let facts = wit::Journey::from(journey);
            let answer: Result<lifted::Plan, String> =
                call_hook(bound, &bound.plan, store, params(settings, &facts, as_of, calendar))?;
            Ok(answer.map(TryInto::try_into))
        }

        pub(super) fn missed_contact(
            bound: &Bound,
            store: &mut wasmtime::Store<Sandbox>,
            settings: &str,
            journey: &contract::JourneyFacts,
            as_of: chrono::NaiveDate,
            calendar: &dyn crate::schedule::calendar::WorkingCalendar,
        ) -> Called<contract::ContactDecision> {
            let facts = wit::Journey::from(journey);
            let answer: Result<lifted::ContactDecision, String> =
                call_hook(bound, &bound.missed_contact, store, params(settings, &facts, as_of, calendar))?;
            Ok(answer.map(TryInto::try_into))
        }

        pub(super) fn handover(
            bound: &Bound,
            store: &mut wasmtime::Store<Sandbox>,
            settings: &str,
            journey: &contract::JourneyFacts,
            as_of: chrono::NaiveDate,
            calendar: &dyn crate::schedule::calendar::WorkingCalendar,
        ) -> Called<contract::Handover> {
            let facts = wit::Journey::from(journey);
            let answer: Result<lifted::Handover, String> =
                call_hook(bound, &bound.handover, store, params(settings, &facts, as_of, calendar))?;
            Ok(answer.map(|a| Ok(a.into())))
        }

        /// The answers as lifted out of the plugin: this minor's records, with every
        /// string and list capped (see `capped.rs`). Field names are the WIT's.
        mod lifted {
            use super::super::capped::{CappedList, CappedString};
            use super::wit;
            use wasmtime::component::{ComponentType, Lift};

            #[derive(ComponentType, Lift)]
            #[component(record)]
            pub(super) struct Reason {
                pub(super) rule: CappedString,
                pub(super) text: CappedString,
            }

            #[derive(ComponentType, Lift)]
            #[component(record)]
            pub(super) struct Eligibility {
                pub(super) outcome: wit::Outcome,
                pub(super) reasons: CappedList<Reason>,
                pub(super) signpost: Option<CappedString>,
            }

            #[derive(ComponentType, Lift)]
            #[component(record)]
            pub(super) struct Timer {
                pub(super) kind: wit::TimerKind,
                pub(super) due: wit::Date,
                pub(super) purpose: CappedString,
            }

            #[derive(ComponentType, Lift)]
            #[component(record)]
            pub(super) struct Plan {
                pub(super) timers: CappedList<Timer>,
                pub(super) reasons: CappedList<Reason>,
            }

            #[derive(ComponentType, Lift)]
            #[component(variant)]
            pub(super) enum ContactStep {
                #[component(name = "outreach")]
                Outreach(Timer),
                #[component(name = "disengaged-exit")]
                DisengagedExit,
            }

            #[derive(ComponentType, Lift)]
            #[component(record)]
            pub(super) struct ContactDecision {
                pub(super) step: ContactStep,
                pub(super) reasons: CappedList<Reason>,
            }

            #[derive(ComponentType, Lift)]
            #[component(record)]
            pub(super) struct Handover {
                pub(super) destination: wit::Destination,
                pub(super) pack: CappedList<CappedString>,
                pub(super) reasons: CappedList<Reason>,
            }
        }

        impl wit::Host for Sandbox {}

        impl host::Host for Sandbox {
            fn is_working_day(&mut self, day: wit::Date) -> wasmtime::Result<bool> {
                self.answer_is_working_day(date_from_wit(day))
            }

            fn log(&mut self, message: String) {
                self.push_log(message);
            }

            $($host_extra)*
        }

        pub(crate) fn date_to_wit(date: chrono::NaiveDate) -> wit::Date {
            wit::Date {
                year: date.year(),
                // chrono's month is 1..=12 and day 1..=31, so these never truncate.
                month: date.month() as u8,
                day: date.day() as u8,
            }
        }

        /// A WIT date as a calendar date, or a sentence saying why it is not one.
        pub(crate) fn date_from_wit(date: wit::Date) -> Result<chrono::NaiveDate, String> {
            super::date_from_parts(date.year, date.month, date.day)
        }

        impl From<contract::ReferralRoute> for wit::ReferralRoute {
            fn from(route: contract::ReferralRoute) -> Self {
                use contract::ReferralRoute as R;
                match route {
                    R::SelfReferral => wit::ReferralRoute::SelfReferral,
                    R::Council => wit::ReferralRoute::Council,
                    R::Health => wit::ReferralRoute::Health,
                    R::Jobcentre => wit::ReferralRoute::Jobcentre,
                    R::Voluntary => wit::ReferralRoute::VoluntarySector,
                }
            }
        }

        impl From<contract::Cohort> for wit::Cohort {
            fn from(cohort: contract::Cohort) -> Self {
                use contract::Cohort as C;
                match cohort {
                    C::CareExperienced => wit::Cohort::CareExperienced,
                    C::Carer => wit::Cohort::Carer,
                    C::Veteran => wit::Cohort::Veteran,
                    C::Homeless => wit::Cohort::Homeless,
                    C::Refugee => wit::Cohort::Refugee,
                    C::DomesticAbuseSurvivor => wit::Cohort::DomesticAbuseSurvivor,
                    C::Offender => wit::Cohort::Offender,
                    C::SubstanceUse => wit::Cohort::SubstanceUse,
                    C::MentalHealth => wit::Cohort::MentalHealth,
                    C::Neurodivergent => wit::Cohort::Neurodivergent,
                }
            }
        }

        impl From<contract::Track> for wit::Track {
            fn from(track: contract::Track) -> Self {
                match track {
                    contract::Track::OutOfWork => wit::Track::OutOfWork,
                    contract::Track::InWorkAtRisk => wit::Track::InWorkAtRisk,
                }
            }
        }

        impl From<lifted::Reason> for contract::Reason {
            fn from(r: lifted::Reason) -> Self {
                contract::Reason {
                    rule: r.rule.0,
                    text: r.text.0,
                }
            }
        }

        fn reasons(reasons: super::capped::CappedList<lifted::Reason>) -> Vec<contract::Reason> {
            reasons.0.into_iter().map(Into::into).collect()
        }

        impl From<lifted::Eligibility> for contract::Eligibility {
            fn from(e: lifted::Eligibility) -> Self {
                let outcome = match e.outcome {
                    wit::Outcome::Accept => contract::Outcome::Accept,
                    wit::Outcome::Waitlist => contract::Outcome::Waitlist,
                    wit::Outcome::Decline => contract::Outcome::Decline,
                };
                contract::Eligibility {
                    outcome,
                    reasons: reasons(e.reasons),
                    signpost: e.signpost.map(|s| s.0),
                }
            }
        }

        impl From<wit::TimerKind> for contract::TimerKind {
            fn from(kind: wit::TimerKind) -> Self {
                use contract::TimerKind as K;
                match kind {
                    wit::TimerKind::Review => K::Review,
                    wit::TimerKind::FirstEmployerContact => K::FirstEmployerContact,
                    wit::TimerKind::EmployerCheckIn => K::EmployerCheckIn,
                    wit::TimerKind::InWorkReview => K::InWorkReview,
                    wit::TimerKind::OutcomeCheckpoint => K::OutcomeCheckpoint,
                    wit::TimerKind::Outreach => K::Outreach,
                    wit::TimerKind::Handover => K::Handover,
                    wit::TimerKind::EndOfSupport => K::EndOfSupport,
                }
            }
        }

        impl TryFrom<lifted::Timer> for contract::PlannedTimer {
            type Error = String;

            fn try_from(t: lifted::Timer) -> Result<Self, String> {
                let kind = contract::TimerKind::from(t.kind);
                let due =
                    date_from_wit(t.due).map_err(|e| format!("{} timer: {e}", kind.as_str()))?;
                Ok(contract::PlannedTimer {
                    kind,
                    due,
                    purpose: t.purpose.0,
                })
            }
        }

        impl TryFrom<lifted::Plan> for contract::Plan {
            type Error = String;

            fn try_from(p: lifted::Plan) -> Result<Self, String> {
                let timers = p
                    .timers
                    .0
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<Result<_, _>>()?;
                Ok(contract::Plan {
                    timers,
                    reasons: reasons(p.reasons),
                })
            }
        }

        impl TryFrom<lifted::ContactDecision> for contract::ContactDecision {
            type Error = String;

            fn try_from(d: lifted::ContactDecision) -> Result<Self, String> {
                let step = match d.step {
                    lifted::ContactStep::Outreach(timer) => contract::ContactStep::Outreach {
                        timer: timer.try_into()?,
                    },
                    lifted::ContactStep::DisengagedExit => contract::ContactStep::DisengagedExit,
                };
                Ok(contract::ContactDecision {
                    step,
                    reasons: reasons(d.reasons),
                })
            }
        }

        impl From<lifted::Handover> for contract::Handover {
            fn from(h: lifted::Handover) -> Self {
                let destination = match h.destination {
                    wit::Destination::Jobcentre => contract::Destination::Jobcentre,
                    wit::Destination::NhsTalkingTherapies => {
                        contract::Destination::NhsTalkingTherapies
                    }
                    wit::Destination::CouncilProvision => contract::Destination::CouncilProvision,
                    wit::Destination::Employer => contract::Destination::Employer,
                };
                contract::Handover {
                    destination,
                    pack: h.pack.0.into_iter().map(|line| line.0).collect(),
                    reasons: reasons(h.reasons),
                }
            }
        }
    };
}
use shared_bindings;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_1_0_1_1_and_1_2_minors_are_run() {
        assert_eq!(Minor::of("1.0.0"), Some(Minor::V1_0));
        assert_eq!(Minor::of("1.0.3"), Some(Minor::V1_0));
        assert_eq!(Minor::of("1.1.0"), Some(Minor::V1_1));
        assert_eq!(Minor::of("1.2.0"), Some(Minor::V1_2));
        assert_eq!(Minor::of("1.3.0"), None);
        assert_eq!(Minor::of("2.0.0"), None);
        assert_eq!(Minor::of("1"), None);
        assert_eq!(Minor::of("one.zero"), None);
    }

    #[test]
    fn dates_round_trip_through_every_binding() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).expect("a date");
        assert_eq!(v1_0::date_from_wit(v1_0::date_to_wit(day)), Ok(day));
        assert_eq!(v1_1::date_from_wit(v1_1::date_to_wit(day)), Ok(day));
        assert_eq!(v1_2::date_from_wit(v1_2::date_to_wit(day)), Ok(day));
    }

    #[test]
    fn a_day_that_does_not_exist_is_named_in_the_error() {
        assert_eq!(
            date_from_parts(2026, 2, 30),
            Err("date 2026-02-30 is not a calendar date".to_owned())
        );
        assert!(date_from_parts(2026, 13, 1).is_err());
        assert!(date_from_parts(i32::MAX, 1, 1).is_err());
    }

    #[test]
    fn only_a_1_0_plugin_has_a_waitlisted_plan_answered_by_the_host() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date");
        let waitlisted = JourneyFacts::waitlisted_on(day);
        let plan = answered_by_the_host(Minor::V1_0, &waitlisted).expect("the host answers");
        assert!(plan.timers.is_empty());
        assert_eq!(plan.reasons[0].rule, CONTRACT_1_0_RULE);
        assert_eq!(answered_by_the_host(Minor::V1_1, &waitlisted), None);
        let accepted = JourneyFacts::accepted_on(day);
        assert_eq!(answered_by_the_host(Minor::V1_0, &accepted), None);
    }

    #[test]
    fn a_1_0_plugin_is_shown_the_1_0_fields_only() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date");
        let journey = JourneyFacts::started_on(day)
            .with_support_ends_on(NaiveDate::from_ymd_opt(2027, 1, 5).expect("a date"))
            .with_checkpoint(day, true, 16);
        let old = v1_0::wit::Journey::from(&journey);
        assert_eq!(old.missed_contacts, 0);
        let new = v1_1::wit::Journey::from(&journey);
        assert_eq!(new.outcome_checkpoints.len(), 1);
        assert!(new.support_ends_on.is_some());
        assert!(new.health_condition_or_disability);
    }
}
