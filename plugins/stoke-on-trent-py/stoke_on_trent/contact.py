"""After a missed contact: outreach attempts a week apart, then a disengaged exit."""

from __future__ import annotations

from waymark_sdk import ContactDecision, Journey, Reason, Timer, TimerKind
from waymark_sdk.calendar import add_days, describe, next_working_day_from

from .settings import Settings


def decide(settings: Settings, journey: Journey, as_of) -> ContactDecision:
    settings.check()
    attempts = settings.outreach_attempts
    interval = settings.outreach_interval_days
    # The count includes the contact just missed; a host that has not counted it yet
    # still means "one missed".
    missed = max(journey.missed_contacts, 1)
    if missed > attempts:
        return ContactDecision.disengaged_exit(
            [
                Reason(
                    "outreach.exhausted",
                    f"{missed} contacts missed in a row, and all {attempts} outreach attempts have "
                    "been made: the journey closes as disengaged.",
                )
            ]
        )
    due = next_working_day_from(add_days(as_of, interval))
    timer = Timer(
        TimerKind.OUTREACH,
        due,
        f"Outreach attempt {missed} of {attempts}: contact the participant (phone, text, letter "
        "or a visit) and offer a new appointment",
    )
    return ContactDecision.outreach(
        timer,
        [
            Reason(
                "outreach.attempts",
                f"Up to {attempts} outreach attempts, {interval} days apart, before a disengaged "
                f"exit: attempt {missed} is due on {describe(due)}.",
            )
        ],
    )
