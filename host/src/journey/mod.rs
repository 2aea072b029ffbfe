//! The participant journey, as pure functions.
//!
//! A journey is an append-only list of events; its state is their fold. Recording an
//! event checks the transition and the date order and returns the new journey, or an
//! error that names the state and the event. Nothing here does I/O or reads the clock:
//! the as-of date always comes in. Every rule that differs between councils is asked
//! of the council's policy plugin by `caseload`, never decided here.

mod consent;
mod event;
mod participant;
mod referral;
mod state;

pub use consent::{AllowedTimers, ConsentPurpose, ConsentStatus, Consents, PurposeConsent};
pub use event::{CaseworkerEvent, Event, ExitReason};
pub use participant::{InvalidParticipantId, ParticipantId};
pub use referral::{
    InvalidReferral, Referral, ReferralCorrection, ReferralField, age_on, postcode_district,
};
pub use state::{Active, IllegalTransition, State};

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::council::CouncilId;
use crate::policy::{Cohort, JourneyFacts, Track};

/// Programme maxima (Connect to Work): a plugin may end support earlier, never later.
pub fn maximum_months(track: Track) -> u32 {
    match track {
        Track::OutOfWork => 12,
        Track::InWorkAtRisk => 4,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub council: CouncilId,
    pub participant: ParticipantId,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JourneyError {
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(
        "event date {at} is before the journey's last event on {last}: events are recorded in date order"
    )]
    OutOfOrder { at: NaiveDate, last: NaiveDate },
    #[error("a journey begins with its referral")]
    NoReferral,
    #[error(
        "consent to `{}` is already {}: there is no change to record", .purpose.as_str(), if *.given { "given" } else { "withdrawn" }
    )]
    ConsentUnchanged {
        purpose: ConsentPurpose,
        given: bool,
    },
    #[error(
        "a `{event}` event cannot be recorded while the participant has withdrawn consent to take part: record `consent_given` for `taking_part` when they come back, or `exited`"
    )]
    NotTakingPart { event: &'static str },
    #[error(transparent)]
    InvalidDetails(#[from] InvalidReferral),
}

impl Journey {
    /// A new journey from a referral; eligibility is decided next.
    pub fn refer(
        council: CouncilId,
        participant: ParticipantId,
        at: NaiveDate,
        referral: Referral,
    ) -> Journey {
        Journey {
            council,
            participant,
            events: vec![Event::Referred { at, referral }],
        }
    }

    pub fn referral(&self) -> Option<(&Referral, NaiveDate)> {
        self.events.iter().find_map(|e| match e {
            Event::Referred { referral, at } => Some((referral, *at)),
            _ => None,
        })
    }

    /// The fold of the events. Stored journeys were built through [`Journey::record`],
    /// so every stored event applies; an error here means the store was tampered with.
    pub fn state(&self) -> Result<State, JourneyError> {
        let mut events = self.events.iter();
        match events.next() {
            Some(Event::Referred { .. }) => {}
            _ => return Err(JourneyError::NoReferral),
        }
        events.try_fold(State::Referred, |s, e| Ok(s.apply(e)?))
    }

    /// The journey with `event` appended, if the transition and its date are legal.
    pub fn record(&self, event: Event) -> Result<(Journey, State), JourneyError> {
        let state = self.state()?;
        if let Some(last) = self.events.last().map(Event::at)
            && event.at() < last
        {
            return Err(JourneyError::OutOfOrder {
                at: event.at(),
                last,
            });
        }
        let next = state.apply(&event)?;
        let consents = self.consents();
        match &event {
            Event::ConsentGiven { purpose, .. } | Event::ConsentWithdrawn { purpose, .. } => {
                let given = matches!(event, Event::ConsentGiven { .. });
                let now = consents.get(*purpose).status;
                if (given && now == ConsentStatus::Given)
                    || (!given && now == ConsentStatus::Withdrawn)
                {
                    return Err(JourneyError::ConsentUnchanged {
                        purpose: *purpose,
                        given,
                    });
                }
            }
            e if e.needs_taking_part() && !consents.allows(ConsentPurpose::TakingPart) => {
                return Err(JourneyError::NotTakingPart { event: e.name() });
            }
            _ => {}
        }
        let mut journey = self.clone();
        journey.events.push(event);
        Ok((journey, next))
    }

    /// The journey with its referral details corrected on `at`, or `None` when the
    /// correction changes nothing. The corrected values overwrite the `referred`
    /// event's (rectification replaces a wrong value rather than keeping it beside the
    /// right one); a `details_corrected` event records which fields changed and when.
    /// The eligibility decision stands: it is not asked again.
    pub fn correct(
        &self,
        at: NaiveDate,
        correction: &ReferralCorrection,
    ) -> Result<Option<(Journey, State)>, JourneyError> {
        if correction.is_empty() {
            return Err(InvalidReferral::EmptyCorrection.into());
        }
        let (referral, referred_on) = self.referral().ok_or(JourneyError::NoReferral)?;
        let (fixed, fields) = referral.corrected(correction);
        if fields.is_empty() {
            return Ok(None);
        }
        fixed.validate(referred_on)?;
        let (mut journey, state) = self.record(Event::DetailsCorrected {
            at,
            fields,
            recorded_at: None,
        })?;
        for event in &mut journey.events {
            if let Event::Referred { referral, .. } = event {
                *referral = fixed.clone();
            }
        }
        Ok(Some((journey, state)))
    }

    /// The participant's consent per purpose, as recorded.
    pub fn consents(&self) -> Consents {
        Consents::of(&self.events)
    }

    fn last_date(&self, pick: impl Fn(&Event) -> bool) -> Option<NaiveDate> {
        self.events.iter().rev().find(|e| pick(e)).map(Event::at)
    }

    pub fn started_on(&self) -> Option<NaiveDate> {
        self.last_date(|e| matches!(e, Event::Started { .. }))
    }

    /// The last day the programme allows support, once started.
    pub fn support_ends_on(&self) -> Option<NaiveDate> {
        let (referral, _) = self.referral()?;
        self.started_on()?
            .checked_add_months(Months::new(maximum_months(referral.track())))
    }

    /// The date a council's retention period runs from: the day the journey closed
    /// (its exit or decline), or for a journey never closed, the end of the support the
    /// programme allows. `None` for an open journey that has not started.
    pub fn retention_from(&self) -> Option<NaiveDate> {
        match self.state() {
            Ok(s) if s.is_closed() => self.events.last().map(Event::at),
            Ok(_) => self.support_ends_on(),
            Err(_) => None,
        }
    }

    /// What the plugin is shown to plan this journey, or `None` when nothing is planned.
    pub fn facts(&self) -> Result<Option<JourneyFacts>, JourneyError> {
        let state = self.state()?;
        let (Some(stage), Some((referral, referred_on))) = (state.stage(), self.referral()) else {
            return Ok(None);
        };
        let consents = self.consents();
        if !consents.allows(ConsentPurpose::TakingPart) {
            return Ok(None); // withdrawn from taking part: nothing is scheduled
        }
        let since_last_contact = self
            .events
            .iter()
            .rposition(|e| matches!(e, Event::ContactMade { .. }))
            .map_or(0, |i| i + 1);
        let missed_contacts = self.events[since_last_contact..]
            .iter()
            .filter(|e| matches!(e, Event::ContactMissed { .. }))
            .count();
        Ok(Some(JourneyFacts {
            stage,
            track: referral.track(),
            referred_on,
            started_on: self.started_on(),
            job_started_on: self.last_date(|e| matches!(e, Event::JobStarted { .. })),
            missed_contacts: u32::try_from(missed_contacts).unwrap_or(u32::MAX),
            employer_health_consent: consents.allows_health_with_employer(),
            mental_health_needs: referral.cohorts.contains(&Cohort::MentalHealth),
            programme: Default::default(),
            support_ends_on: None,
            job_ended_on: None,
            outcome_checkpoints: Vec::new(),
            health_condition_or_disability: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Eligibility, Outcome, PluginDigest, ReferralRoute, Stage};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn referral(in_work: bool) -> Referral {
        Referral {
            route: ReferralRoute::Jobcentre,
            date_of_birth: d(1990, 3, 1),
            postcode: "ST4 1AB".into(),
            in_work,
            on_universal_credit: true,
            known_to_health_services: false,
            on_other_programme: false,
            cohorts: vec![Cohort::MentalHealth],
            health_condition_or_disability: false,
        }
    }

    /// Accepted on 2 January, then exited (completed) on 3 January: a closed journey.
    fn completed_on_3_january() -> Journey {
        let (j, _) = accepted(false)
            .record(Event::Exited {
                at: d(2026, 1, 3),
                reason: ExitReason::Completed,
            })
            .expect("exit");
        j
    }

    fn accepted(in_work: bool) -> Journey {
        let j = Journey::refer(
            "stoke-on-trent".parse().expect("id"),
            ParticipantId::new_random(),
            d(2026, 1, 2),
            referral(in_work),
        );
        let (j, _) = j
            .record(Event::EligibilityDecided {
                at: d(2026, 1, 2),
                decision: Eligibility {
                    outcome: Outcome::Accept,
                    reasons: vec![],
                    signpost: None,
                },
                plugin: PluginDigest::of(b"p"),
            })
            .expect("decided");
        j
    }

    #[test]
    fn in_work_track_ends_four_months_after_start() {
        let (j, _) = accepted(true)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        assert_eq!(j.support_ends_on(), Some(d(2026, 5, 5)));
        let (j, _) = accepted(false)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        assert_eq!(j.support_ends_on(), Some(d(2027, 1, 5)));
    }

    #[test]
    fn events_out_of_date_order_are_refused() {
        let err = accepted(false)
            .record(Event::Started { at: d(2025, 12, 1) })
            .expect_err("out of order");
        assert!(matches!(err, JourneyError::OutOfOrder { .. }), "{err}");
    }

    #[test]
    fn facts_show_age_free_journey_data_and_count_missed_contacts() {
        let (j, _) = accepted(false)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        let (j, _) = j
            .record(Event::ContactMissed { at: d(2026, 1, 12) })
            .expect("miss");
        let (j, _) = j
            .record(Event::ContactMissed { at: d(2026, 1, 19) })
            .expect("miss");
        let facts = j.facts().expect("facts").expect("planned");
        assert_eq!(facts.stage, Stage::Outreach);
        assert_eq!(facts.missed_contacts, 2);
        assert!(facts.mental_health_needs);
        let (j, _) = j
            .record(Event::ContactMade { at: d(2026, 1, 20) })
            .expect("made");
        assert_eq!(
            j.facts().expect("facts").expect("planned").missed_contacts,
            0
        );
    }

    fn consent(given: bool, purpose: ConsentPurpose, at: NaiveDate) -> Event {
        if given {
            Event::ConsentGiven {
                at,
                purpose,
                recorded_at: None,
            }
        } else {
            Event::ConsentWithdrawn {
                at,
                purpose,
                recorded_at: None,
            }
        }
    }

    #[test]
    fn withdrawing_taking_part_plans_nothing_and_refuses_progress_until_given_again() {
        let (j, _) = accepted(false)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        let (j, state) = j
            .record(consent(false, ConsentPurpose::TakingPart, d(2026, 1, 8)))
            .expect("withdraw");
        // The stage is kept, so the journey resumes where it was.
        assert_eq!(
            state,
            State::Active {
                phase: Active::Started
            }
        );
        assert_eq!(j.facts().expect("facts"), None);
        let err = j
            .record(Event::ContactMissed { at: d(2026, 1, 9) })
            .expect_err("refused while withdrawn");
        assert!(matches!(err, JourneyError::NotTakingPart { .. }), "{err}");
        assert!(err.to_string().contains("consent_given"), "{err}");
        // Exiting is still possible (the participant may leave for good).
        assert!(
            j.record(Event::Exited {
                at: d(2026, 1, 9),
                reason: ExitReason::Withdrew
            })
            .is_ok()
        );
        let (j, _) = j
            .record(consent(true, ConsentPurpose::TakingPart, d(2026, 2, 2)))
            .expect("re-consent");
        let facts = j.facts().expect("facts").expect("planned again");
        assert_eq!(facts.stage, Stage::Started);
        assert_eq!(facts.started_on, Some(d(2026, 1, 5)));
        assert!(j.record(Event::ContactMade { at: d(2026, 2, 3) }).is_ok());
    }

    #[test]
    fn consent_that_does_not_change_is_refused() {
        let j = accepted(false);
        let (j, _) = j
            .record(consent(
                true,
                ConsentPurpose::EmployerContact,
                d(2026, 1, 3),
            ))
            .expect("give");
        let err = j
            .record(consent(
                true,
                ConsentPurpose::EmployerContact,
                d(2026, 1, 4),
            ))
            .expect_err("already given");
        assert_eq!(
            err,
            JourneyError::ConsentUnchanged {
                purpose: ConsentPurpose::EmployerContact,
                given: true
            }
        );
        // Refusing a purpose never asked about is a change: it is recorded.
        let (j, _) = j
            .record(consent(
                false,
                ConsentPurpose::FamilyOrProfessionals,
                d(2026, 1, 4),
            ))
            .expect("refuse");
        assert!(
            j.record(consent(
                false,
                ConsentPurpose::FamilyOrProfessionals,
                d(2026, 1, 5)
            ))
            .is_err()
        );
        let view = j.consents().family_or_professionals;
        assert_eq!(view.status, ConsentStatus::Withdrawn);
        assert_eq!(view.changed_on, Some(d(2026, 1, 4)));
    }

    #[test]
    fn consent_cannot_change_on_a_closed_journey() {
        let j = completed_on_3_january();
        let err = j
            .record(consent(false, ConsentPurpose::TakingPart, d(2026, 1, 4)))
            .expect_err("closed");
        assert!(matches!(err, JourneyError::Illegal(_)), "{err}");
    }

    #[test]
    fn the_plugin_sees_health_consent_only_with_employer_contact_consent() {
        let (j, _) = accepted(false)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        let (j, _) = j
            .record(consent(
                true,
                ConsentPurpose::HealthWithEmployer,
                d(2026, 1, 6),
            ))
            .expect("health");
        assert!(
            !j.facts()
                .expect("facts")
                .expect("planned")
                .employer_health_consent
        );
        let (j, _) = j
            .record(consent(
                true,
                ConsentPurpose::EmployerContact,
                d(2026, 1, 6),
            ))
            .expect("employer");
        assert!(
            j.facts()
                .expect("facts")
                .expect("planned")
                .employer_health_consent
        );
    }

    #[test]
    fn retention_runs_from_the_close_or_else_the_end_of_support() {
        assert_eq!(accepted(false).retention_from(), None);
        let (started, _) = accepted(false)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        assert_eq!(started.retention_from(), Some(d(2027, 1, 5)));
        let (exited, _) = started
            .record(Event::Exited {
                at: d(2026, 3, 9),
                reason: ExitReason::MovedAway,
            })
            .expect("exit");
        assert_eq!(exited.retention_from(), Some(d(2026, 3, 9)));
    }

    fn new_postcode() -> ReferralCorrection {
        ReferralCorrection {
            postcode: Some("NG7 2RD".into()),
            ..ReferralCorrection::default()
        }
    }

    #[test]
    fn corrected_details_replace_the_old_and_the_old_values_are_nowhere_in_the_journey() {
        let (j, _) = accepted(false)
            .record(Event::Started { at: d(2026, 1, 5) })
            .expect("start");
        let correction = ReferralCorrection {
            postcode: Some("NG7 2RD".into()),
            date_of_birth: Some(d(1991, 4, 2)),
            in_work: Some(true),
            // Given but unchanged: not recorded as a change.
            on_universal_credit: Some(true),
            ..ReferralCorrection::default()
        };
        let (fixed, state) = j
            .correct(d(2026, 1, 6), &correction)
            .expect("valid")
            .expect("changed");
        assert_eq!(
            state,
            State::Active {
                phase: Active::Started
            }
        );
        let (referral, referred_on) = fixed.referral().expect("referral");
        assert_eq!(referred_on, d(2026, 1, 2));
        assert_eq!(referral.postcode, "NG7 2RD");
        assert_eq!(referral.date_of_birth, d(1991, 4, 2));
        assert_eq!(referral.track(), Track::InWorkAtRisk);
        // The corrected facts are what the journey now plans from.
        assert_eq!(fixed.support_ends_on(), Some(d(2026, 5, 5)));
        assert_eq!(
            fixed.events.last(),
            Some(&Event::DetailsCorrected {
                at: d(2026, 1, 6),
                fields: vec![
                    ReferralField::DateOfBirth,
                    ReferralField::Postcode,
                    ReferralField::InWork
                ],
                recorded_at: None,
            })
        );
        let stored = serde_json::to_string(&fixed).expect("serialize");
        assert!(!stored.contains("ST4 1AB"), "{stored}");
        assert!(!stored.contains("1990-03-01"), "{stored}");
        assert!(
            stored.contains("\"type\":\"details_corrected\""),
            "{stored}"
        );
        let back: Journey = serde_json::from_str(&stored).expect("deserialize");
        assert_eq!(back, fixed);
    }

    #[test]
    fn a_correction_that_changes_nothing_records_nothing() {
        let same = ReferralCorrection {
            postcode: Some("ST4 1AB".into()),
            ..ReferralCorrection::default()
        };
        assert_eq!(accepted(false).correct(d(2026, 1, 3), &same), Ok(None));
    }

    #[test]
    fn an_invalid_or_empty_correction_is_refused_like_a_referral() {
        let j = accepted(false);
        let bad = ReferralCorrection {
            postcode: Some("not a postcode".into()),
            ..ReferralCorrection::default()
        };
        assert_eq!(
            j.correct(d(2026, 1, 3), &bad),
            Err(JourneyError::InvalidDetails(InvalidReferral::Postcode))
        );
        let unborn = ReferralCorrection {
            date_of_birth: Some(d(2026, 6, 1)),
            ..ReferralCorrection::default()
        };
        assert!(matches!(
            j.correct(d(2026, 1, 3), &unborn),
            Err(JourneyError::InvalidDetails(
                InvalidReferral::BornAfterReferral(..)
            ))
        ));
        assert_eq!(
            j.correct(d(2026, 1, 3), &ReferralCorrection::default()),
            Err(JourneyError::InvalidDetails(
                InvalidReferral::EmptyCorrection
            ))
        );
    }

    #[test]
    fn a_closed_journey_cannot_be_corrected() {
        let j = completed_on_3_january();
        let err = j
            .correct(d(2026, 1, 4), &new_postcode())
            .expect_err("closed");
        assert!(matches!(err, JourneyError::Illegal(_)), "{err}");
    }

    #[test]
    fn a_correction_is_allowed_while_consent_to_take_part_is_withdrawn() {
        let (j, _) = accepted(false)
            .record(consent(false, ConsentPurpose::TakingPart, d(2026, 1, 3)))
            .expect("withdraw");
        assert!(matches!(
            j.correct(d(2026, 1, 4), &new_postcode()),
            Ok(Some(_))
        ));
    }

    #[test]
    fn exited_journey_plans_nothing() {
        let (j, _) = accepted(false)
            .record(Event::Exited {
                at: d(2026, 1, 3),
                reason: ExitReason::Withdrew,
            })
            .expect("exit");
        assert_eq!(j.facts().expect("facts"), None);
    }
}
