//! What the provider's administrators can tune without a new plugin. Every field
//! has a default (the programme as published, or our reading where marked), so `{}`
//! is complete.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_sdk::{PolicyError, ReferralRoute};

/// The IPES provider's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Routes a referral may come by. IPES places come through Jobcentre work
    /// coaches (inferred from the published referral process).
    pub referral_routes: Vec<ReferralRoute>,
    /// Where to send a referral that came by another route.
    pub route_signpost: String,
    /// The youngest age accepted (inferred: IPES is an adult programme).
    pub minimum_age: u32,
    /// Whether a self-declared health condition or disability is required (IPES is
    /// for disabled people).
    pub requires_health_condition_or_disability: bool,
    /// Where to send someone who declares no health condition or disability, or is
    /// in work (IPES is for people at least a year away from work).
    pub not_eligible_signpost: String,
    /// Decline people already on another employment programme (inferred).
    pub exclude_other_programmes: bool,
    /// Working days from referral to the first meeting (IPES: 15).
    pub first_meeting_working_days: u32,
    /// Working days from the start to an agreed action plan (IPES: 20).
    pub action_plan_working_days: u32,
    /// Weeks between key-worker reviews before a job (IPES: 4).
    pub review_every_weeks: u32,
    /// The longest support lasts in all, in months from the start (IPES: 21).
    pub max_months: u32,
    /// The longest in-work support lasts, in months from the job start (IPES: 6).
    pub in_work_months: u32,
    /// The fewest days of in-work support, from the job start (IPES: 182).
    pub in_work_minimum_days: u32,
    /// Days of weekly in-work contact after a job start (IPES: a weekly offer for 182).
    pub in_work_weekly_days: u32,
    /// Working days from a job start to the employer support plan (IPES: 10).
    pub employer_support_plan_working_days: u32,
    /// Weeks after a job start of the job-outcome checkpoint (inferred: 26 weeks of
    /// work, as the Work and Health Programme's outcome).
    pub outcome_checkpoint_weeks: u32,
    /// Working days before the end of support to agree the exit plan (IPES: an exit
    /// plan within 10 days of provision ending; inferred: agreed in its last days,
    /// since the host ends support on the programme's last day).
    pub exit_plan_working_days: u32,
    /// Days to each outreach attempt after a missed contact, one entry per attempt;
    /// after the last, a disengaged exit (inferred).
    pub outreach_days: Vec<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            referral_routes: vec![ReferralRoute::Jobcentre],
            route_signpost: "Ask your Jobcentre work coach about IPES: places come through \
                the Jobcentre."
                .to_owned(),
            minimum_age: 18,
            requires_health_condition_or_disability: true,
            not_eligible_signpost: "Your Jobcentre work coach can tell you about other support, \
                such as your council's Connect to Work service."
                .to_owned(),
            exclude_other_programmes: true,
            first_meeting_working_days: 15,
            action_plan_working_days: 20,
            review_every_weeks: 4,
            max_months: 21,
            in_work_months: 6,
            in_work_minimum_days: 182,
            in_work_weekly_days: 182,
            employer_support_plan_working_days: 10,
            outcome_checkpoint_weeks: 26,
            exit_plan_working_days: 10,
            outreach_days: vec![7, 14, 28],
        }
    }
}

impl Settings {
    /// Refuses settings that parse but cannot be meant, naming the setting.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.referral_routes.is_empty() {
            return Err(PolicyError::new(
                "`referral_routes` is empty, so every referral would be declined",
            ));
        }
        in_range("minimum_age", self.minimum_age, 16, 66)?;
        in_range(
            "first_meeting_working_days",
            self.first_meeting_working_days,
            1,
            60,
        )?;
        in_range(
            "action_plan_working_days",
            self.action_plan_working_days,
            1,
            60,
        )?;
        in_range("review_every_weeks", self.review_every_weeks, 1, 13)?;
        in_range("max_months", self.max_months, 1, 36)?;
        in_range("in_work_months", self.in_work_months, 1, self.max_months)?;
        in_range("in_work_minimum_days", self.in_work_minimum_days, 0, 365)?;
        in_range("in_work_weekly_days", self.in_work_weekly_days, 0, 365)?;
        in_range(
            "employer_support_plan_working_days",
            self.employer_support_plan_working_days,
            1,
            60,
        )?;
        in_range(
            "outcome_checkpoint_weeks",
            self.outcome_checkpoint_weeks,
            1,
            104,
        )?;
        in_range("exit_plan_working_days", self.exit_plan_working_days, 1, 60)?;
        if self.outreach_days.iter().any(|d| !(1..=90).contains(d)) {
            return Err(PolicyError::new(format!(
                "`outreach_days` is {:?}; each attempt must be 1 to 90 days after the miss",
                self.outreach_days
            )));
        }
        Ok(())
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
    fn the_defaults_are_the_programme_as_published() {
        let s = Settings::default();
        assert_eq!(s.check(), Ok(()));
        assert_eq!((s.max_months, s.in_work_months), (21, 6));
        assert_eq!(s.in_work_minimum_days, 182);
    }

    #[test]
    fn in_work_support_longer_than_the_programme_is_refused() {
        let s = Settings {
            max_months: 4,
            ..Settings::default()
        };
        let err = s.check().expect_err("refused");
        assert!(err.to_string().contains("`in_work_months`"), "{err}");
    }
}
