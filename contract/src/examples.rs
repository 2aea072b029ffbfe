//! Example inputs for tests, and builder methods to vary one fact at a time.
//! (Native targets only: none of this is compiled into a plugin's wasm.)
//!
//! A test should say only what matters to it: `Referral::example().with_age(17)`
//! reads as "an otherwise ordinary referral, aged 17".

use crate::{
    CheckpointResult, Cohort, Date, Journey, ProgrammeKind, Referral, ReferralRoute, Stage, Track,
};

impl Referral {
    /// An ordinary referral: a 30-year-old in `ST4` with a (self-declared) health
    /// condition or disability, out of work, not on Universal Credit, referred by
    /// the Jobcentre, in no priority cohort.
    pub fn example() -> Referral {
        Referral {
            route: ReferralRoute::Jobcentre,
            age: 30,
            postcode_district: "ST4".to_owned(),
            in_work: false,
            on_universal_credit: false,
            known_to_health_services: false,
            on_other_programme: false,
            cohorts: Vec::new(),
            health_condition_or_disability: true,
        }
    }

    pub fn with_route(self, route: ReferralRoute) -> Referral {
        Referral { route, ..self }
    }

    pub fn with_age(self, age: u32) -> Referral {
        Referral { age, ..self }
    }

    pub fn with_postcode_district(self, district: impl Into<String>) -> Referral {
        Referral {
            postcode_district: district.into(),
            ..self
        }
    }

    pub fn with_in_work(self, in_work: bool) -> Referral {
        Referral { in_work, ..self }
    }

    pub fn with_universal_credit(self, on_universal_credit: bool) -> Referral {
        Referral {
            on_universal_credit,
            ..self
        }
    }

    pub fn with_known_to_health_services(self, known: bool) -> Referral {
        Referral {
            known_to_health_services: known,
            ..self
        }
    }

    pub fn with_other_programme(self, on_other_programme: bool) -> Referral {
        Referral {
            on_other_programme,
            ..self
        }
    }

    pub fn with_cohort(mut self, cohort: Cohort) -> Referral {
        self.cohorts.push(cohort);
        self
    }

    pub fn with_health_condition_or_disability(self, declared: bool) -> Referral {
        Referral {
            health_condition_or_disability: declared,
            ..self
        }
    }
}

impl Journey {
    /// Waitlisted on `day` (referred the same day).
    pub fn waitlisted_on(day: Date) -> Journey {
        Journey {
            stage: Stage::Waitlisted,
            ..Journey::accepted_on(day)
        }
    }

    /// Accepted on `day` (referred the same day), support not yet started, on
    /// Connect to Work with a declared health condition or disability.
    pub fn accepted_on(day: Date) -> Journey {
        Journey {
            stage: Stage::Accepted,
            track: Track::OutOfWork,
            referred_on: day,
            started_on: None,
            job_started_on: None,
            missed_contacts: 0,
            employer_health_consent: false,
            mental_health_needs: false,
            programme: ProgrammeKind::ConnectToWork,
            support_ends_on: None,
            job_ended_on: None,
            outcome_checkpoints: Vec::new(),
            health_condition_or_disability: true,
        }
    }

    /// Support started on `day` (referred the same day), out of work, no job yet.
    pub fn started_on(day: Date) -> Journey {
        Journey {
            stage: Stage::Started,
            started_on: Some(day),
            ..Journey::accepted_on(day)
        }
    }

    /// In work from `day`: the stage becomes [`Stage::InWork`].
    pub fn with_job_started_on(self, day: Date) -> Journey {
        Journey {
            stage: Stage::InWork,
            job_started_on: Some(day),
            ..self
        }
    }

    pub fn with_stage(self, stage: Stage) -> Journey {
        Journey { stage, ..self }
    }

    pub fn with_track(self, track: Track) -> Journey {
        Journey { track, ..self }
    }

    pub fn with_referred_on(self, day: Date) -> Journey {
        Journey {
            referred_on: day,
            ..self
        }
    }

    pub fn with_missed_contacts(self, missed_contacts: u32) -> Journey {
        Journey {
            missed_contacts,
            ..self
        }
    }

    pub fn with_employer_health_consent(self, consent: bool) -> Journey {
        Journey {
            employer_health_consent: consent,
            ..self
        }
    }

    pub fn with_mental_health_needs(self, needs: bool) -> Journey {
        Journey {
            mental_health_needs: needs,
            ..self
        }
    }

    pub fn with_programme(self, programme: ProgrammeKind) -> Journey {
        Journey { programme, ..self }
    }

    /// The last day of support, as the host would compute it.
    pub fn with_support_ends_on(self, day: Date) -> Journey {
        Journey {
            support_ends_on: Some(day),
            ..self
        }
    }

    /// The job ended on `day`.
    pub fn with_job_ended_on(self, day: Date) -> Journey {
        Journey {
            job_ended_on: Some(day),
            ..self
        }
    }

    /// Adds a recorded outcome checkpoint (keep them oldest first).
    pub fn with_checkpoint(mut self, on: Date, met: bool, hours_per_week: u32) -> Journey {
        self.outcome_checkpoints.push(CheckpointResult {
            on,
            met,
            hours_per_week,
        });
        self
    }

    pub fn with_health_condition_or_disability(self, declared: bool) -> Journey {
        Journey {
            health_condition_or_disability: declared,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("a YYYY-MM-DD date")
    }

    #[test]
    fn a_job_start_moves_the_journey_in_work() {
        let j = Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        assert_eq!(j.stage, Stage::InWork);
        assert_eq!(j.started_on, Some(date("2026-01-05")));
        assert_eq!(j.job_started_on, Some(date("2026-03-02")));
    }

    #[test]
    fn builders_change_one_fact() {
        let r = Referral::example().with_age(17).with_universal_credit(true);
        assert_eq!((r.age, r.on_universal_credit), (17, true));
        assert_eq!(r.postcode_district, Referral::example().postcode_district);
    }

    #[test]
    fn the_1_1_builders_change_one_fact() {
        let j = Journey::waitlisted_on(date("2026-01-05"))
            .with_programme(ProgrammeKind::Ipes)
            .with_support_ends_on(date("2027-10-04"))
            .with_checkpoint(date("2026-04-06"), true, 16);
        assert_eq!(j.stage, Stage::Waitlisted);
        assert_eq!(j.programme, ProgrammeKind::Ipes);
        assert_eq!(j.support_ends_on, Some(date("2027-10-04")));
        assert_eq!(j.outcome_checkpoints.len(), 1);
        assert_eq!(j.started_on, None);
    }
}
