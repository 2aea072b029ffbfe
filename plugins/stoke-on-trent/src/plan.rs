//! The dated work a journey needs: key-worker reviews, the first employer contact,
//! an employer check-in after a job start, and the end of support.
//!
//! Every date is counted from the start date (not from the as-of date), so
//! re-planning on any later event gives the same dates and the host keeps the same
//! timers. A date that falls on a weekend or bank holiday moves to the next working
//! day. Only timers strictly after the as-of date are returned.

use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{Date, Journey, Plan, PlanBuilder, PolicyError, Reason, Stage, TimerKind, Track};

use crate::settings::Settings;

/// The first month, for weekly reviews: one, two and three weeks after the start.
const FIRST_MONTH_WEEKS: u32 = 3;

pub(crate) fn decide(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<Plan, PolicyError> {
    settings.check()?;
    match journey.stage {
        Stage::Accepted => Ok(Plan::nothing([Reason::new(
            "plan.not_started",
            "Support has not started yet: reviews are planned from the start date.",
        )])),
        // Stoke-on-Trent keeps no waiting list (it accepts or declines), so nothing
        // is promised to someone waitlisted elsewhere in the journey.
        Stage::Waitlisted => Ok(Plan::nothing([Reason::new(
            "plan.waitlisted",
            "On the waiting list: nothing is planned until the referral is accepted.",
        )])),
        Stage::Paused => Ok(Plan::nothing([Reason::new(
            "plan.paused",
            "Support is paused: no reminders until it resumes, when the plan is made again.",
        )])),
        Stage::Started | Stage::InWork | Stage::Outreach => active(settings, journey, as_of),
    }
}

/// The plan while support is running.
fn active(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
    let start = journey.started_on.ok_or_else(|| {
        PolicyError::new(format!(
            "the journey is {} but has no start date",
            stage_name(journey.stage)
        ))
    })?;
    let months = settings.max_months(journey.track);
    let end = calendar::next_working_day_from(calendar::add_months(start, months)?)?;

    let mut plan = Plan::after(as_of);
    plan = reviews(plan, settings, start, end)?;
    plan = first_employer_contact(plan, settings, journey.track, start, end)?;
    if journey.stage == Stage::InWork {
        plan = employer_check_in(plan, settings, journey, end)?;
    }
    if journey.stage == Stage::Outreach {
        plan = plan.reason(
            "plan.outreach",
            "The participant has stopped engaging: planned reviews stand, and each outreach \
             attempt is planned after a missed contact.",
        );
    }
    let track = match journey.track {
        Track::OutOfWork => "out of work",
        Track::InWorkAtRisk => "in work at risk of losing their job",
    };
    let ended = if end <= as_of { "ended" } else { "ends" };
    Ok(plan
        .timer(
            TimerKind::EndOfSupport,
            end,
            format!(
                "End of support: {months} months since the start on {}. Agree the exit plan \
                 and prepare the handover.",
                describe(start)
            ),
        )
        .reason(
            "duration.maximum",
            format!(
                "Connect to Work supports people {track} for up to {months} months: support \
                 {ended} on {}.",
                describe(end)
            ),
        )
        .build())
}

/// Key-worker reviews every `review_every_weeks` from the start (and weekly in the
/// first month if set), each before the end of support.
fn reviews(
    mut plan: PlanBuilder,
    settings: &Settings,
    start: Date,
    end: Date,
) -> Result<PlanBuilder, PolicyError> {
    let every = settings.review_every_weeks;
    // A weekly review and a cadence review moved onto the same working day are one
    // meeting, not two reminders: each date is taken once. A plan has a few dozen
    // at most, so searching the lists is quicker than building a set.
    let mut cadence: Vec<Date> = Vec::new();
    for n in 1.. {
        let weeks = n_times(n, every)?;
        let due = calendar::next_working_day_from(calendar::add_weeks(start, weeks)?)?;
        if due >= end {
            break;
        }
        if !cadence.contains(&due) {
            cadence.push(due);
        }
    }
    let mut weekly: Vec<Date> = Vec::new();
    if settings.weekly_in_first_month {
        for week in 1..=FIRST_MONTH_WEEKS {
            let due = calendar::next_working_day_from(calendar::add_weeks(start, week)?)?;
            if due < end && !cadence.contains(&due) && !weekly.contains(&due) {
                weekly.push(due);
            }
        }
    }
    // Every cadence review has the same purpose: written once, copied per timer.
    let purpose = format!("{every}-weekly key-worker review: progress against the action plan");
    for due in cadence {
        plan = plan.timer(TimerKind::Review, due, purpose.clone());
    }
    for due in weekly {
        plan = plan.timer(
            TimerKind::Review,
            due,
            "Weekly key-worker review (first month): settling in and the action plan",
        );
    }
    let first_month = if settings.weekly_in_first_month {
        ", and weekly in the first month"
    } else {
        ""
    };
    Ok(plan.reason(
        "cadence.review",
        format!(
            "A key-worker review every {every} weeks from the start on {}{first_month}, moved \
             to the next working day when it falls on a weekend or bank holiday.",
            describe(start)
        ),
    ))
}

fn first_employer_contact(
    plan: PlanBuilder,
    settings: &Settings,
    track: Track,
    start: Date,
    end: Date,
) -> Result<PlanBuilder, PolicyError> {
    let days = settings.first_employer_contact_days;
    let due = calendar::next_working_day_from(calendar::add_days(start, days)?)?;
    let purpose = match track {
        Track::OutOfWork => format!(
            "First contact with an employer on the participant's behalf (within {days} days of \
             the start)"
        ),
        Track::InWorkAtRisk => format!(
            "First contact with the participant's employer, with their agreement (within {days} \
             days of the start)"
        ),
    };
    let plan = if due < end {
        plan.timer(TimerKind::FirstEmployerContact, due, purpose)
    } else {
        plan
    };
    Ok(plan.reason(
        "employer.first_contact",
        format!("Individual Placement and Support: a first employer contact within {days} days of the start."),
    ))
}

fn employer_check_in(
    plan: PlanBuilder,
    settings: &Settings,
    journey: &Journey,
    end: Date,
) -> Result<PlanBuilder, PolicyError> {
    let job_start = journey
        .job_started_on
        .ok_or_else(|| PolicyError::new("the journey is in work but has no job start date"))?;
    let days = settings.employer_check_in_days;
    let due = calendar::next_working_day_from(calendar::add_days(job_start, days)?)?;
    // Health needs are special-category data: without the participant's recorded
    // consent, the key worker must not raise them with the employer.
    let purpose = if journey.employer_health_consent {
        "Employer check-in: how the new job is going, and any workplace adjustments the \
         participant agreed to discuss"
    } else {
        "Employer check-in: how the new job is going. Do not discuss health needs: the \
         participant has not consented to that"
    };
    let plan = if due <= end {
        plan.timer(TimerKind::EmployerCheckIn, due, purpose)
    } else {
        plan
    };
    Ok(plan.reason(
        "employer.check_in",
        format!(
            "An employer check-in {days} days after the job start on {}.",
            describe(job_start)
        ),
    ))
}

fn n_times(n: u32, every: u32) -> Result<u32, PolicyError> {
    n.checked_mul(every)
        .ok_or_else(|| PolicyError::new("the review count overflowed; check `review_every_weeks`"))
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Accepted => "accepted",
        Stage::Started => "started",
        Stage::InWork => "in work",
        Stage::Paused => "paused",
        Stage::Outreach => "in outreach",
        Stage::Waitlisted => "waitlisted",
    }
}

#[cfg(test)]
mod tests {
    use waymark_sdk::testing::{date, with_bank_holidays};
    use waymark_sdk::{Journey, Timer};

    use super::*;

    fn of_kind(plan: &Plan, kind: TimerKind) -> Vec<Date> {
        plan.timers
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.due)
            .collect()
    }

    /// Monday 5 January 2026: start + 28 days is Monday 2 February.
    fn monday_start() -> Journey {
        Journey::started_on(date("2026-01-05"))
    }

    #[test]
    fn a_start_plans_four_weekly_reviews_for_twelve_months() {
        let plan =
            decide(&Settings::default(), &monday_start(), date("2026-01-05")).expect("plans");
        let reviews = of_kind(&plan, TimerKind::Review);
        assert_eq!(
            reviews[..3],
            [date("2026-02-02"), date("2026-03-02"), date("2026-03-30")]
        );
        // 13 reviews in a year (the 13th on 4 January 2027), then the end of support.
        assert_eq!(reviews.len(), 13);
        assert_eq!(reviews.last(), Some(&date("2027-01-04")));
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2027-01-05")]
        );
        assert_eq!(
            of_kind(&plan, TimerKind::FirstEmployerContact),
            vec![date("2026-02-04")]
        );
    }

    #[test]
    fn exactly_one_review_in_the_first_four_weeks_by_default() {
        let plan =
            decide(&Settings::default(), &monday_start(), date("2026-01-05")).expect("plans");
        let early: Vec<Date> = of_kind(&plan, TimerKind::Review)
            .into_iter()
            .filter(|d| *d <= date("2026-02-03"))
            .collect();
        assert_eq!(early, vec![date("2026-02-02")]);
    }

    #[test]
    fn first_review_lands_on_monday_when_start_plus_28_is_a_saturday() {
        // Saturday 3 January + 28 days is Saturday 31 January.
        let journey = Journey::started_on(date("2026-01-03"));
        let plan = decide(&Settings::default(), &journey, date("2026-01-03")).expect("plans");
        assert_eq!(of_kind(&plan, TimerKind::Review)[0], date("2026-02-02"));
    }

    #[test]
    fn review_due_on_next_working_day_after_bank_holiday() {
        // Start Monday 9 March 2026: the first review, 28 days on, is Monday
        // 6 April, Easter Monday.
        let journey = Journey::started_on(date("2026-03-09"));
        let easter_monday = date("2026-04-06");
        let plan = with_bank_holidays(&[easter_monday], || {
            decide(&Settings::default(), &journey, date("2026-03-09"))
        })
        .expect("plans");
        assert_eq!(of_kind(&plan, TimerKind::Review)[0], date("2026-04-07"));
        // Without the holiday it is the Monday itself.
        let plain = decide(&Settings::default(), &journey, date("2026-03-09")).expect("plans");
        assert_eq!(of_kind(&plain, TimerKind::Review)[0], easter_monday);
    }

    #[test]
    fn no_timer_is_due_on_or_before_the_as_of_date() {
        // Re-planned on the day of the first review: it is not planned again.
        let as_of = date("2026-02-02");
        let plan = decide(&Settings::default(), &monday_start(), as_of).expect("plans");
        assert!(
            plan.timers.iter().all(|t: &Timer| t.due > as_of),
            "{plan:?}"
        );
        assert_eq!(of_kind(&plan, TimerKind::Review)[0], date("2026-03-02"));
        // Later events give the same dates: the plan counts from the start.
        assert_eq!(
            of_kind(&plan, TimerKind::FirstEmployerContact),
            vec![date("2026-02-04")]
        );
    }

    #[test]
    fn the_in_work_at_risk_track_ends_after_four_months() {
        let journey = monday_start().with_track(Track::InWorkAtRisk);
        let plan = decide(&Settings::default(), &journey, date("2026-01-05")).expect("plans");
        // 5 May 2026 is a Tuesday (4 May is the early May bank holiday, not set here).
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2026-05-05")]
        );
        assert_eq!(
            of_kind(&plan, TimerKind::Review),
            vec![
                date("2026-02-02"),
                date("2026-03-02"),
                date("2026-03-30"),
                date("2026-04-27")
            ]
        );
        assert!(plan.timers.iter().all(|t| t.due <= date("2026-05-05")));
    }

    #[test]
    fn after_the_end_of_support_nothing_is_planned() {
        let journey = monday_start().with_track(Track::InWorkAtRisk);
        let plan = decide(&Settings::default(), &journey, date("2026-06-01")).expect("plans");
        assert!(plan.timers.is_empty());
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.text.contains("support ended on"))
        );
    }

    #[test]
    fn a_job_start_adds_an_employer_check_in_a_week_later() {
        let journey = monday_start().with_job_started_on(date("2026-03-11"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-11")).expect("plans");
        let check_ins: Vec<&Timer> = plan
            .timers
            .iter()
            .filter(|t| t.kind == TimerKind::EmployerCheckIn)
            .collect();
        assert_eq!(check_ins.len(), 1);
        assert_eq!(check_ins[0].due, date("2026-03-18"));
        assert!(check_ins[0].purpose.contains("Do not discuss health needs"));

        let consented = journey.with_employer_health_consent(true);
        let plan = decide(&Settings::default(), &consented, date("2026-03-11")).expect("plans");
        let check_in = plan
            .timers
            .iter()
            .find(|t| t.kind == TimerKind::EmployerCheckIn)
            .expect("a check-in");
        assert!(check_in.purpose.contains("workplace adjustments"));
    }

    #[test]
    fn weekly_reviews_in_the_first_month_when_set() {
        let settings = Settings {
            weekly_in_first_month: true,
            ..Settings::default()
        };
        let plan = decide(&settings, &monday_start(), date("2026-01-05")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::Review)[..5],
            [
                date("2026-01-12"),
                date("2026-01-19"),
                date("2026-01-26"),
                date("2026-02-02"),
                date("2026-03-02")
            ]
        );
    }

    #[test]
    fn accepted_and_paused_journeys_have_no_timers() {
        let accepted = Journey::accepted_on(date("2026-01-05"));
        let plan_accepted =
            decide(&Settings::default(), &accepted, date("2026-01-05")).expect("plans");
        assert!(plan_accepted.timers.is_empty());
        assert_eq!(plan_accepted.reasons[0].rule, "plan.not_started");

        let paused = monday_start().with_stage(Stage::Paused);
        let plan_paused = decide(&Settings::default(), &paused, date("2026-02-10")).expect("plans");
        assert!(plan_paused.timers.is_empty());
        assert_eq!(plan_paused.reasons[0].rule, "plan.paused");
    }

    #[test]
    fn a_started_journey_without_a_start_date_is_refused() {
        let broken = Journey::accepted_on(date("2026-01-05")).with_stage(Stage::Started);
        let err = decide(&Settings::default(), &broken, date("2026-01-05")).unwrap_err();
        assert_eq!(
            err.message(),
            "the journey is started but has no start date"
        );
    }

    #[test]
    fn a_start_at_the_end_of_the_calendar_is_refused_not_a_panic() {
        let journey = Journey::started_on(Date::MAX);
        assert!(decide(&Settings::default(), &journey, Date::MAX).is_err());
    }
}
