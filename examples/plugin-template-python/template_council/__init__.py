"""Template Council's rules, as a Waymark policy plugin in Python.

`waymark plugin new NAME --lang python` copies this project and renames it. Change
the rules, keep the tests and `golden.json` in step, then `waymark plugin test` this
folder.
"""

from dataclasses import dataclass
from typing import List

from waymark_sdk import (
    ContactDecision,
    Destination,
    Eligibility,
    Handover,
    Plan,
    Policy,
    PolicyError,
    Reason,
    Stage,
    Timer,
    TimerKind,
    setting,
)
from waymark_sdk.calendar import add_months, add_weeks, describe, next_working_day_from


@dataclass
class Settings:
    """Template Council's settings. Administrators change them over HTTP; each
    description is what they read in the schema."""

    postcode_districts: List[str] = setting(
        ["AB1", "AB2"], "Postcode districts (outward codes, e.g. `AB1`) whose residents the service takes."
    )
    signpost: str = setting(
        "Your own council's employment support service.", "Where to send someone the service cannot take."
    )
    minimum_age: int = setting(18, "The youngest age accepted.")
    review_every_weeks: int = setting(4, "Weeks between key-worker reviews, from the start.")
    max_months: int = setting(12, "The longest support lasts, in months from the start.")
    outreach_attempts: int = setting(3, "Outreach attempts after missed contacts before a disengaged exit.")


class TemplateCouncil(Policy):
    Settings = Settings

    @staticmethod
    def eligibility(s, r, as_of):
        district = r.postcode_district.strip().upper()
        lives_here = any(d.upper() == district for d in s.postcode_districts)
        reasons = []
        if not lives_here:
            reasons.append(
                Reason("residence.postcode", f"Lives in {district}, outside the districts the service covers.")
            )
        if r.age < s.minimum_age:
            reasons.append(Reason("age.minimum", f"Must be {s.minimum_age} or over; aged {r.age}."))
        if not reasons:
            return Eligibility.accept([Reason("eligible", f"Lives in {district} and is aged {r.age}.")])
        return Eligibility.decline(reasons, s.signpost)

    @staticmethod
    def plan(s, j, as_of):
        if j.stage in (Stage.ACCEPTED, Stage.PAUSED):
            return Plan.nothing(
                [Reason("plan.not_active", "Support is not running: nothing is planned until it starts or resumes.")]
            )
        if s.review_every_weeks == 0:
            raise PolicyError("`review_every_weeks` must be at least 1")
        start = j.started_on
        if start is None:
            raise PolicyError("the journey has started but has no start date")
        end = next_working_day_from(add_months(start, s.max_months))
        plan = Plan.after(as_of)
        weeks = s.review_every_weeks
        while True:
            due = next_working_day_from(add_weeks(start, weeks))
            if due >= end:
                break
            plan = plan.timer(TimerKind.REVIEW, due, "Key-worker review")
            weeks += s.review_every_weeks
        return (
            plan.timer(TimerKind.END_OF_SUPPORT, end, "End of support: prepare the handover")
            .reason("cadence.review", f"A review every {s.review_every_weeks} weeks from the start.")
            .reason("duration.maximum", f"Support lasts up to {s.max_months} months: to {describe(end)}.")
            .build()
        )

    @staticmethod
    def missed_contact(s, j, as_of):
        missed = max(j.missed_contacts, 1)
        if missed > s.outreach_attempts:
            return ContactDecision.disengaged_exit(
                [Reason("outreach.exhausted", f"All {s.outreach_attempts} outreach attempts made.")]
            )
        due = next_working_day_from(add_weeks(as_of, 1))
        return ContactDecision.outreach(
            Timer(TimerKind.OUTREACH, due, f"Outreach attempt {missed}"),
            [Reason("outreach.attempts", f"Up to {s.outreach_attempts} attempts, a week apart.")],
        )

    @staticmethod
    def handover(s, j, as_of):
        return Handover(
            Destination.JOBCENTRE,
            ["Action plan summary"],
            [Reason("handover.destination", "A warm handback to the Jobcentre.")],
        )
