//! The journey as a state machine: `(state, event) -> state'`, pure and total.
//! An event that makes no sense in a state is an error naming both.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::event::{Event, ExitReason};
use crate::policy::{Outcome, Stage};

/// Where support stands while a participant is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Active {
    /// Started: action plan, job search.
    Started,
    /// Job started: in-work support.
    InWork,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Referred; eligibility not yet decided.
    Referred,
    /// The plugin could not decide: waiting for a person.
    AwaitingReview,
    Accepted,
    Waitlisted,
    /// Ineligible and signposted elsewhere.
    Declined,
    Active {
        phase: Active,
    },
    /// A break, e.g. for a fluctuating health condition.
    Paused {
        phase: Active,
    },
    /// Stopped engaging: re-engagement attempts before any closure.
    Outreach {
        phase: Active,
    },
    Exited {
        reason: ExitReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a `{event}` event cannot be recorded while the journey is {state}{hint}")]
pub struct IllegalTransition {
    pub state: String,
    pub event: &'static str,
    pub hint: &'static str,
}

impl State {
    pub fn name(&self) -> String {
        match self {
            State::Referred => "referred".into(),
            State::AwaitingReview => "awaiting review".into(),
            State::Accepted => "accepted".into(),
            State::Waitlisted => "waitlisted".into(),
            State::Declined => "declined".into(),
            State::Active {
                phase: Active::Started,
            } => "started".into(),
            State::Active {
                phase: Active::InWork,
            } => "in work".into(),
            State::Paused { .. } => "paused".into(),
            State::Outreach { .. } => "in outreach".into(),
            State::Exited { reason } => format!(
                "exited ({})",
                serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        }
    }

    /// Whether the journey is over: nothing more may be recorded and nothing is scheduled.
    pub fn is_closed(&self) -> bool {
        matches!(self, State::Declined | State::Exited { .. })
    }

    /// The stage a plugin plans for, or `None` when there is nothing to plan.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            // Planned too: a council may promise a call before the waiting list ends.
            State::Waitlisted => Some(Stage::Waitlisted),
            State::Accepted => Some(Stage::Accepted),
            State::Active {
                phase: Active::Started,
            } => Some(Stage::Started),
            State::Active {
                phase: Active::InWork,
            } => Some(Stage::InWork),
            State::Paused { .. } => Some(Stage::Paused),
            State::Outreach { .. } => Some(Stage::Outreach),
            State::Referred | State::AwaitingReview | State::Declined | State::Exited { .. } => {
                None
            }
        }
    }

    /// The state after `event`.
    pub fn apply(&self, event: &Event) -> Result<State, IllegalTransition> {
        use State as S;
        let next = match (self, event) {
            (S::Referred, Event::EligibilityDecided { decision, .. }) => match decision.outcome {
                Outcome::Accept => S::Accepted,
                Outcome::Waitlist => S::Waitlisted,
                Outcome::Decline => S::Declined,
            },
            (S::Referred, Event::SentForReview { .. }) => S::AwaitingReview,
            (S::AwaitingReview, Event::ReviewResolved { outcome, .. }) => match outcome {
                Outcome::Accept => S::Accepted,
                Outcome::Waitlist => S::Waitlisted,
                Outcome::Decline => S::Declined,
            },
            (S::AwaitingReview | S::Waitlisted, Event::Accepted { .. }) => S::Accepted,
            (S::AwaitingReview, Event::Declined { .. }) => S::Declined,
            (S::Accepted, Event::Started { .. }) => S::Active {
                phase: Active::Started,
            },
            (
                S::Active {
                    phase: Active::Started,
                },
                Event::JobStarted { .. },
            ) => S::Active {
                phase: Active::InWork,
            },
            (S::Active { phase }, Event::Paused { .. }) => S::Paused { phase: *phase },
            (S::Paused { phase }, Event::Resumed { .. }) => S::Active { phase: *phase },
            (S::Active { phase } | S::Outreach { phase }, Event::ContactMissed { .. }) => {
                S::Outreach { phase: *phase }
            }
            (S::Active { phase } | S::Outreach { phase }, Event::ContactMade { .. }) => {
                S::Active { phase: *phase }
            }
            (
                S::Active {
                    phase: Active::InWork,
                },
                Event::JobEnded { .. },
            ) => S::Active {
                phase: Active::Started,
            },
            (
                S::Outreach {
                    phase: Active::InWork,
                },
                Event::JobEnded { .. },
            ) => S::Outreach {
                phase: Active::Started,
            },
            (
                S::Paused {
                    phase: Active::InWork,
                },
                Event::JobEnded { .. },
            ) => S::Paused {
                phase: Active::Started,
            },
            // Facts recorded about support under way: where the journey stands is unchanged.
            (
                s @ (S::Active { .. } | S::Paused { .. } | S::Outreach { .. }),
                Event::OutcomeCheckpoint { .. } | Event::HandoverDecided { .. },
            ) => s.clone(),
            // Consent changes the plan, not the stage (see `Journey::record` for its rules).
            (s, e) if e.is_consent() && !s.is_closed() => s.clone(),
            // A correction changes what is known, not where the journey stands.
            (s, Event::DetailsCorrected { .. }) if !s.is_closed() => s.clone(),
            // Who supports the participant, not where the journey stands.
            (s, Event::KeyWorkerAssigned { .. }) if !s.is_closed() => s.clone(),
            (s, Event::Exited { reason, .. }) if !s.is_closed() && *s != S::Referred => {
                S::Exited { reason: *reason }
            }
            (s, e) => {
                return Err(IllegalTransition {
                    state: s.name(),
                    event: e.name(),
                    hint: hint(s, e),
                });
            }
        };
        Ok(next)
    }
}

fn hint(state: &State, event: &Event) -> &'static str {
    match (state, event) {
        (s, _) if s.is_closed() => ": the journey is closed; make a new referral instead",
        (State::Accepted, _) => ": record `started` first",
        (State::Waitlisted, _) => ": record `accepted` when a place is free, or `exited`",
        (State::AwaitingReview, _) => ": a person must first record `accepted` or `declined`",
        (State::Paused { .. }, _) => ": record `resumed` first",
        (_, Event::Started { .. }) => ": the participant has already started",
        (_, Event::JobEnded { .. }) => ": record `job_started` first",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Eligibility, PluginDigest};
    use chrono::NaiveDate;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date")
    }

    fn decided(outcome: Outcome) -> Event {
        Event::EligibilityDecided {
            at: day(),
            decision: Eligibility {
                outcome,
                reasons: vec![],
                signpost: None,
            },
            plugin: PluginDigest::of(b"test"),
        }
    }

    #[test]
    fn accepted_referral_starts_then_finds_work_then_exits() {
        let s = State::Referred
            .apply(&decided(Outcome::Accept))
            .expect("decided");
        assert_eq!(s, State::Accepted);
        let s = s.apply(&Event::Started { at: day() }).expect("started");
        let s = s.apply(&Event::JobStarted { at: day() }).expect("job");
        assert_eq!(
            s,
            State::Active {
                phase: Active::InWork
            }
        );
        let s = s
            .apply(&Event::Exited {
                at: day(),
                reason: ExitReason::HandedOver,
            })
            .expect("exit");
        assert!(s.is_closed());
        assert_eq!(s.stage(), None);
    }

    #[test]
    fn pause_and_outreach_return_to_the_phase_they_left() {
        let started = State::Active {
            phase: Active::Started,
        };
        let paused = started.apply(&Event::Paused { at: day() }).expect("pause");
        assert_eq!(paused.stage(), Some(Stage::Paused));
        assert_eq!(
            paused.apply(&Event::Resumed { at: day() }),
            Ok(started.clone())
        );
        let out = started
            .apply(&Event::ContactMissed { at: day() })
            .expect("missed");
        let out = out
            .apply(&Event::ContactMissed { at: day() })
            .expect("missed again");
        assert_eq!(out.apply(&Event::ContactMade { at: day() }), Ok(started));
    }

    #[test]
    fn declined_referral_cannot_start_and_the_error_names_state_and_event() {
        let s = State::Referred
            .apply(&decided(Outcome::Decline))
            .expect("decided");
        let err = s.apply(&Event::Started { at: day() }).expect_err("illegal");
        let msg = err.to_string();
        assert!(msg.contains("`started`"), "{msg}");
        assert!(msg.contains("declined"), "{msg}");
    }

    #[test]
    fn a_resolved_review_takes_the_reviewers_outcome_once() {
        let awaiting = State::Referred
            .apply(&Event::SentForReview {
                at: day(),
                hook: "eligibility".into(),
                error: "out of fuel".into(),
            })
            .expect("sent");
        let resolved = |outcome| Event::ReviewResolved {
            at: day(),
            review: crate::review::ReviewId(1),
            outcome,
            note: "checked by hand".into(),
        };
        assert_eq!(
            awaiting.apply(&resolved(Outcome::Waitlist)),
            Ok(State::Waitlisted)
        );
        assert_eq!(
            awaiting.apply(&resolved(Outcome::Decline)),
            Ok(State::Declined)
        );
        let accepted = awaiting.apply(&resolved(Outcome::Accept)).expect("accept");
        assert_eq!(accepted, State::Accepted);
        assert!(accepted.apply(&resolved(Outcome::Decline)).is_err());
    }

    #[test]
    fn waitlisted_cannot_start_before_acceptance() {
        let s = State::Referred
            .apply(&decided(Outcome::Waitlist))
            .expect("decided");
        assert!(s.apply(&Event::Started { at: day() }).is_err());
        let s = s.apply(&Event::Accepted { at: day() }).expect("accepted");
        assert!(s.apply(&Event::Started { at: day() }).is_ok());
    }

    #[test]
    fn a_job_start_needs_a_started_participant() {
        assert!(
            State::Accepted
                .apply(&Event::JobStarted { at: day() })
                .is_err()
        );
        let paused = State::Paused {
            phase: Active::Started,
        };
        assert!(paused.apply(&Event::JobStarted { at: day() }).is_err());
    }
}
