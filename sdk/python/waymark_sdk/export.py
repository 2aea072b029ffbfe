"""The component's glue: ``Policy = export(MyPolicy)`` in the app module that
``waymark plugin build`` hands to componentize-py.

It parses the council's settings, converts the bindings' records to the SDK's
(and back), and turns ``PolicyError`` into the contract's refusal; written once
here so a plugin holds only its rules.
"""

from __future__ import annotations

import datetime
import json
import traceback
from typing import Any, Callable, Type

from . import contract as c
from . import settings as s
from .calendar import log
from .policy import Policy


def export(policy: Type[Policy]) -> Any:
    """The class componentize-py exports as ``waymark:policy/policy``."""
    from componentize_py_types import Err  # type: ignore[import-not-found]
    from wit_world import exports  # type: ignore[import-not-found]
    from wit_world.imports import types as wit  # type: ignore[import-not-found]

    conv = _Convert(wit)

    def run(decide: Callable[[], Any]) -> Any:
        try:
            return decide()
        except (c.PolicyError, ValueError) as e:
            raise Err(str(e)) from None
        except Exception:
            # A crash: say what in the decision log, then let the host record it.
            log("plugin crashed: " + traceback.format_exc(limit=3).strip().splitlines()[-1])
            raise

    class Exported(exports.Policy):
        def settings_schema(self) -> str:
            return json.dumps(s.schema(policy.Settings), separators=(",", ":"))

        def eligibility(self, settings: str, referral: Any, as_of: Any) -> Any:
            def decide() -> Any:
                parsed = s.parse(policy.Settings, settings)
                day = conv.as_of(as_of)
                answer = policy.eligibility(parsed, conv.referral(referral), day)
                return conv.eligibility(answer)

            return run(decide)

        def plan(self, settings: str, journey: Any, as_of: Any) -> Any:
            def decide() -> Any:
                parsed = s.parse(policy.Settings, settings)
                day = conv.as_of(as_of)
                return conv.plan(policy.plan(parsed, conv.journey(journey), day))

            return run(decide)

        def missed_contact(self, settings: str, journey: Any, as_of: Any) -> Any:
            def decide() -> Any:
                parsed = s.parse(policy.Settings, settings)
                day = conv.as_of(as_of)
                answer = policy.missed_contact(parsed, conv.journey(journey), day)
                return conv.contact(answer)

            return run(decide)

        def handover(self, settings: str, journey: Any, as_of: Any) -> Any:
            def decide() -> Any:
                parsed = s.parse(policy.Settings, settings)
                day = conv.as_of(as_of)
                return conv.handover(policy.handover(parsed, conv.journey(journey), day))

            return run(decide)

    Exported.__name__ = "Policy"
    return Exported


def _by_name(wit_enum: Any, sdk_enum: Any) -> dict:
    """Maps the bindings' enum to the SDK's, member by member in declared order
    (both follow the WIT's order)."""
    return dict(zip(list(wit_enum), list(sdk_enum)))


class _Convert:
    def __init__(self, wit: Any) -> None:
        self.wit = wit
        self.route = _by_name(wit.ReferralRoute, c.ReferralRoute)
        self.track = _by_name(wit.Track, c.Track)
        self.cohort = _by_name(wit.Cohort, c.Cohort)
        self.stage = _by_name(wit.Stage, c.Stage)
        self.programme = _by_name(wit.Programme, c.Programme)
        self.outcome = {v: k for k, v in _by_name(wit.Outcome, c.Outcome).items()}
        self.kind = {v: k for k, v in _by_name(wit.TimerKind, c.TimerKind).items()}
        self.destination = {v: k for k, v in _by_name(wit.Destination, c.Destination).items()}

    @staticmethod
    def date(d: Any, what: str) -> c.Date:
        try:
            return datetime.date(d.year, d.month, d.day)
        except ValueError:
            raise ValueError(f"{what} date {d.year}-{d.month:02}-{d.day:02} does not exist") from None

    def as_of(self, d: Any) -> c.Date:
        return self.date(d, "the as-of")

    def opt(self, d: Any, what: str) -> Any:
        return None if d is None else self.date(d, what)

    def referral(self, r: Any) -> c.Referral:
        return c.Referral(
            route=self.route[r.route],
            age=r.age,
            postcode_district=r.postcode_district,
            in_work=r.in_work,
            on_universal_credit=r.on_universal_credit,
            known_to_health_services=r.known_to_health_services,
            on_other_programme=r.on_other_programme,
            cohorts=[self.cohort[x] for x in r.cohorts],
            health_condition_or_disability=r.health_condition_or_disability,
        )

    def journey(self, j: Any) -> c.Journey:
        return c.Journey(
            stage=self.stage[j.stage],
            track=self.track[j.track],
            referred_on=self.date(j.referred_on, "the journey's referred-on"),
            started_on=self.opt(j.started_on, "the journey's started-on"),
            job_started_on=self.opt(j.job_started_on, "the journey's job-started-on"),
            missed_contacts=j.missed_contacts,
            employer_health_consent=j.employer_health_consent,
            mental_health_needs=j.mental_health_needs,
            programme=self.programme[j.programme],
            support_ends_on=self.opt(j.support_ends_on, "the journey's support-ends-on"),
            job_ended_on=self.opt(j.job_ended_on, "the journey's job-ended-on"),
            outcome_checkpoints=[
                c.CheckpointResult(self.date(p.on, "a checkpoint's"), p.met, p.hours_per_week)
                for p in j.outcome_checkpoints
            ],
            health_condition_or_disability=j.health_condition_or_disability,
        )

    def to_date(self, d: c.Date) -> Any:
        return self.wit.Date(d.year, d.month, d.day)

    def reasons(self, reasons: Any) -> list:
        return [self.wit.Reason(r.rule, r.text) for r in reasons]

    def timer(self, t: c.Timer) -> Any:
        return self.wit.Timer(self.kind[t.kind], self.to_date(t.due), t.purpose)

    def eligibility(self, e: c.Eligibility) -> Any:
        return self.wit.Eligibility(self.outcome[e.outcome], self.reasons(e.reasons), e.signpost)

    def plan(self, p: c.Plan) -> Any:
        return self.wit.Plan([self.timer(t) for t in p.timers], self.reasons(p.reasons))

    def contact(self, d: c.ContactDecision) -> Any:
        if isinstance(d.step, c.Outreach):
            step = self.wit.ContactStep_Outreach(self.timer(d.step.timer))
        else:
            step = self.wit.ContactStep_DisengagedExit()
        return self.wit.ContactDecision(step, self.reasons(d.reasons))

    def handover(self, h: c.Handover) -> Any:
        return self.wit.Handover(self.destination[h.destination], list(h.pack), self.reasons(h.reasons))
