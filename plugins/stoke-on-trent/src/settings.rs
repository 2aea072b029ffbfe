//! What Stoke-on-Trent's administrators can tune without a new plugin.
//!
//! Every field has a default (the programme as commissioned), so `{}` is a complete
//! configuration. The doc comments become the settings schema's descriptions, which
//! is what an administrator reads when editing them over HTTP.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_sdk::{Destination, PolicyError, Track};

/// Nobody under this age can join Connect to Work, whatever the settings say: it
/// is an employment programme for people above school age.
pub const PROGRAMME_MINIMUM_AGE: u32 = 16;

/// The longest track we accept in settings. The longest provision in published
/// guidance is IPES's 21 months; anything above two years is a typo, and would ask
/// for more timers than the host lets one plan have.
const MAX_TRACK_MONTHS: u32 = 24;

/// The longest gap, in days, any of the day-count settings may have.
const MAX_DAYS: u32 = 365;

/// Stoke-on-Trent City Council's Connect to Work settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Postcode districts (the outward code, e.g. `ST4`) whose residents the
    /// service takes. Compared ignoring case and surrounding spaces.
    pub postcode_districts: Vec<String>,
    /// Where to send someone who lives outside those districts.
    pub out_of_area_signpost: String,
    /// The youngest age accepted without conditions.
    pub minimum_age: u32,
    /// The youngest age accepted for someone on Universal Credit; below
    /// `minimum_age` it lets younger claimants join. Connect to Work takes nobody
    /// under 16. Set it equal to `minimum_age` to turn the exception off.
    pub minimum_age_on_universal_credit: u32,
    /// Where to send someone too young to join.
    pub under_age_signpost: String,
    /// Weeks between key-worker reviews, counted from the start date.
    pub review_every_weeks: u32,
    /// Also review weekly in the first month (one, two and three weeks after the
    /// start), for a denser start.
    pub weekly_in_first_month: bool,
    /// The longest support lasts on the out-of-work track, in months from the start.
    pub max_months_out_of_work: u32,
    /// The longest support lasts on the in-work-at-risk track, in months from the start.
    pub max_months_in_work_at_risk: u32,
    /// Days from the start by which the key worker first contacts an employer
    /// (IPS: within 30 days).
    pub first_employer_contact_days: u32,
    /// Days after a job start to check in with the employer.
    pub employer_check_in_days: u32,
    /// Outreach attempts after missed contacts before the journey closes as
    /// disengaged.
    pub outreach_attempts: u32,
    /// Days between outreach attempts.
    pub outreach_interval_days: u32,
    /// Who takes over at the end of support.
    pub handover_destination: Destination,
    /// What goes in every handover pack, item by item.
    pub handover_pack: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            // The districts that lie mostly within the city (inferred from the
            // postcode map, not a published rule). ST5 (Newcastle-under-Lyme) and
            // the rest of the ST area belong to neighbouring councils. A district
            // that straddles the boundary is taken whole; the key worker confirms
            // the address at the first meeting.
            postcode_districts: ["ST1", "ST2", "ST3", "ST4", "ST6"]
                .map(str::to_owned)
                .into(),
            out_of_area_signpost: "Your own council's employment support service: Connect to \
                Work is run by each council or partnership for its own residents. Find your \
                council at https://www.gov.uk/find-local-council."
                .to_owned(),
            minimum_age: 18,
            minimum_age_on_universal_credit: 16,
            under_age_signpost: "The National Careers Service \
                (https://nationalcareers.service.gov.uk, 0800 100 900), or a school or college \
                careers adviser."
                .to_owned(),
            review_every_weeks: 4,
            weekly_in_first_month: false,
            max_months_out_of_work: 12,
            max_months_in_work_at_risk: 4,
            first_employer_contact_days: 30,
            employer_check_in_days: 7,
            outreach_attempts: 3,
            outreach_interval_days: 7,
            handover_destination: Destination::Jobcentre,
            handover_pack: [
                "Action plan summary",
                "Job-search progress: applications, interviews and offers",
                "Skills, training and qualifications gained",
                "Barriers still open, and what has helped",
                "Contacts for follow-up: the key worker and any employer",
            ]
            .map(str::to_owned)
            .into(),
        }
    }
}

impl Settings {
    /// Refuses settings that parse but cannot be meant, naming the setting, so a
    /// typo goes to a person instead of quietly declining everyone or planning
    /// nothing.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.postcode_districts.iter().all(|d| d.trim().is_empty()) {
            return Err(PolicyError::new(
                "`postcode_districts` is empty, so every referral would be declined: list the \
                 districts the council serves, e.g. [\"ST1\", \"ST4\"]",
            ));
        }
        if self.minimum_age_on_universal_credit < PROGRAMME_MINIMUM_AGE {
            return Err(PolicyError::new(format!(
                "`minimum_age_on_universal_credit` is {}, but Connect to Work takes nobody under \
                 {PROGRAMME_MINIMUM_AGE}",
                self.minimum_age_on_universal_credit
            )));
        }
        if self.minimum_age_on_universal_credit > self.minimum_age {
            return Err(PolicyError::new(format!(
                "`minimum_age_on_universal_credit` ({}) is above `minimum_age` ({}); it can only \
                 lower the age for people on Universal Credit",
                self.minimum_age_on_universal_credit, self.minimum_age
            )));
        }
        in_range("review_every_weeks", self.review_every_weeks, 1, 52)?;
        in_range(
            "max_months_out_of_work",
            self.max_months_out_of_work,
            1,
            MAX_TRACK_MONTHS,
        )?;
        in_range(
            "max_months_in_work_at_risk",
            self.max_months_in_work_at_risk,
            1,
            MAX_TRACK_MONTHS,
        )?;
        in_range(
            "first_employer_contact_days",
            self.first_employer_contact_days,
            1,
            MAX_DAYS,
        )?;
        in_range(
            "employer_check_in_days",
            self.employer_check_in_days,
            1,
            MAX_DAYS,
        )?;
        in_range(
            "outreach_interval_days",
            self.outreach_interval_days,
            1,
            MAX_DAYS,
        )?;
        Ok(())
    }

    /// Whether a postcode district is one the council serves.
    pub fn serves(&self, district: &str) -> bool {
        let district = district.trim();
        self.postcode_districts
            .iter()
            .any(|served| served.trim().eq_ignore_ascii_case(district))
    }

    /// The longest support on a track, in months.
    pub fn max_months(&self, track: Track) -> u32 {
        match track {
            Track::OutOfWork => self.max_months_out_of_work,
            Track::InWorkAtRisk => self.max_months_in_work_at_risk,
        }
    }

    /// The districts as people write them: "ST1, ST2, ST3, ST4 and ST6".
    pub fn districts_in_words(&self) -> String {
        let districts: Vec<String> = self
            .postcode_districts
            .iter()
            .map(|d| d.trim().to_ascii_uppercase())
            .filter(|d| !d.is_empty())
            .collect();
        match districts.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            Some((last, _)) => last.clone(),
            None => String::new(),
        }
    }
}

fn in_range(name: &str, value: u32, low: u32, high: u32) -> Result<(), PolicyError> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(PolicyError::new(format!(
            "`{name}` is {value}; it must be from {low} to {high}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_programme_as_commissioned() {
        let s = Settings::default();
        assert_eq!(s.check(), Ok(()));
        assert_eq!(s.districts_in_words(), "ST1, ST2, ST3, ST4 and ST6");
        assert_eq!(s.max_months(Track::OutOfWork), 12);
        assert_eq!(s.max_months(Track::InWorkAtRisk), 4);
        assert!(!s.weekly_in_first_month);
    }

    #[test]
    fn districts_match_ignoring_case_and_spaces() {
        let s = Settings::default();
        assert!(s.serves("st4"));
        assert!(s.serves(" ST6 "));
        assert!(!s.serves("ST5"));
        assert!(!s.serves("ST"));
    }

    #[test]
    fn settings_that_cannot_be_meant_are_refused_by_name() {
        let bad = Settings {
            minimum_age_on_universal_credit: 14,
            ..Settings::default()
        };
        assert!(
            bad.check()
                .unwrap_err()
                .message()
                .contains("nobody under 16")
        );
        let bad = Settings {
            review_every_weeks: 0,
            ..Settings::default()
        };
        assert!(
            bad.check()
                .unwrap_err()
                .message()
                .starts_with("`review_every_weeks` is 0")
        );
        let bad = Settings {
            postcode_districts: vec![" ".to_owned()],
            ..Settings::default()
        };
        assert!(bad.check().is_err());
    }
}
