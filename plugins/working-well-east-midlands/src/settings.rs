//! What Working Well – East Midlands administrators can tune without a new plugin.
//! Every field has a default (the service as commissioned), so `{}` is complete.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_sdk::PolicyError;

/// Working Well – East Midlands settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Postcode districts (outward codes) of Nottingham, Nottinghamshire and Derby
    /// whose residents the service takes. Compared ignoring case and spaces.
    pub postcode_districts: Vec<String>,
    /// Where to send someone who lives outside those districts.
    pub out_of_area_signpost: String,
    /// The youngest age accepted (IPS in Primary Care is an adult service).
    pub minimum_age: u32,
    /// Take only referrals from a GP or another health professional.
    pub health_route_only: bool,
    /// Take only people known to health services (registered with a local GP).
    pub require_known_to_health_services: bool,
    /// Where to send someone referred by another route, or not known to health services.
    pub route_signpost: String,
    /// Decline people already on another employment programme (e.g. Restart).
    pub exclude_other_programmes: bool,
    /// Where to send someone already on another programme.
    pub other_programme_signpost: String,
    /// Working days from referral to the first meeting.
    pub first_meeting_working_days: u32,
    /// Weekly reviews for this many weeks after the start, then `review_every_weeks`.
    pub weekly_review_weeks: u32,
    /// Weeks between reviews after the first, weekly, weeks.
    pub review_every_weeks: u32,
    /// The longest pre-employment support lasts, in months from the start.
    pub max_months: u32,
    /// Weeks of weekly in-work reviews after a job start, before stepping down.
    pub in_work_weekly_weeks: u32,
    /// Weeks (from the job start) until fortnightly in-work reviews step down to every four weeks.
    pub in_work_fortnightly_until_week: u32,
    /// In-work support is time-unlimited; the plan reaches this many months past the
    /// job start, where a step-down review agrees whether to carry on.
    pub in_work_plan_months: u32,
    /// Outcome rule: hours a week the job must give…
    pub outcome_hours_per_week: u32,
    /// …for this many weeks…
    pub outcome_weeks: u32,
    /// …within a window of this many weeks from the job start.
    pub outcome_window_weeks: u32,
    /// Weeks after a job start for the employer check-in (only with consent to
    /// discuss health: every contact from a health service discloses it).
    pub employer_check_in_weeks: u32,
    /// Outreach attempts after missed contacts before a disengaged exit. IPS never
    /// closes a case for one missed appointment.
    pub outreach_attempts: u32,
    /// Working days between outreach attempts.
    pub outreach_interval_working_days: u32,
    /// From this attempt on, outreach goes through the referring health professional.
    pub outreach_via_health_professional_from: u32,
}

impl Default for Settings {
    fn default() -> Self {
        // Nottingham and Nottinghamshire (NG1–NG25, and Bassetlaw's S80, S81, DN22)
        // and the city of Derby with its fringe (DE1–DE3, DE21–DE24, DE65, DE72,
        // DE73). Inferred from the postcode map, not a published list: a district
        // that straddles the boundary is taken whole, and the key worker confirms
        // the GP practice at the first meeting.
        let mut districts: Vec<String> = (1..=25).map(|n| format!("NG{n}")).collect();
        districts.extend(
            [
                "S80", "S81", "DN22", "DE1", "DE2", "DE3", "DE21", "DE22", "DE23", "DE24", "DE65",
                "DE72", "DE73",
            ]
            .map(str::to_owned),
        );
        Settings {
            postcode_districts: districts,
            out_of_area_signpost: "Your own council's employment support, or ask your GP about \
                IPS employment support where you live."
                .to_owned(),
            minimum_age: 18,
            health_route_only: true,
            require_known_to_health_services: true,
            route_signpost: "Working Well takes referrals from GPs and other health \
                professionals for their patients: ask your GP practice to refer you, or contact \
                your Jobcentre about Connect to Work."
                .to_owned(),
            exclude_other_programmes: true,
            other_programme_signpost: "Your current employment programme's key worker.".to_owned(),
            first_meeting_working_days: 10,
            weekly_review_weeks: 4,
            review_every_weeks: 2,
            max_months: 9,
            in_work_weekly_weeks: 4,
            in_work_fortnightly_until_week: 12,
            in_work_plan_months: 12,
            outcome_hours_per_week: 7,
            outcome_weeks: 13,
            outcome_window_weeks: 16,
            employer_check_in_weeks: 2,
            outreach_attempts: 6,
            outreach_interval_working_days: 5,
            outreach_via_health_professional_from: 4,
        }
    }
}

impl Settings {
    /// Refuses settings that parse but cannot be meant, naming the setting.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.postcode_districts.iter().all(|d| d.trim().is_empty()) {
            return Err(PolicyError::new(
                "`postcode_districts` is empty, so every referral would be declined: list the \
                 districts the service covers, e.g. [\"NG1\", \"DE1\"]",
            ));
        }
        in_range(
            "first_meeting_working_days",
            self.first_meeting_working_days,
            1,
            60,
        )?;
        in_range("weekly_review_weeks", self.weekly_review_weeks, 0, 12)?;
        in_range("review_every_weeks", self.review_every_weeks, 1, 12)?;
        in_range("max_months", self.max_months, 1, 24)?;
        in_range("in_work_weekly_weeks", self.in_work_weekly_weeks, 0, 12)?;
        in_range(
            "in_work_fortnightly_until_week",
            self.in_work_fortnightly_until_week,
            self.in_work_weekly_weeks,
            52,
        )?;
        in_range("in_work_plan_months", self.in_work_plan_months, 1, 24)?;
        in_range("outcome_hours_per_week", self.outcome_hours_per_week, 1, 48)?;
        in_range("outcome_weeks", self.outcome_weeks, 1, 52)?;
        in_range(
            "outcome_window_weeks",
            self.outcome_window_weeks,
            self.outcome_weeks,
            104,
        )?;
        in_range(
            "employer_check_in_weeks",
            self.employer_check_in_weeks,
            1,
            26,
        )?;
        in_range(
            "outreach_interval_working_days",
            self.outreach_interval_working_days,
            1,
            60,
        )?;
        Ok(())
    }

    /// Whether a postcode district is one the service covers.
    pub fn serves(&self, district: &str) -> bool {
        let district = district.trim();
        self.postcode_districts
            .iter()
            .any(|served| served.trim().eq_ignore_ascii_case(district))
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
    fn the_defaults_cover_nottingham_nottinghamshire_and_derby() {
        let s = Settings::default();
        assert_eq!(s.check(), Ok(()));
        for district in ["NG1", "ng7", "NG25", "S80", "DE1", "DE24"] {
            assert!(s.serves(district), "{district}");
        }
        // Grantham (Lincolnshire), Chesterfield and Leicester are not.
        for district in ["NG31", "S40", "LE1", "DE4"] {
            assert!(!s.serves(district), "{district}");
        }
    }

    #[test]
    fn an_outcome_window_shorter_than_the_outcome_is_refused() {
        let bad = Settings {
            outcome_window_weeks: 10,
            ..Settings::default()
        };
        let err = bad.check().unwrap_err();
        assert!(
            err.message().starts_with("`outcome_window_weeks` is 10"),
            "{err}"
        );
    }
}
