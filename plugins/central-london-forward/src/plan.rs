//! The dated work a journey needs: a first meeting within 15 working days of the
//! referral; four-weekly reviews for up to 12 months (4 in work at risk); after a
//! job start, weekly in-work contact for 182 days and an employer check-in, which
//! leaves health out unless the participant consented to discussing it.

use waymark_sdk::calendar::{self, describe};
use waymark_sdk::{Date, Journey, Plan, PolicyError, Reason, Stage, TimerKind, Track};

use crate::settings::Settings;

pub(crate) fn decide(
    settings: &Settings,
    journey: &Journey,
    as_of: Date,
) -> Result<Plan, PolicyError> {
    settings.check()?;
    match journey.stage {
        Stage::Accepted => {
            let days = settings.first_meeting_working_days;
            let due = calendar::add_working_days(journey.referred_on, days)?;
            Ok(Plan::after(as_of)
                .timer(
                    TimerKind::Review,
                    due,
                    format!("First meeting with the key worker (within {days} working days)"),
                )
                .reason(
                    "first_meeting.deadline",
                    format!(
                        "A first meeting within {days} working days of the referral on {}.",
                        describe(journey.referred_on)
                    ),
                )
                .build())
        }
        Stage::Waitlisted => waiting(settings, journey, as_of),
        Stage::Paused => Ok(Plan::nothing([Reason::new(
            "plan.paused",
            "Support is paused: nothing is planned until it resumes.",
        )])),
        Stage::Started | Stage::InWork | Stage::Outreach => active(settings, journey, as_of),
    }
}

/// The partnership promises everyone on its waiting list a key worker's call before
/// the longest wait (`max_wait_weeks`) is up, so nobody waits without hearing.
fn waiting(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
    let days = settings.waitlist_call_working_days;
    let weeks = settings.max_wait_weeks;
    let due = calendar::add_working_days(journey.referred_on, days)?;
    let wait_ends = calendar::add_weeks(journey.referred_on, weeks)?;
    if due >= wait_ends {
        // `Settings::check` rules this out; a plan that broke the promise would be wrong.
        return Err(PolicyError::new(format!(
            "the key worker's call on {} would come after the {weeks}-week wait ends;              lower `waitlist_call_working_days`",
            describe(due)
        )));
    }
    Ok(Plan::after(as_of)
        .timer(
            TimerKind::Review,
            due,
            format!(
                "A key worker's call to someone on the waiting list: before the {weeks}-week                  maximum wait ends"
            ),
        )
        .reason(
            "waitlist.key_worker_call",
            format!(
                "Everyone waitlisted gets a key worker's call within {days} working days of the                  referral on {}, before the maximum wait ends on {}.",
                describe(journey.referred_on),
                describe(wait_ends)
            ),
        )
        .build())
}

fn active(settings: &Settings, journey: &Journey, as_of: Date) -> Result<Plan, PolicyError> {
    let start = journey
        .started_on
        .ok_or_else(|| PolicyError::new("the journey has started but has no start date"))?;
    let months = settings.max_months(journey.track);
    let end = calendar::next_working_day_from(calendar::add_months(start, months)?)?;
    let every = settings.review_every_weeks;
    let mut plan = Plan::after(as_of);
    let mut n = 1;
    loop {
        let weeks = n * every;
        let due = calendar::next_working_day_from(calendar::add_weeks(start, weeks)?)?;
        if due >= end {
            break;
        }
        plan = plan.timer(
            TimerKind::Review,
            due,
            format!("{every}-weekly key-worker review"),
        );
        n += 1;
    }
    if let Some(job_start) = journey
        .job_started_on
        .filter(|_| journey.stage == Stage::InWork)
    {
        let days = settings.in_work_weekly_days;
        let last = calendar::add_days(job_start, days)?;
        let mut week = 1;
        loop {
            let due = calendar::next_working_day_from(calendar::add_weeks(job_start, week)?)?;
            if due > last {
                break;
            }
            plan = plan.timer(
                TimerKind::InWorkReview,
                due,
                "Weekly in-work contact: how the job is going",
            );
            week += 1;
        }
        let weeks = settings.employer_check_in_weeks;
        let due = calendar::next_working_day_from(calendar::add_weeks(job_start, weeks)?)?;
        let (purpose, consent) = if journey.employer_health_consent {
            (
                "Employer check-in: the job, and the workplace adjustments the participant \
                 agreed to discuss",
                "The participant consented to their health being discussed with the employer.",
            )
        } else {
            (
                "Employer check-in about the job only: do NOT discuss health, which the \
                 participant has not consented to",
                "No recorded consent to discuss health: the employer check-in leaves health out.",
            )
        };
        plan = plan
            .timer(TimerKind::EmployerCheckIn, due, purpose)
            .reason("employer.health_consent", consent)
            .reason(
                "in_work.weekly",
                format!(
                    "Weekly in-work contact for {days} days after the job start on {}.",
                    describe(job_start)
                ),
            );
    }
    let track = match journey.track {
        Track::OutOfWork => "out of work",
        Track::InWorkAtRisk => "in work at risk",
    };
    Ok(plan
        .timer(
            TimerKind::EndOfSupport,
            end,
            "End of support: a warm handback to the Jobcentre work coach",
        )
        .reason(
            "cadence.review",
            format!(
                "A key-worker review every {every} weeks from the start on {}.",
                describe(start)
            ),
        )
        .reason(
            "duration.maximum",
            format!(
                "Support for people {track} lasts up to {months} months: to {}.",
                describe(end)
            ),
        )
        .build())
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
    fn a_waitlisted_person_gets_a_key_workers_call_before_the_maximum_wait_ends() {
        // Referred Monday 2 March 2026: ten working days on is Monday 16 March, well
        // before the eight-week wait ends on 27 April.
        let journey = Journey::waitlisted_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        assert_eq!(plan.timers.len(), 1, "{plan:?}");
        let call = &plan.timers[0];
        assert_eq!(call.kind, TimerKind::Review);
        assert_eq!(call.due, date("2026-03-16"));
        assert!(
            call.purpose.contains("key worker's call"),
            "{}",
            call.purpose
        );
        assert_eq!(plan.reasons[0].rule, "waitlist.key_worker_call");
    }

    #[test]
    fn a_call_that_would_break_the_wait_promise_is_refused_by_the_settings() {
        let settings = Settings {
            max_wait_weeks: 2,
            waitlist_call_working_days: 10,
            ..Settings::default()
        };
        let err = settings
            .check()
            .expect_err("a call after the wait is refused");
        assert!(
            err.to_string().contains("`waitlist_call_working_days`"),
            "{err}"
        );
    }

    #[test]
    fn the_first_meeting_is_due_15_working_days_after_referral() {
        let journey = Journey::accepted_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        assert_eq!(of_kind(&plan, TimerKind::Review), vec![date("2026-03-23")]);
    }

    #[test]
    fn four_weekly_reviews_for_twelve_months() {
        let journey = Journey::started_on(date("2026-01-05"));
        let plan = decide(&Settings::default(), &journey, date("2026-01-05")).expect("plans");
        let reviews = of_kind(&plan, TimerKind::Review);
        assert_eq!(reviews[0], date("2026-02-02"));
        assert_eq!(reviews.len(), 13);
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2027-01-05")]
        );
    }

    #[test]
    fn a_job_start_brings_26_weekly_in_work_contacts() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        let contacts = of_kind(&plan, TimerKind::InWorkReview);
        assert_eq!(contacts.len(), 26);
        assert_eq!(contacts[0], date("2026-03-09"));
        // 26 weeks on is 31 August 2026; 182 days is the same day.
        assert_eq!(contacts.last(), Some(&date("2026-08-31")));
    }

    #[test]
    fn the_employer_check_in_leaves_health_out_without_consent() {
        let journey =
            Journey::started_on(date("2026-01-05")).with_job_started_on(date("2026-03-02"));
        let plan = decide(&Settings::default(), &journey, date("2026-03-02")).expect("plans");
        let check_in = plan
            .timers
            .iter()
            .find(|t| t.kind == TimerKind::EmployerCheckIn)
            .expect("a check-in");
        assert_eq!(check_in.due, date("2026-03-30"));
        assert!(check_in.purpose.contains("do NOT discuss health"));
        let consented = journey.with_employer_health_consent(true);
        let plan = decide(&Settings::default(), &consented, date("2026-03-02")).expect("plans");
        assert!(
            plan.timers
                .iter()
                .any(|t| t.purpose.contains("workplace adjustments"))
        );
    }

    #[test]
    fn the_in_work_at_risk_track_ends_after_four_months() {
        let journey = Journey::started_on(date("2026-01-05")).with_track(Track::InWorkAtRisk);
        let plan = decide(&Settings::default(), &journey, date("2026-01-05")).expect("plans");
        assert_eq!(
            of_kind(&plan, TimerKind::EndOfSupport),
            vec![date("2026-05-05")]
        );
    }
}
