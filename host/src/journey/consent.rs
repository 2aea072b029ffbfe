//! Consent per purpose, as the fold of a journey's consent events.
//!
//! Consent, where it is the lawful basis, is given per purpose and can be withdrawn at
//! any time. Each purpose has a rule for what holds before anything is recorded:
//! taking part is presumed (a referral is voluntary, so being referred is agreeing to
//! take part) until it is withdrawn; every other purpose needs consent recorded as
//! given. Withdrawing consent to take part stops all scheduling for the participant
//! until they give it again, when their journey resumes where it was with a fresh plan.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::event::Event;
use crate::policy::{PlannedTimer, Reason};

/// What a participant may consent to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Taking part in the programme at all. Withdrawn: nothing is scheduled.
    TakingPart,
    /// The key worker contacting employers about the participant (first employer
    /// contact, employer check-ins). Not given: no such work is scheduled.
    EmployerContact,
    /// Discussing the participant's health needs with an employer (health is special
    /// category data). Effective only with `employer_contact` given too.
    HealthWithEmployer,
    /// Contacting the participant's family or the professionals around them.
    FamilyOrProfessionals,
}

impl ConsentPurpose {
    pub const ALL: [ConsentPurpose; 4] = [
        ConsentPurpose::TakingPart,
        ConsentPurpose::EmployerContact,
        ConsentPurpose::HealthWithEmployer,
        ConsentPurpose::FamilyOrProfessionals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::TakingPart => "taking_part",
            ConsentPurpose::EmployerContact => "employer_contact",
            ConsentPurpose::HealthWithEmployer => "health_with_employer",
            ConsentPurpose::FamilyOrProfessionals => "family_or_professionals",
        }
    }

    /// Whether the purpose is allowed before any consent is recorded for it.
    pub fn presumed(self) -> bool {
        matches!(self, ConsentPurpose::TakingPart)
    }
}

/// Where consent to one purpose stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    /// Nothing recorded: the purpose's presumption holds (see [`ConsentPurpose::presumed`]).
    NotRecorded,
    Given,
    Withdrawn,
}

/// Consent to one purpose, with its last change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PurposeConsent {
    pub status: ConsentStatus,
    /// Whether the purpose is allowed now (the status, or the purpose's presumption).
    pub allowed: bool,
    /// The date of the last change, as recorded by the caseworker.
    pub changed_on: Option<NaiveDate>,
    /// When Waymark recorded the last change.
    pub recorded_at: Option<DateTime<Utc>>,
}

impl PurposeConsent {
    fn not_recorded(purpose: ConsentPurpose) -> PurposeConsent {
        PurposeConsent {
            status: ConsentStatus::NotRecorded,
            allowed: purpose.presumed(),
            changed_on: None,
            recorded_at: None,
        }
    }
}

/// A participant's consent, per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Consents {
    pub taking_part: PurposeConsent,
    pub employer_contact: PurposeConsent,
    pub health_with_employer: PurposeConsent,
    pub family_or_professionals: PurposeConsent,
}

impl Default for Consents {
    fn default() -> Self {
        use ConsentPurpose as P;
        Consents {
            taking_part: PurposeConsent::not_recorded(P::TakingPart),
            employer_contact: PurposeConsent::not_recorded(P::EmployerContact),
            health_with_employer: PurposeConsent::not_recorded(P::HealthWithEmployer),
            family_or_professionals: PurposeConsent::not_recorded(P::FamilyOrProfessionals),
        }
    }
}

impl Consents {
    /// The fold of a journey's consent events.
    pub fn of(events: &[Event]) -> Consents {
        let mut consents = Consents::default();
        for event in events {
            let (purpose, status, at, recorded_at) = match event {
                Event::ConsentGiven {
                    at,
                    purpose,
                    recorded_at,
                } => (*purpose, ConsentStatus::Given, *at, *recorded_at),
                Event::ConsentWithdrawn {
                    at,
                    purpose,
                    recorded_at,
                } => (*purpose, ConsentStatus::Withdrawn, *at, *recorded_at),
                _ => continue,
            };
            *consents.slot(purpose) = PurposeConsent {
                status,
                allowed: status == ConsentStatus::Given,
                changed_on: Some(at),
                recorded_at,
            };
        }
        consents
    }

    fn slot(&mut self, purpose: ConsentPurpose) -> &mut PurposeConsent {
        match purpose {
            ConsentPurpose::TakingPart => &mut self.taking_part,
            ConsentPurpose::EmployerContact => &mut self.employer_contact,
            ConsentPurpose::HealthWithEmployer => &mut self.health_with_employer,
            ConsentPurpose::FamilyOrProfessionals => &mut self.family_or_professionals,
        }
    }

    pub fn get(&self, purpose: ConsentPurpose) -> PurposeConsent {
        match purpose {
            ConsentPurpose::TakingPart => self.taking_part,
            ConsentPurpose::EmployerContact => self.employer_contact,
            ConsentPurpose::HealthWithEmployer => self.health_with_employer,
            ConsentPurpose::FamilyOrProfessionals => self.family_or_professionals,
        }
    }

    pub fn allows(&self, purpose: ConsentPurpose) -> bool {
        self.get(purpose).allowed
    }

    /// Health may be discussed with an employer only when the employer may be contacted at all.
    pub fn allows_health_with_employer(&self) -> bool {
        self.allows(ConsentPurpose::EmployerContact)
            && self.allows(ConsentPurpose::HealthWithEmployer)
    }

    /// The planned timers this consent allows: work that contacts an employer needs
    /// consent to employer contact. Applied by the host to every plan (the daemon's and
    /// the simulation's alike), so no plugin can schedule such work by mistake.
    pub fn allowed_timers<'a>(&self, timers: &'a [PlannedTimer]) -> AllowedTimers<'a> {
        let employer = self.allows(ConsentPurpose::EmployerContact);
        let mut withheld = Vec::new();
        let allowed = timers
            .iter()
            .filter(|t| {
                let ok = employer || !t.kind.contacts_employer();
                if !ok {
                    withheld.push(t.kind.as_str());
                }
                ok
            })
            .collect();
        AllowedTimers { allowed, withheld }
    }
}

/// A plan's timers after the participant's consent: those to schedule, and the kinds
/// of those withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedTimers<'a> {
    pub allowed: Vec<&'a PlannedTimer>,
    pub withheld: Vec<&'static str>,
}

impl AllowedTimers<'_> {
    /// The host's reason for what it withheld, to join the plan's decision record;
    /// `None` when nothing was.
    pub fn reason(&self) -> Option<Reason> {
        if self.withheld.is_empty() {
            return None;
        }
        let mut kinds = self.withheld.clone();
        kinds.dedup();
        Some(Reason {
            rule: "host.consent.employer_contact".into(),
            text: format!(
                "Not scheduled ({}): the participant has not consented to contact with employers.",
                kinds.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::TimerKind;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, d).expect("valid date")
    }

    #[test]
    fn taking_part_is_presumed_and_everything_else_needs_consent() {
        let c = Consents::of(&[]);
        assert!(c.allows(ConsentPurpose::TakingPart));
        assert!(!c.allows(ConsentPurpose::EmployerContact));
        assert!(!c.allows(ConsentPurpose::HealthWithEmployer));
        assert!(!c.allows(ConsentPurpose::FamilyOrProfessionals));
        for p in ConsentPurpose::ALL {
            assert_eq!(c.get(p).status, ConsentStatus::NotRecorded);
            assert_eq!(c.get(p).changed_on, None);
        }
    }

    #[test]
    fn the_last_change_per_purpose_wins_and_keeps_its_date() {
        let at = DateTime::from_timestamp(1_770_000_000, 0).expect("instant");
        let c = Consents::of(&[
            Event::ConsentGiven {
                at: day(2),
                purpose: ConsentPurpose::EmployerContact,
                recorded_at: None,
            },
            Event::ConsentWithdrawn {
                at: day(3),
                purpose: ConsentPurpose::TakingPart,
                recorded_at: None,
            },
            Event::ConsentGiven {
                at: day(9),
                purpose: ConsentPurpose::TakingPart,
                recorded_at: Some(at),
            },
        ]);
        assert!(c.allows(ConsentPurpose::EmployerContact));
        assert_eq!(c.employer_contact.changed_on, Some(day(2)));
        assert_eq!(c.taking_part.status, ConsentStatus::Given);
        assert_eq!(c.taking_part.changed_on, Some(day(9)));
        assert_eq!(c.taking_part.recorded_at, Some(at));
        assert!(!c.allows(ConsentPurpose::FamilyOrProfessionals));
    }

    #[test]
    fn health_with_an_employer_needs_employer_contact_too() {
        let health = Event::ConsentGiven {
            at: day(2),
            purpose: ConsentPurpose::HealthWithEmployer,
            recorded_at: None,
        };
        assert!(!Consents::of(std::slice::from_ref(&health)).allows_health_with_employer());
        let both = Consents::of(&[
            health,
            Event::ConsentGiven {
                at: day(2),
                purpose: ConsentPurpose::EmployerContact,
                recorded_at: None,
            },
        ]);
        assert!(both.allows_health_with_employer());
    }

    #[test]
    fn employer_work_is_withheld_without_employer_contact_consent_and_says_why() {
        let timer = |kind| PlannedTimer {
            kind,
            due: day(20),
            purpose: "work".into(),
        };
        let timers = [
            timer(TimerKind::Review),
            timer(TimerKind::FirstEmployerContact),
            timer(TimerKind::EmployerCheckIn),
        ];
        let none = Consents::default().allowed_timers(&timers);
        assert_eq!(none.allowed.len(), 1);
        assert_eq!(none.allowed[0].kind, TimerKind::Review);
        assert_eq!(
            none.withheld,
            vec!["first_employer_contact", "employer_check_in"]
        );
        let reason = none.reason().expect("a reason for what was withheld");
        assert_eq!(reason.rule, "host.consent.employer_contact");
        assert!(reason.text.contains("employer_check_in"), "{}", reason.text);

        let given = Consents::of(&[Event::ConsentGiven {
            at: day(1),
            purpose: ConsentPurpose::EmployerContact,
            recorded_at: None,
        }]);
        let all = given.allowed_timers(&timers);
        assert_eq!(all.allowed.len(), 3);
        assert!(all.withheld.is_empty());
        assert_eq!(all.reason(), None);
    }
}
