//! A hostile policy plugin, for the sandbox's tests only: its settings pick how it
//! misbehaves, so one build covers every attack (an endless loop, unbounded memory,
//! deep recursion, an oversize answer, a panic, answers that break the contract, a
//! slow decision) and, with `{"behaviour": "well_behaved"}`, a normal decision.
//!
//! The hooks go through waymark-sdk's export glue, as a real plugin's do, except
//! where the attack needs an answer the SDK's types cannot express (a date that
//! does not exist): there this crate implements the generated `Guest` trait itself.

use std::hint::black_box;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_sdk::__private::{self as glue, Guest, wit};
use waymark_sdk::{
    ContactDecision, Date, Destination, Eligibility, Handover, Journey, Plan, Policy, PolicyError,
    Reason, Referral, Timer, TimerKind,
};

/// How the plugin misbehaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Decides normally: accept, with a reason; one review a week on.
    #[default]
    WellBehaved,
    /// Loops for ever.
    EndlessLoop,
    /// Allocates (and keeps) a megabyte at a time, for ever.
    MemoryGrowth,
    /// Recurses without end.
    DeepRecursion,
    /// Answers with a timer whose purpose is a megabyte long.
    OversizeAnswer,
    /// Panics (a trap, with the panic message in the log).
    Panic,
    /// A plan whose timer is due on a day that does not exist (month 13).
    ImpossibleDate,
    /// A plan whose timer is due on the as-of date itself.
    TimerNotInFuture,
    /// A decision with no reasons.
    NoReasons,
    /// Refuses to decide.
    Refuse,
    /// Spins for `iterations` rounds of arithmetic, then decides normally.
    Slow,
    /// A plan (or outreach) timer due on the last day chrono knows, 262142-12-31.
    FarFutureTimer,
    /// An eligibility reason with a blank rule id and a megabyte of text.
    BlankRuleOversize,
    /// An eligibility answer with `iterations` tiny reasons.
    ManyReasons,
    /// Refuses to decide with a megabyte-long message.
    OversizeRefusal,
}

/// Chosen per call by the test.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// How to misbehave.
    pub behaviour: Behaviour,
    /// Rounds of work for `slow`.
    pub iterations: u64,
    /// Eligibility misbehaves by the referral's postcode district instead, when it is
    /// one of these: tests through the HTTP API, which cannot choose settings per
    /// referral, pick the attack by postcode.
    pub by_district: Vec<(String, Behaviour)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            behaviour: Behaviour::WellBehaved,
            iterations: 0,
            // Shetland's districts: nobody's real council in these tests.
            by_district: vec![
                ("ZE1".to_owned(), Behaviour::EndlessLoop),
                ("ZE2".to_owned(), Behaviour::MemoryGrowth),
                ("ZE3".to_owned(), Behaviour::Panic),
                ("ZE4".to_owned(), Behaviour::OversizeAnswer),
                ("ZE5".to_owned(), Behaviour::DeepRecursion),
            ],
        }
    }
}

pub struct Hostile;

fn reason() -> Reason {
    Reason::new("hostile.test", "A test plugin")
}

/// Everything but the answer: the attacks that never return.
fn misbehave(settings: &Settings) -> Result<(), PolicyError> {
    match settings.behaviour {
        Behaviour::EndlessLoop => {
            let mut n: u64 = 0;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
        Behaviour::MemoryGrowth => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(black_box(vec![1u8; 1 << 20]));
                black_box(&hoard);
            }
        }
        Behaviour::DeepRecursion => {
            black_box(recurse(black_box(0)));
            Ok(())
        }
        Behaviour::Panic => panic!("the hostile plugin panicked on purpose"),
        Behaviour::Refuse => Err(PolicyError::new("the hostile plugin refuses")),
        Behaviour::OversizeRefusal => Err(PolicyError::new("r".repeat(1 << 20))),
        Behaviour::Slow => {
            let mut x: u64 = 1;
            for i in 0..settings.iterations {
                x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
            black_box(x);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Recurses until the stack runs out (the limit only stops a depth no plugin reaches).
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return depth;
    }
    // `black_box` on both sides keeps this from becoming a loop.
    black_box(recurse(black_box(depth + 1))).wrapping_add(depth)
}

impl Policy for Hostile {
    type Settings = Settings;

    fn eligibility(s: &Settings, r: &Referral, _: Date) -> Result<Eligibility, PolicyError> {
        let by_district = s
            .by_district
            .iter()
            .find(|(d, _)| *d == r.postcode_district);
        let s = &match by_district {
            Some((_, behaviour)) => Settings {
                behaviour: *behaviour,
                ..s.clone()
            },
            None => s.clone(),
        };
        misbehave(s)?;
        Ok(match s.behaviour {
            Behaviour::NoReasons => Eligibility::accept([]),
            Behaviour::OversizeAnswer => {
                Eligibility::accept([Reason::new("hostile.oversize", "x".repeat(1 << 20))])
            }
            Behaviour::BlankRuleOversize => {
                Eligibility::accept([Reason::new("", "b".repeat(1 << 20))])
            }
            Behaviour::ManyReasons => {
                Eligibility::accept((0..s.iterations).map(|_| Reason::new("r", "t")))
            }
            _ => Eligibility::accept([reason()]),
        })
    }

    fn plan(s: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
        misbehave(s)?;
        let start = journey.started_on.unwrap_or(journey.referred_on);
        let week = waymark_sdk::calendar::add_days(start.max(as_of), 7)?;
        let timer = |due, purpose: String| Timer::new(TimerKind::Review, due, purpose);
        Ok(match s.behaviour {
            Behaviour::OversizeAnswer => Plan {
                timers: vec![timer(week, "x".repeat(1 << 20))],
                reasons: vec![reason()],
            },
            Behaviour::TimerNotInFuture => Plan {
                timers: vec![timer(as_of, "Due today".to_owned())],
                reasons: vec![reason()],
            },
            Behaviour::NoReasons => Plan {
                timers: vec![timer(week, "Review".to_owned())],
                reasons: vec![],
            },
            Behaviour::FarFutureTimer => Plan {
                timers: vec![timer(Date::MAX, "Review at the end of time".to_owned())],
                reasons: vec![reason()],
            },
            _ => Plan {
                timers: vec![timer(week, "Review".to_owned())],
                reasons: vec![reason()],
            },
        })
    }

    fn missed_contact(s: &Settings, _: &Journey, _: Date) -> Result<ContactDecision, PolicyError> {
        misbehave(s)?;
        if s.behaviour == Behaviour::FarFutureTimer {
            let timer = Timer::new(
                TimerKind::Outreach,
                Date::MAX,
                "Try again at the end of time",
            );
            return Ok(ContactDecision::outreach(timer, [reason()]));
        }
        Ok(ContactDecision::disengaged_exit([reason()]))
    }

    fn handover(s: &Settings, _: &Journey, _: Date) -> Result<Handover, PolicyError> {
        misbehave(s)?;
        Ok(Handover::new(Destination::Jobcentre, [], [reason()]))
    }
}

/// The component's exports: the SDK's glue, but for `impossible_date`, which
/// answers a WIT date no calendar has.
#[allow(dead_code)] // never constructed: the exports call it by type
struct Exports;

impl Guest for Exports {
    fn settings_schema() -> String {
        glue::settings_schema::<Hostile>()
    }

    fn eligibility(
        settings: String,
        referral: wit::Referral,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Eligibility, String> {
        glue::eligibility::<Hostile>(settings, referral, as_of, calendar)
    }

    fn plan(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Plan, String> {
        if settings.contains("impossible_date") {
            return Ok(wit::Plan {
                timers: vec![wit::Timer {
                    kind: wit::TimerKind::Review,
                    due: wit::Date {
                        year: as_of.year,
                        month: 13,
                        day: 40,
                    },
                    purpose: "Review on a day that does not exist".to_owned(),
                }],
                reasons: vec![wit::Reason {
                    rule: "hostile.test".to_owned(),
                    text: "A test plugin".to_owned(),
                }],
            });
        }
        glue::plan::<Hostile>(settings, journey, as_of, calendar)
    }

    fn missed_contact(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::ContactDecision, String> {
        glue::missed_contact::<Hostile>(settings, journey, as_of, calendar)
    }

    fn handover(
        settings: String,
        journey: wit::Journey,
        as_of: wit::Date,
        calendar: wit::WorkingDays,
    ) -> Result<wit::Handover, String> {
        glue::handover::<Hostile>(settings, journey, as_of, calendar)
    }
}

#[cfg(target_arch = "wasm32")]
waymark_sdk::bindings::export_council_policy!(Exports with_types_in waymark_sdk::bindings);

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::date;

    use super::*;

    #[test]
    fn well_behaved_it_accepts_with_a_reason() {
        let e = Hostile::eligibility(
            &Settings::default(),
            &Referral::example(),
            date("2026-01-05"),
        )
        .expect("decides");
        assert_eq!(e.reasons, vec![reason()]);
    }

    #[test]
    fn it_refuses_when_asked_to() {
        let s = Settings {
            behaviour: Behaviour::Refuse,
            ..Settings::default()
        };
        assert!(Hostile::eligibility(&s, &Referral::example(), date("2026-01-05")).is_err());
    }
}
