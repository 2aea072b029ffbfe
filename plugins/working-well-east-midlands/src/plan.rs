//! The dated work a journey needs: the first meeting within 10 working days of the
//! referral; weekly reviews in the first month, then fortnightly, for up to nine
//! months; and once in work, time-unlimited in-work support that steps down
//! (weekly, fortnightly, then four-weekly), outcome checkpoints, and an employer
//! check-in only with consent to discuss health.
//!
//! Dates count from fixed points (referral, start, job start), never from the
//! as-of date, so a re-plan keeps the same timers; each moves off weekends and
//! bank holidays.

use std::collections::BTreeSet;

use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{Date, Journey, Plan, PlanBuilder, PolicyError, Stage, TimerKind};

use crate::settings::Settings;

pub(crate) fn decide(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<Plan, PolicyError> {
    settings.check()?;
    match journey.stage {
        Stage::Accepted => first_meeting(settings, journey, as_of),
        // Working Well keeps no waiting list of its own: nothing is promised until
        // the referral is accepted.
        Stage::Waitlisted => Ok(Plan::nothing([waymark_sdk::Reason::new(
            "plan.waitlisted",
            "On the waiting list: the first meeting is planned once the referral is accepted.",
        )])),
        Stage::Paused => Ok(Plan::nothing([waymark_sdk::Reason::new(
            "plan.paused",
            "Support is paused for the participant's health: no reminders until it resumes, \
             when the plan is made again.",
        )])),
        Stage::Started | Stage::Outreach => pre_employment(settings, journey, as_of),
        Stage::InWork => in_work(settings, journey, as_of),
    }
}

fn first_meeting(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
    let days = settings.first_meeting_working_days;
    let due = calendar::add_working_days(journey.referred_on, days)?;
    Ok(Plan::after(as_of)
        .timer(
            TimerKind::Review,
            due,
            format!(
                "First meeting with the employment specialist: within {days} working days of \
                 the referral"
            ),
        )
        .reason(
            "first_meeting.deadline",
            format!(
                "The first meeting is due within {days} working days of the referral on {}: by {}.",
                describe(journey.referred_on),
                describe(due)
            ),
        )
        .build())
}

fn start_of(journey: &Journey) -> Result<Date, PolicyError> {
    journey
        .started_on
        .ok_or_else(|| PolicyError::new("the journey has started but has no start date"))
}

fn pre_employment(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<Plan, PolicyError> {
    let start = start_of(journey)?;
    let months = settings.max_months;
    let (end, duration) = end_of_support(settings, journey, start, as_of)?;
    let mut plan = Plan::after(as_of);
    for due in review_dates(settings, start, end)? {
        plan = plan.timer(
            TimerKind::Review,
            due,
            "Review with the employment specialist: job search and health",
        );
    }
    let handover = if journey.mental_health_needs {
        "Hand over to NHS Talking Therapies employment advisers, with the pack"
    } else {
        "Agree the handover, to NHS Talking Therapies if mental-health needs remain"
    };
    Ok(plan
        .timer(
            TimerKind::EndOfSupport,
            end,
            format!("End of support: {months} months since the start. {handover}."),
        )
        .reason(
            "cadence.review",
            format!(
                "Weekly reviews for the first {} weeks after the start on {}, then every {} weeks.",
                settings.weekly_review_weeks,
                describe(start),
                settings.review_every_weeks
            ),
        )
        .reason("duration.maximum", duration)
        .build())
}

/// The last day of support before a job, and the reason saying how it was found.
///
/// The host computes the programme's end of support (`support_ends_on`, contract
/// 1.1) and drops any timer after it, so when it is given the end of support is
/// planned on that very day: the participant view, the retention clock and this
/// plan agree. Without it (a host that does not say), it is `max_months` after
/// the start, on the next working day.
fn end_of_support(
    settings: &Settings,
    journey: &Journey,
    start: Date,
    as_of: Date,
) -> Result<(Date, String), PolicyError> {
    let months = settings.max_months;
    let (end, whose) = match journey.support_ends_on {
        Some(day) => (day, ", the programme's end as the host computes it"),
        None => (
            calendar::next_working_day_from(calendar::add_months(start, months)?)?,
            "",
        ),
    };
    let ends = if end <= as_of { "ended" } else { "ends" };
    let reason = format!(
        "Support before a job lasts up to {months} months: it {ends} on {}{whose}.",
        describe(end)
    );
    Ok((end, reason))
}

/// Weekly for the first weeks, then every `review_every_weeks`, before `end`.
fn review_dates(settings: &Settings, start: Date, end: Date) -> Result<Vec<Date>, PolicyError> {
    let weekly = settings.weekly_review_weeks;
    let mut dues = BTreeSet::new();
    let mut week = 1;
    loop {
        let due = calendar::next_working_day_from(calendar::add_weeks(start, week)?)?;
        if due >= end {
            break;
        }
        dues.insert(due);
        week += if week < weekly {
            1
        } else {
            settings.review_every_weeks
        };
    }
    Ok(dues.into_iter().collect())
}

fn in_work(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
    let job_start = journey
        .job_started_on
        .ok_or_else(|| PolicyError::new("the journey is in work but has no job start date"))?;
    let horizon = calendar::add_months(job_start, settings.in_work_plan_months)?;
    let mut plan = Plan::after(as_of);
    let mut dues = BTreeSet::new();
    let mut week = 1;
    loop {
        let due = calendar::next_working_day_from(calendar::add_weeks(job_start, week)?)?;
        if due >= horizon {
            break;
        }
        dues.insert(due);
        week += if week < settings.in_work_weekly_weeks {
            1
        } else if week < settings.in_work_fortnightly_until_week {
            2
        } else {
            4
        };
    }
    for due in dues {
        plan = plan.timer(
            TimerKind::InWorkReview,
            due,
            "In-work support: how the job is going, and what would help",
        );
    }
    let step_down = calendar::next_working_day_from(horizon)?;
    plan = plan.timer(
        TimerKind::InWorkReview,
        step_down,
        "Step-down review: in-work support is time-unlimited; agree with the participant \
         whether to carry on, and record a contact to plan the next months",
    );
    plan = outcome_checkpoints(plan, settings, job_start)?;
    plan = employer_check_in(plan, settings, journey, job_start)?;
    Ok(plan
        .reason(
            "in_work.time_unlimited",
            format!(
                "In-work support has no end date: weekly for {} weeks after the job start on {}, \
                 fortnightly to week {}, then every four weeks, with a step-down review on {}.",
                settings.in_work_weekly_weeks,
                describe(job_start),
                settings.in_work_fortnightly_until_week,
                describe(step_down)
            ),
        )
        .build())
}

fn outcome_checkpoints(
    plan: PlanBuilder,
    settings: &Settings,
    job_start: Date,
) -> Result<PlanBuilder, PolicyError> {
    let (hours, weeks, window) = (
        settings.outcome_hours_per_week,
        settings.outcome_weeks,
        settings.outcome_window_weeks,
    );
    let earliest = calendar::next_working_day_from(calendar::add_weeks(job_start, weeks)?)?;
    let closes = calendar::next_working_day_from(calendar::add_weeks(job_start, window)?)?;
    Ok(plan
        .timer(
            TimerKind::OutcomeCheckpoint,
            earliest,
            format!(
                "Outcome check: has the job given {hours} hours a week for {weeks} weeks? \
                 (the earliest it can)"
            ),
        )
        .timer(
            TimerKind::OutcomeCheckpoint,
            closes,
            format!(
                "Outcome check: the {window}-week window closes; record whether {hours} hours a \
                 week for {weeks} weeks was met"
            ),
        )
        .reason(
            "outcome.checkpoints",
            format!(
                "A job outcome is at least {hours} hours a week for {weeks} weeks within \
                 {window} weeks of the job start."
            ),
        ))
}

fn employer_check_in(
    plan: PlanBuilder,
    settings: &Settings,
    journey: &Journey,
    job_start: Date,
) -> Result<PlanBuilder, PolicyError> {
    if !journey.employer_health_consent {
        // Contact from a health service tells the employer about a health condition.
        return Ok(plan.reason(
            "employer.consent",
            "No employer check-in: the participant has not consented to the service \
             discussing their health with their employer.",
        ));
    }
    let weeks = settings.employer_check_in_weeks;
    let due = calendar::next_working_day_from(calendar::add_weeks(job_start, weeks)?)?;
    Ok(plan
        .timer(
            TimerKind::EmployerCheckIn,
            due,
            "Employer check-in, as the participant agreed: the job, and any workplace \
             adjustments for their health",
        )
        .reason(
            "employer.check_in",
            format!(
                "An employer check-in {weeks} weeks after the job start, with the participant's \
                 consent to discuss their health."
            ),
        ))
}

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{date, with_bank_holidays};

    use super::*;

    fn of_kind(plan: &Plan, kind: TimerKind) -> Vec<Date> {
        plan.timers
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.due)
            .collect()
    }

    #[test]
    fn the_end_of_support_is_the_hosts_when_it_says() {
        // The host's programme end for a 2 Feb start: before the plugin's own
        // nine-months-on-a-working-day, which would be 2 November.
        let journey = Journey::started_on(date("2026-02-02"))
            .with_mental_health_needs(true)
            .with_support_ends_on(date("2026-11-01"));
        let plan = decide(&Settings::default(), &journey, date("2026-02-02")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2026-11-01")]
        );
        assert!(plan.timers.iter().all(|t| t.due <= date("2026-11-01")));
        let end = plan
            .timers
            .iter()
            .find(|t| t.kind == TimerKind::EndOfSupport)
            .expect("an end of support");
        assert!(
            end.purpose.contains("NHS Talking Therapies"),
            "{}",
            end.purpose
        );
        let without = decide(
            &Settings::default(),
            &Journey::started_on(date("2026-02-02")),
            date("2026-02-02"),
        )
        .expect("plans");
        assert_eq!(
            of_kind(&without, TimerKind::EndOfSupport),
            vec![date("2026-11-02")]
        );
    }

    #[test]
    fn the_first_meeting_is_due_ten_working_days_after_referral() {
        // Referred Monday 2 March 2026: ten working days on is Monday 16 March.
        let journey = Journey::accepted_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        assert_eq!(of_kind(&plan, TimerKind::Review), vec![date("2026-03-16")]);
    }

    #[test]
    fn a_bank_holiday_pushes_the_first_meeting_back_a_working_day() {
        // Referred Monday 30 March 2026: Good Friday and Easter Monday intervene.
        let journey = Journey::accepted_on(date("2026-03-30"));
        let plan = with_bank_holidays(&[date("2026-04-03"), date("2026-04-06")], || {
            decide(&Settings::default(), &journey, date("2026-03-30"))
        })
        .expect("plans");
        assert_eq!(of_kind(&plan, TimerKind::Review), vec![date("2026-04-15")]);
    }

    #[test]
    fn reviews_are_weekly_in_the_first_month_then_fortnightly_for_nine_months() {
        let journey = Journey::started_on(date("2026-01-05"));
        let plan = decide(&Settings::default(), &journey, date("2026-01-05")).expect("plans");
        let reviews = of_kind(&plan, TimerKind::Review);
        assert_eq!(
            reviews[..6],
            [
                date("2026-01-12"),
                date("2026-01-19"),
                date("2026-01-26"),
                date("2026-02-02"),
                date("2026-02-16"),
                date("2026-03-02")
            ]
        );
        // Nine months from 5 January is Monday 5 October 2026.
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2026-10-05")]
        );
        assert!(reviews.iter().all(|d| *d < date("2026-10-05")));
        assert_eq!(reviews.last(), Some(&date("2026-09-28")));
    }

    #[test]
    fn in_work_support_steps_down_and_has_no_end_of_support() {
        // Job start Monday 2 March 2026.
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        assert!(of_kind(&plan, TimerKind::EndOfSupport).is_empty());
        let reviews = of_kind(&plan, TimerKind::InWorkReview);
        assert_eq!(
            reviews[..9],
            [
                date("2026-03-09"),
                date("2026-03-16"),
                date("2026-03-23"),
                date("2026-03-30"),
                date("2026-04-13"),
                date("2026-04-27"),
                date("2026-05-11"),
                date("2026-05-25"),
                date("2026-06-22")
            ]
        );
        // The step-down review, twelve months after the job start.
        assert_eq!(reviews.last(), Some(&date("2027-03-02")));
    }

    #[test]
    fn outcome_checkpoints_fall_at_13_and_16_weeks_after_the_job_start() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::OutcomeCheckpoint),
            vec![date("2026-06-01"), date("2026-06-22")]
        );
    }

    #[test]
    fn no_employer_check_in_without_consent_to_discuss_health() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        assert!(of_kind(&plan, TimerKind::EmployerCheckIn).is_empty());
        assert!(plan.reasons.iter().any(|r| r.rule == "employer.consent"));

        let consented = journey.with_employer_health_consent(true);
        let plan = decide(&Settings::default(), &consented, date("2026-03-02")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EmployerCheckIn),
            vec![date("2026-03-16")]
        );
    }

    #[test]
    fn a_paused_journey_plans_nothing() {
        let journey = Journey::started_on(date("2026-01-05")).with_stage(Stage::Paused);
        let plan = decide(&Settings::default(), &journey, date("2026-02-10")).expect("plans");
        assert!(plan.timers.is_empty());
        assert_eq!(plan.reasons[0].rule, "plan.paused");
    }

    #[test]
    fn in_work_without_a_job_start_date_is_refused() {
        let broken = Journey::started_on(date("2026-01-05")).with_stage(Stage::InWork);
        let err = decide(&Settings::default(), &broken, date("2026-02-10")).unwrap_err();
        assert!(err.message().contains("no job start date"), "{err}");
    }
}
