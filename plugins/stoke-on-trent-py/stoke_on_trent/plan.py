"""The dated work a journey needs: key-worker reviews, the first employer contact,
an employer check-in after a job start, and the end of support. Dates count from
the start date, moved to the next working day; only timers after the as-of date."""

from __future__ import annotations

from waymark_sdk import Journey, Plan, PlanBuilder, PolicyError, Reason, Stage, TimerKind, Track
from waymark_sdk.calendar import add_days, add_months, add_weeks, describe, next_working_day_from

from .settings import Settings

FIRST_MONTH_WEEKS = 3
U32_MAX = 2**32 - 1


def decide(settings: Settings, journey: Journey, as_of) -> Plan:
    settings.check()
    if journey.stage is Stage.ACCEPTED:
        return Plan.nothing(
            [Reason("plan.not_started", "Support has not started yet: reviews are planned from the start date.")]
        )
    if journey.stage is Stage.WAITLISTED:
        return Plan.nothing(
            [Reason("plan.waitlisted", "On the waiting list: nothing is planned until the referral is accepted.")]
        )
    if journey.stage is Stage.PAUSED:
        return Plan.nothing(
            [
                Reason(
                    "plan.paused",
                    "Support is paused: no reminders until it resumes, when the plan is made again.",
                )
            ]
        )
    return active(settings, journey, as_of)


def active(settings: Settings, journey: Journey, as_of) -> Plan:
    start = journey.started_on
    if start is None:
        raise PolicyError(f"the journey is {stage_name(journey.stage)} but has no start date")
    months = settings.max_months(journey.track)
    end = next_working_day_from(add_months(start, months))

    plan = Plan.after(as_of)
    plan = reviews(plan, settings, start, end)
    plan = first_employer_contact(plan, settings, journey.track, start, end)
    if journey.stage is Stage.IN_WORK:
        plan = employer_check_in(plan, settings, journey, end)
    if journey.stage is Stage.OUTREACH:
        plan = plan.reason(
            "plan.outreach",
            "The participant has stopped engaging: planned reviews stand, and each outreach "
            "attempt is planned after a missed contact.",
        )
    track = "out of work" if journey.track is Track.OUT_OF_WORK else "in work at risk of losing their job"
    ended = "ended" if end <= as_of else "ends"
    return (
        plan.timer(
            TimerKind.END_OF_SUPPORT,
            end,
            f"End of support: {months} months since the start on {describe(start)}. Agree the exit "
            "plan and prepare the handover.",
        )
        .reason(
            "duration.maximum",
            f"Connect to Work supports people {track} for up to {months} months: support "
            f"{ended} on {describe(end)}.",
        )
        .build()
    )


def reviews(plan: PlanBuilder, settings: Settings, start, end) -> PlanBuilder:
    every = settings.review_every_weeks
    # A weekly review and a cadence review on the same working day are one meeting.
    dues = set()
    cadence = []
    n = 1
    while True:
        weeks = n * every
        if weeks > U32_MAX:
            raise PolicyError("the review count overflowed; check `review_every_weeks`")
        due = next_working_day_from(add_weeks(start, weeks))
        if due >= end:
            break
        if due not in dues:
            dues.add(due)
            cadence.append(due)
        n += 1
    weekly = []
    if settings.weekly_in_first_month:
        for week in range(1, FIRST_MONTH_WEEKS + 1):
            due = next_working_day_from(add_weeks(start, week))
            if due < end and due not in dues:
                dues.add(due)
                weekly.append(due)
    for due in cadence:
        plan = plan.timer(
            TimerKind.REVIEW, due, f"{every}-weekly key-worker review: progress against the action plan"
        )
    for due in weekly:
        plan = plan.timer(
            TimerKind.REVIEW, due, "Weekly key-worker review (first month): settling in and the action plan"
        )
    first_month = ", and weekly in the first month" if settings.weekly_in_first_month else ""
    return plan.reason(
        "cadence.review",
        f"A key-worker review every {every} weeks from the start on {describe(start)}{first_month}, "
        "moved to the next working day when it falls on a weekend or bank holiday.",
    )


def first_employer_contact(plan: PlanBuilder, settings: Settings, track: Track, start, end) -> PlanBuilder:
    days = settings.first_employer_contact_days
    due = next_working_day_from(add_days(start, days))
    if track is Track.OUT_OF_WORK:
        purpose = (
            f"First contact with an employer on the participant's behalf (within {days} days of the start)"
        )
    else:
        purpose = (
            f"First contact with the participant's employer, with their agreement (within {days} "
            "days of the start)"
        )
    if due < end:
        plan = plan.timer(TimerKind.FIRST_EMPLOYER_CONTACT, due, purpose)
    return plan.reason(
        "employer.first_contact",
        f"Individual Placement and Support: a first employer contact within {days} days of the start.",
    )


def employer_check_in(plan: PlanBuilder, settings: Settings, journey: Journey, end) -> PlanBuilder:
    job_start = journey.job_started_on
    if job_start is None:
        raise PolicyError("the journey is in work but has no job start date")
    days = settings.employer_check_in_days
    due = next_working_day_from(add_days(job_start, days))
    # Without the participant's recorded consent, health needs are not for the employer.
    if journey.employer_health_consent:
        purpose = (
            "Employer check-in: how the new job is going, and any workplace adjustments the "
            "participant agreed to discuss"
        )
    else:
        purpose = (
            "Employer check-in: how the new job is going. Do not discuss health needs: the "
            "participant has not consented to that"
        )
    if due <= end:
        plan = plan.timer(TimerKind.EMPLOYER_CHECK_IN, due, purpose)
    return plan.reason(
        "employer.check_in",
        f"An employer check-in {days} days after the job start on {describe(job_start)}.",
    )


def stage_name(stage: Stage) -> str:
    return {
        Stage.ACCEPTED: "accepted",
        Stage.STARTED: "started",
        Stage.IN_WORK: "in work",
        Stage.PAUSED: "paused",
        Stage.OUTREACH: "in outreach",
        Stage.WAITLISTED: "waitlisted",
    }[stage]
