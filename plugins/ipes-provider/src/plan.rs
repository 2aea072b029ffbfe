//! The dated work a journey needs, IPES-style:
//!
//! - accepted: a first meeting within 15 working days of the referral *(IPES)*;
//! - before a job: an action plan within 20 working days of the start *(IPES)* and
//!   key-worker reviews every 4 weeks *(IPES)*;
//! - in work: an employer support plan within 10 working days of the job start
//!   *(IPES)*, weekly in-work contact for 182 days *(IPES)* and a job-outcome
//!   checkpoint 26 weeks after the job start *(inferred)*;
//! - at the end: the exit plan in the last 10 working days *(inferred from IPES's
//!   exit plan)* and the end of support itself.
//!
//! The end of support is the host's `support_ends_on` when it gives one (contract
//! 1.1): the host computes it from the programme and drops any timer after it, so
//! the plan keeps every timer on or before it, and puts the end of support on it.
//! Without it, the end is computed here *(inferred from "up to 21 months, of which
//! up to 6 in work")*: 15 months from the start before a job; once in work, 6
//! months from the job start but no later than 21 months from the start, unless
//! that would leave fewer than 182 days of in-work support, which is the minimum.
//!
//! **One deliberate exception:** the outcome checkpoint is asked for even when it
//! falls after the end of support (a job started late in the programme). The
//! outcome counts whether or not support still runs, so the plugin says when it
//! falls; the host, which owns the end of support, drops the timer with its reason.
//! This is the case the host's enforcement of the programme's end is tested with.

use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{Date, Journey, Plan, PlanBuilder, PolicyError, Reason, Stage, TimerKind};

use crate::settings::Settings;

pub(crate) fn decide(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<Plan, PolicyError> {
    settings.check()?;
    match journey.stage {
        // This provider keeps no waiting list: it accepts or declines.
        Stage::Waitlisted => Ok(Plan::nothing([Reason::new(
            "plan.waitlisted",
            "On the waiting list: the first meeting is planned once the referral is accepted.",
        )])),
        Stage::Accepted => first_meeting(settings, journey, as_of),
        Stage::Paused => Ok(Plan::nothing([Reason::new(
            "plan.paused",
            "Support is paused: nothing is planned until it resumes.",
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
            format!("First meeting with the key worker: within {days} working days of referral"),
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
    let end = end_of_support(settings, journey, start, None)?;
    let days = settings.action_plan_working_days;
    let action_plan = calendar::add_working_days(start, days)?;
    let mut plan = Plan::after(as_of).reason(
        "action_plan.deadline",
        format!(
            "An action plan within {days} working days of the start on {}: by {}.",
            describe(start),
            describe(action_plan)
        ),
    );
    plan = within(
        plan,
        &end,
        TimerKind::Review,
        action_plan,
        "Agree the action plan with the participant",
    );
    let every = settings.review_every_weeks;
    let mut n = 1;
    loop {
        let due = calendar::next_working_day_from(calendar::add_weeks(start, n * every)?)?;
        if due >= end.day {
            break;
        }
        plan = plan.timer(
            TimerKind::Review,
            due,
            format!("{every}-weekly key-worker review"),
        );
        n += 1;
    }
    plan = plan.reason(
        "cadence.review",
        format!(
            "A key-worker review every {every} weeks from the start on {}.",
            describe(start)
        ),
    );
    Ok(the_end(plan, settings, &end)?.build())
}

fn in_work(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
    let start = start_of(journey)?;
    let job_start = journey
        .job_started_on
        .ok_or_else(|| PolicyError::new("the journey is in work but has no job start date"))?;
    let end = end_of_support(settings, journey, start, Some(job_start))?;
    let mut plan = Plan::after(as_of);

    let days = settings.employer_support_plan_working_days;
    let support_plan = calendar::add_working_days(job_start, days)?;
    let health = if journey.employer_health_consent {
        "including the health needs the participant agreed to discuss"
    } else {
        "leaving health out: no consent to discuss it with the employer"
    };
    plan = within(
        plan,
        &end,
        TimerKind::FirstEmployerContact,
        support_plan,
        &format!("Agree the employer support plan with the employer, {health}"),
    )
    .reason(
        "employer.support_plan",
        format!(
            "An employer support plan within {days} working days of the job start on {}: by {}.",
            describe(job_start),
            describe(support_plan)
        ),
    );

    let weekly = settings.in_work_weekly_days;
    let last = calendar::add_days(job_start, weekly)?;
    let mut week = 1;
    loop {
        let due = calendar::next_working_day_from(calendar::add_weeks(job_start, week)?)?;
        if due > last || due > end.day {
            break;
        }
        plan = plan.timer(
            TimerKind::InWorkReview,
            due,
            "Weekly in-work contact: how the job is going, and what would help",
        );
        week += 1;
    }
    plan = plan.reason(
        "in_work.weekly",
        format!(
            "Weekly in-work contact for {weekly} days after the job start on {}.",
            describe(job_start)
        ),
    );

    // Deliberately not kept within the end of support: see the module's doc.
    let weeks = settings.outcome_checkpoint_weeks;
    let checkpoint = calendar::next_working_day_from(calendar::add_weeks(job_start, weeks)?)?;
    let after_the_end = if checkpoint > end.day {
        " It falls after the end of support, and is asked for anyway: the outcome counts \
         whether or not support still runs."
    } else {
        ""
    };
    plan = plan
        .timer(
            TimerKind::OutcomeCheckpoint,
            checkpoint,
            format!("Outcome checkpoint: {weeks} weeks in work since the job start"),
        )
        .reason(
            "outcome.checkpoint",
            format!(
                "A job-outcome checkpoint {weeks} weeks after the job start, on {}.{after_the_end}",
                describe(checkpoint)
            ),
        );
    Ok(the_end(plan, settings, &end)?.build())
}

/// The last day of support, and where it came from.
struct End {
    day: Date,
    /// The reason saying how the day was found.
    why: String,
}

/// The host's `support_ends_on` when given; otherwise computed from the settings
/// as the module's doc says.
fn end_of_support(
    settings: &Settings,
    journey: &Journey,
    start: Date,
    job_start: Option<Date>,
) -> Result<End, PolicyError> {
    if let Some(day) = journey.support_ends_on {
        return Ok(End {
            day,
            why: format!(
                "Support ends on {}, the programme's last day as the host computes it \
                 (up to {} months, of which up to {} in work).",
                describe(day),
                settings.max_months,
                settings.in_work_months
            ),
        });
    }
    let (total, in_work) = (settings.max_months, settings.in_work_months);
    let programme_end = calendar::add_months(start, total)?;
    let day = match job_start {
        None => calendar::add_months(start, total - in_work)?,
        Some(job) => {
            let six_months = calendar::add_months(job, in_work)?;
            let minimum = calendar::add_days(job, settings.in_work_minimum_days)?;
            six_months.min(programme_end).max(minimum)
        }
    };
    let day = calendar::next_working_day_from(day)?;
    let why = match job_start {
        None => format!(
            "Support before a job lasts up to {} months from the start on {}: it ends on {}.",
            total - in_work,
            describe(start),
            describe(day)
        ),
        Some(job) => format!(
            "In-work support lasts up to {in_work} months from the job start on {} (at least \
             {} days), within {total} months from the start: it ends on {}.",
            describe(job),
            settings.in_work_minimum_days,
            describe(day)
        ),
    };
    Ok(End { day, why })
}

/// Adds a timer only if it falls on or before the end of support.
fn within(plan: PlanBuilder, end: &End, kind: TimerKind, due: Date, purpose: &str) -> PlanBuilder {
    if due <= end.day {
        plan.timer(kind, due, purpose)
    } else {
        plan
    }
}

/// The exit plan in the last working days, and the end of support on its day.
fn the_end(plan: PlanBuilder, settings: &Settings, end: &End) -> Result<PlanBuilder, PolicyError> {
    let days = settings.exit_plan_working_days;
    let exit_plan = working_days_before(end.day, days)?;
    Ok(plan
        .timer(
            TimerKind::Review,
            exit_plan,
            format!(
                "Exit plan: agree the next steps and the handover with the participant, \
                 {days} working days before support ends"
            ),
        )
        .timer(
            TimerKind::EndOfSupport,
            end.day,
            "End of support: hand over with the exit plan",
        )
        .reason("duration.maximum", end.why.clone())
        .reason(
            "exit_plan.deadline",
            format!(
                "The exit plan is agreed {days} working days before support ends: on {}.",
                describe(exit_plan)
            ),
        ))
}

/// `n` working days before `day`.
fn working_days_before(day: Date, n: u32) -> Result<Date, PolicyError> {
    let mut at = day;
    let mut left = n;
    while left > 0 {
        at = at
            .pred_opt()
            .ok_or_else(|| PolicyError::new(format!("no date {n} working days before {day}")))?;
        if calendar::is_working_day(at) {
            left -= 1;
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::date;

    use super::*;

    fn of_kind(plan: &Plan, kind: TimerKind) -> Vec<Date> {
        plan.timers
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.due)
            .collect()
    }

    #[test]
    fn the_end_of_support_is_on_the_hosts_day_and_nothing_else_is_after_it() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_support_ends_on(date("2027-04-05"));
        let plan = decide(&Settings::default(), &journey, date("2026-01-05")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2027-04-05")]
        );
        assert!(plan.timers.iter().all(|t| t.due <= date("2027-04-05")));
        // The action plan, 20 working days after the start.
        assert!(of_kind(&plan, TimerKind::Review).contains(&date("2026-02-02")));
        // The exit plan, 10 working days before the end (Monday 5 April 2027).
        assert!(of_kind(&plan, TimerKind::Review).contains(&date("2027-03-22")));
    }

    #[test]
    fn without_the_hosts_day_support_before_a_job_lasts_fifteen_months() {
        let journey = Journey::started_on(date("2026-01-05"));
        let plan = decide(&Settings::default(), &journey, date("2026-01-05")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2027-04-05")]
        );
    }

    #[test]
    fn in_work_support_gets_an_employer_plan_and_weekly_contact_for_182_days() {
        let journey = Journey::started_on(date("2026-01-05"))
            .with_job_started_on(date("2026-06-01"))
            .with_support_ends_on(date("2026-12-01"));
        let plan = decide(&Settings::default(), &journey, date("2026-06-01")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::FirstEmployerContact),
            vec![date("2026-06-15")]
        );
        let weekly = of_kind(&plan, TimerKind::InWorkReview);
        assert_eq!(weekly.first(), Some(&date("2026-06-08")));
        assert_eq!(weekly.len(), 26, "{weekly:?}");
        assert_eq!(
            of_kind(&plan, TimerKind::OutcomeCheckpoint),
            vec![date("2026-11-30")]
        );
    }

    #[test]
    fn a_late_job_asks_for_its_outcome_checkpoint_after_the_end_deliberately() {
        // Started January 2026, so the programme's 21 months end on 5 October 2027;
        // a job from 7 June 2027 has its 26-week checkpoint on 6 December 2027.
        let journey = Journey::started_on(date("2026-01-05"))
            .with_job_started_on(date("2027-06-07"))
            .with_support_ends_on(date("2027-10-05"));
        let plan = decide(&Settings::default(), &journey, date("2027-06-07")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::OutcomeCheckpoint),
            vec![date("2027-12-06")]
        );
        let late: Vec<_> = plan
            .timers
            .iter()
            .filter(|t| t.due > date("2027-10-05"))
            .map(|t| t.kind)
            .collect();
        assert_eq!(late, vec![TimerKind::OutcomeCheckpoint]);
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2027-10-05")]
        );
    }

    #[test]
    fn without_the_hosts_day_in_work_support_lasts_six_months_and_at_least_182_days() {
        let early = Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-06-01"));
        let plan = decide(&Settings::default(), &early, date("2026-06-01")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2026-12-01")]
        );
        // A job 19 months in: 21 months would leave two, so the 182-day minimum wins.
        let late = Journey::started_on(date("2026-01-05")).with_job_started_on(date("2027-08-02"));
        let plan = decide(&Settings::default(), &late, date("2027-08-02")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2028-01-31")]
        );
    }

    #[test]
    fn a_waitlisted_journey_plans_nothing() {
        let plan = decide(
            &Settings::default(),
            &Journey::waitlisted_on(date("2026-01-05")),
            date("2026-01-05"),
        )
        .expect("plans");
        assert!(plan.timers.is_empty());
        assert_eq!(plan.reasons[0].rule, "plan.waitlisted");
    }
}
