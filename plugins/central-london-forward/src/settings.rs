//! What Central London Forward's administrators can tune without a new plugin.
//! Every field has a default (the partnership as commissioned), so `{}` is complete.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_sdk::{Cohort, PolicyError, Track};

/// Nobody under this age can join Connect to Work, whatever the settings say.
pub const PROGRAMME_MINIMUM_AGE: u32 = 16;

/// A member borough and the postcode districts its residents live in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Borough {
    /// The borough's name, as residents are told it.
    pub name: String,
    /// Outward codes (e.g. `N1`) taken as this borough's.
    pub postcode_districts: Vec<String>,
}

/// Central London Forward's Connect to Work settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The member boroughs: a resident of any of them can join.
    pub boroughs: Vec<Borough>,
    /// Where to send someone living outside every member borough.
    pub out_of_area_signpost: String,
    /// The youngest age accepted without conditions.
    pub minimum_age: u32,
    /// The youngest age accepted on Universal Credit (16 lets 16–17-year-old claimants join).
    pub minimum_age_on_universal_credit: u32,
    /// Where to send someone too young to join.
    pub under_age_signpost: String,
    /// Decline people already on another employment programme (e.g. Restart).
    pub exclude_other_programmes: bool,
    /// Where to send someone already on another programme.
    pub other_programme_signpost: String,
    /// Whether the partnership has places now. When it does not, referrals in a
    /// priority cohort are still accepted and the rest are waitlisted.
    pub intake_open: bool,
    /// Cohorts accepted even when intake is closed.
    pub priority_cohorts: Vec<Cohort>,
    /// The longest anyone waits on the waiting list, in weeks.
    pub max_wait_weeks: u32,
    /// Where a waitlisted person can get help meanwhile.
    pub waitlist_signpost: String,
    /// Working days from referral to the key worker's call a waitlisted person is
    /// promised; it must fall before the maximum wait (`max_wait_weeks`) ends.
    pub waitlist_call_working_days: u32,
    /// Working days from referral to the first meeting once accepted.
    pub first_meeting_working_days: u32,
    /// Weeks between key-worker reviews, from the start.
    pub review_every_weeks: u32,
    /// The longest support lasts out of work, in months from the start.
    pub max_months_out_of_work: u32,
    /// The longest support lasts in work at risk, in months from the start.
    pub max_months_in_work_at_risk: u32,
    /// Days after a job start of weekly in-work contact (IPES: 182).
    pub in_work_weekly_days: u32,
    /// Weeks after a job start for the employer check-in.
    pub employer_check_in_weeks: u32,
    /// Days to each outreach attempt after a missed contact, one entry per attempt;
    /// after the last, a disengaged exit. The default is three attempts over six weeks.
    pub outreach_days: Vec<u32>,
}

fn borough(name: &str, districts: &[&str]) -> Borough {
    Borough {
        name: name.to_owned(),
        postcode_districts: districts.iter().map(|d| (*d).to_owned()).collect(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        // The twelve member boroughs and the districts mostly within each (inferred
        // from the postcode map, not a published list; a district shared between
        // boroughs is listed under one and accepted either way).
        let boroughs = vec![
            borough("Camden", &["NW1", "NW3", "NW5", "WC1"]),
            borough("City of London", &["EC1", "EC2", "EC3", "EC4"]),
            borough("Hackney", &["E5", "E8", "E9", "N16"]),
            borough("Haringey", &["N8", "N15", "N17", "N22"]),
            borough("Islington", &["N1", "N4", "N7", "N19"]),
            borough(
                "Kensington and Chelsea",
                &["W8", "W10", "W11", "SW3", "SW5", "SW7", "SW10"],
            ),
            borough("Lambeth", &["SE11", "SE27", "SW2", "SW4", "SW8", "SW9"]),
            borough("Lewisham", &["SE4", "SE6", "SE13", "SE14", "SE23"]),
            borough("Southwark", &["SE1", "SE5", "SE15", "SE16", "SE17", "SE22"]),
            borough("Tower Hamlets", &["E1", "E2", "E3", "E14"]),
            borough("Wandsworth", &["SW11", "SW12", "SW15", "SW17", "SW18"]),
            borough("Westminster", &["W1", "W2", "W9", "SW1", "WC2"]),
        ];
        Settings {
            boroughs,
            out_of_area_signpost: "Your own council's Connect to Work service: find your \
                council at https://www.gov.uk/find-local-council."
                .to_owned(),
            minimum_age: 18,
            minimum_age_on_universal_credit: 16,
            under_age_signpost: "The National Careers Service \
                (https://nationalcareers.service.gov.uk, 0800 100 900)."
                .to_owned(),
            exclude_other_programmes: true,
            other_programme_signpost: "Your current employment programme's key worker.".to_owned(),
            intake_open: true,
            priority_cohorts: vec![
                Cohort::CareExperienced,
                Cohort::Homeless,
                Cohort::Refugee,
                Cohort::DomesticAbuseSurvivor,
                Cohort::Veteran,
            ],
            max_wait_weeks: 8,
            waitlist_signpost: "Your Jobcentre work coach, or your borough's employment \
                service, can help while you wait."
                .to_owned(),
            waitlist_call_working_days: 10,
            first_meeting_working_days: 15,
            review_every_weeks: 4,
            max_months_out_of_work: 12,
            max_months_in_work_at_risk: 4,
            in_work_weekly_days: 182,
            employer_check_in_weeks: 4,
            outreach_days: vec![7, 14, 21],
        }
    }
}

impl Settings {
    /// Refuses settings that parse but cannot be meant, naming the setting.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self
            .boroughs
            .iter()
            .all(|b| b.postcode_districts.iter().all(|d| d.trim().is_empty()))
        {
            return Err(PolicyError::new(
                "`boroughs` lists no postcode districts, so every referral would be declined",
            ));
        }
        if self.minimum_age_on_universal_credit < PROGRAMME_MINIMUM_AGE
            || self.minimum_age_on_universal_credit > self.minimum_age
        {
            return Err(PolicyError::new(format!(
                "`minimum_age_on_universal_credit` is {}; it must be from {PROGRAMME_MINIMUM_AGE} \
                 to `minimum_age` ({})",
                self.minimum_age_on_universal_credit, self.minimum_age
            )));
        }
        in_range("max_wait_weeks", self.max_wait_weeks, 1, 52)?;
        // A week of the wait is five working days at most, so a call this many working
        // days after the referral always comes before the maximum wait ends.
        let before_the_wait_ends = self.max_wait_weeks.saturating_mul(5).saturating_sub(1);
        in_range(
            "waitlist_call_working_days",
            self.waitlist_call_working_days,
            1,
            before_the_wait_ends.max(1),
        )?;
        in_range(
            "first_meeting_working_days",
            self.first_meeting_working_days,
            1,
            60,
        )?;
        in_range("review_every_weeks", self.review_every_weeks, 1, 52)?;
        in_range("max_months_out_of_work", self.max_months_out_of_work, 1, 24)?;
        in_range(
            "max_months_in_work_at_risk",
            self.max_months_in_work_at_risk,
            1,
            24,
        )?;
        in_range("in_work_weekly_days", self.in_work_weekly_days, 0, 365)?;
        in_range(
            "employer_check_in_weeks",
            self.employer_check_in_weeks,
            1,
            26,
        )?;
        if self.outreach_days.iter().any(|d| !(1..=90).contains(d)) {
            return Err(PolicyError::new(format!(
                "`outreach_days` is {:?}; each attempt must be 1 to 90 days after the miss",
                self.outreach_days
            )));
        }
        Ok(())
    }

    /// The member borough a postcode district belongs to, if any.
    pub fn borough_of(&self, district: &str) -> Option<&str> {
        let district = district.trim();
        self.boroughs
            .iter()
            .find(|b| {
                b.postcode_districts
                    .iter()
                    .any(|d| d.trim().eq_ignore_ascii_case(district))
            })
            .map(|b| b.name.as_str())
    }

    /// The longest support on a track, in months.
    pub fn max_months(&self, track: Track) -> u32 {
        match track {
            Track::OutOfWork => self.max_months_out_of_work,
            Track::InWorkAtRisk => self.max_months_in_work_at_risk,
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
    fn a_district_is_found_in_its_member_borough() {
        let s = Settings::default();
        assert_eq!(s.check(), Ok(()));
        assert_eq!(s.borough_of("n1"), Some("Islington"));
        assert_eq!(s.borough_of("SE15"), Some("Southwark"));
        assert_eq!(s.borough_of(" EC2 "), Some("City of London"));
        // Croydon and Barnet are not members.
        assert_eq!(s.borough_of("CR0"), None);
        assert_eq!(s.borough_of("EN5"), None);
    }

    #[test]
    fn an_outreach_attempt_on_the_day_of_the_miss_is_refused() {
        let bad = Settings {
            outreach_days: vec![0, 14],
            ..Settings::default()
        };
        assert!(
            bad.check()
                .unwrap_err()
                .message()
                .starts_with("`outreach_days`")
        );
    }
}
