"""A native test harness: run a policy's rules in plain Python (``pytest``), no wasm.

- ``run_golden(MyPolicy, "golden.json")`` runs every golden case the way the host
  runs them in the sandbox on upload (same file format, same checks as the Rust
  SDK's ``run_golden``) and raises ``GoldenFailure`` listing each case that failed.
- ``decide(MyPolicy, "eligibility", input, as_of, settings=..., holidays=...)``
  calls one hook through the same settings parsing the component uses.
- ``bank_holidays(...)`` sets the native calendar (Monday to Friday less those days).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Type, Union

from . import calendar as cal
from . import contract as c
from . import settings as s
from .policy import Policy

MAX_TIMERS = 200
HOOKS = ("eligibility", "plan", "missed_contact", "handover")
_EXPECT_FIELDS = {
    "error": None,
    "outcome": "eligibility",
    "signpost": "eligibility",
    "rules": None,
    "timers": "plan",
    "timers_include": "plan",
    "timers_exclude_kinds": "plan",
    "step": "missed_contact",
    "outreach_due": "missed_contact",
    "destination": "handover",
    "pack_includes": "handover",
}


class GoldenFailure(AssertionError):
    """The golden file is unreadable, or these cases did not hold."""


@contextlib.contextmanager
def bank_holidays(days: Sequence[c.Date]) -> Iterator[None]:
    """Within the block, the native calendar's bank holidays are exactly ``days``."""
    saved = set(cal._native_bank_holidays)
    cal._native_bank_holidays.clear()
    cal._native_bank_holidays.update(days)
    try:
        yield
    finally:
        cal._native_bank_holidays.clear()
        cal._native_bank_holidays.update(saved)


def date(text: str) -> c.Date:
    return datetime.date.fromisoformat(text)


def _enum(cls: Any, value: Any, what: str) -> Any:
    for member in cls:
        if member.value == value:
            return member
    raise ValueError(f"{what} {json.dumps(value)} is not one of " + ", ".join(m.value for m in cls))


def _need(obj: Dict[str, Any], key: str, what: str) -> Any:
    if key not in obj:
        raise ValueError(f"the input of a {what} is missing `{key}`")
    return obj[key]


def _opt_date(obj: Dict[str, Any], key: str) -> Optional[c.Date]:
    v = obj.get(key)
    return None if v is None else date(v)


def referral(obj: Dict[str, Any]) -> c.Referral:
    """A referral from the contract's JSON (as in golden cases)."""
    n = lambda k: _need(obj, k, "referral")  # noqa: E731
    return c.Referral(
        route=_enum(c.ReferralRoute, n("route"), "route"),
        age=n("age"),
        postcode_district=n("postcode_district"),
        in_work=n("in_work"),
        on_universal_credit=n("on_universal_credit"),
        known_to_health_services=n("known_to_health_services"),
        on_other_programme=n("on_other_programme"),
        cohorts=[_enum(c.Cohort, x, "cohort") for x in n("cohorts")],
        health_condition_or_disability=obj.get("health_condition_or_disability", False),
    )


def journey(obj: Dict[str, Any]) -> c.Journey:
    """A journey from the contract's JSON (as in golden cases)."""
    n = lambda k: _need(obj, k, "journey")  # noqa: E731
    return c.Journey(
        stage=_enum(c.Stage, n("stage"), "stage"),
        track=_enum(c.Track, n("track"), "track"),
        referred_on=date(n("referred_on")),
        started_on=_opt_date(obj, "started_on"),
        job_started_on=_opt_date(obj, "job_started_on"),
        missed_contacts=n("missed_contacts"),
        employer_health_consent=n("employer_health_consent"),
        mental_health_needs=n("mental_health_needs"),
        programme=_enum(c.Programme, obj.get("programme", "connect_to_work"), "programme"),
        support_ends_on=_opt_date(obj, "support_ends_on"),
        job_ended_on=_opt_date(obj, "job_ended_on"),
        outcome_checkpoints=[
            c.CheckpointResult(date(p["on"]), p["met"], p["hours_per_week"])
            for p in obj.get("outcome_checkpoints", [])
        ],
        health_condition_or_disability=obj.get("health_condition_or_disability", False),
    )


def decide(
    policy: Type[Policy],
    hook: str,
    input: Union[Dict[str, Any], c.Referral, c.Journey],
    as_of: Union[str, c.Date],
    settings: Optional[Dict[str, Any]] = None,
    holidays: Sequence[c.Date] = (),
) -> Any:
    """Calls one hook natively, as the component would: settings parsed from JSON,
    ``PolicyError`` (or a bad setting) raised to the caller."""
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}: one of {', '.join(HOOKS)}")
    day = date(as_of) if isinstance(as_of, str) else as_of
    parsed = s.parse(policy.Settings, json.dumps(settings or {}))
    if isinstance(input, dict):
        input = referral(input) if hook == "eligibility" else journey(input)
    with bank_holidays(holidays):
        return getattr(policy, hook)(parsed, input, day)


def _reasons(answer: Any) -> List[c.Reason]:
    return list(answer.reasons)


def _summary(answer: Any) -> str:
    if isinstance(answer, c.Eligibility):
        return f"the outcome {answer.outcome.value}"
    if isinstance(answer, c.Plan):
        return f"a plan of {len(answer.timers)} timers"
    if isinstance(answer, c.ContactDecision):
        return "an outreach attempt" if isinstance(answer.step, c.Outreach) else "a disengaged exit"
    return f"a handover to {answer.destination.value}"


def _timer_list(timers: Sequence[tuple]) -> str:
    return ", ".join(f"{k} on {d}" for k, d in timers)


def check_case(case: Dict[str, Any], answer: Union[Any, c.PolicyError, ValueError]) -> List[str]:
    """Everything wrong with ``answer`` (or the refusal raised) for a golden case."""
    hook, expect = case["hook"], case.get("expect", {})
    as_of = date(case["as_of"])
    problems: List[str] = []
    for key, value in expect.items():
        if key not in _EXPECT_FIELDS:
            problems.append(f"unknown expectation `expect.{key}`")
            continue
        applies = _EXPECT_FIELDS[key]
        is_set = value not in (None, []) if key != "timers" else value is not None
        if not is_set or applies is None:
            continue
        if applies != hook:
            problems.append(f"`expect.{key}` applies to {applies} cases, not {hook}")
        elif expect.get("error") is not None:
            problems.append(f"`expect.{key}` cannot be checked beside `expect.error`")
    if expect.get("error") is not None and expect.get("rules"):
        problems.append("`expect.rules` cannot be checked beside `expect.error`")

    wanted_error = expect.get("error")
    if isinstance(answer, Exception):
        message = str(answer)
        if wanted_error is None:
            problems.append(f"the hook refused: {message}")
        elif wanted_error not in message:
            problems.append(
                f"expected an error containing {json.dumps(wanted_error)}, got the error {json.dumps(message)}"
            )
        return problems
    if wanted_error is not None:
        problems.append(f"expected an error containing {json.dumps(wanted_error)}, got {_summary(answer)}")
        return problems

    # The contract's own rules.
    reasons = _reasons(answer)
    if not reasons:
        problems.append("the answer gives no reasons; every decision must say why")
    for r in reasons:
        if not r.rule.strip():
            problems.append(f"the reason {json.dumps(r.text)} has no rule id")
    timers: List[c.Timer] = []
    if isinstance(answer, c.Plan):
        timers = list(answer.timers)
    elif isinstance(answer, c.ContactDecision) and isinstance(answer.step, c.Outreach):
        timers = [answer.step.timer]
    if len(timers) > MAX_TIMERS:
        problems.append(f"the plan asks for {len(timers)} timers, more than the {MAX_TIMERS} a plan may have")
    for t in timers:
        if t.due <= as_of:
            problems.append(f"the {t.kind.value} timer is due {t.due}, not after the as-of date {as_of}")

    given = {r.rule for r in reasons}
    for rule in expect.get("rules", []):
        if rule not in given:
            problems.append(f"expected a reason with rule {json.dumps(rule)}; rules given: {sorted(given)}")
    if isinstance(answer, c.Eligibility):
        if expect.get("outcome") is not None and expect["outcome"] != answer.outcome.value:
            problems.append(f"expected outcome {expect['outcome']}, got {answer.outcome.value}")
        if expect.get("signpost") is not None and expect["signpost"] != (answer.signpost is not None):
            problems.append(
                "expected a signpost, got none"
                if expect["signpost"]
                else f"expected no signpost, got {json.dumps(answer.signpost)}"
            )
    elif isinstance(answer, c.Plan):
        got = sorted((t.kind.value, t.due.isoformat()) for t in answer.timers)
        if expect.get("timers") is not None:
            wanted = sorted((t["kind"], t["due"]) for t in expect["timers"])
            if wanted != got:
                problems.append(
                    f"expected exactly the timers [{_timer_list(wanted)}], got [{_timer_list(got)}]"
                )
        for t in expect.get("timers_include", []):
            if (t["kind"], t["due"]) not in got:
                problems.append(f"expected a timer {t['kind']} on {t['due']}, got [{_timer_list(got)}]")
        for kind in expect.get("timers_exclude_kinds", []):
            hit = next((g for g in got if g[0] == kind), None)
            if hit:
                problems.append(f"expected no {kind} timer, got {hit[0]} on {hit[1]}")
    elif isinstance(answer, c.ContactDecision):
        outreach = isinstance(answer.step, c.Outreach)
        step = "outreach" if outreach else "disengaged_exit"
        if expect.get("step") is not None and expect["step"] != step:
            problems.append(f"expected the step {expect['step']}, got {step}")
        if expect.get("outreach_due") is not None:
            due = answer.step.timer.due.isoformat() if outreach else None
            if due != expect["outreach_due"]:
                problems.append(
                    f"expected outreach due {expect['outreach_due']}, got "
                    + (due if due else "a disengaged exit")
                )
    elif isinstance(answer, c.Handover):
        if expect.get("destination") is not None and expect["destination"] != answer.destination.value:
            problems.append(f"expected destination {expect['destination']}, got {answer.destination.value}")
        for item in expect.get("pack_includes", []):
            if item not in answer.pack:
                problems.append(f"expected {json.dumps(item)} in the pack, got {answer.pack}")
    return problems


def run_golden(policy: Type[Policy], golden: str) -> None:
    """Runs every case of a golden file (a path, or its JSON text) against ``policy``
    natively. Raises ``GoldenFailure`` listing each case that did not hold."""
    text = open(golden, encoding="utf-8").read() if os.path.exists(golden) else golden
    try:
        cases = json.loads(text)
    except json.JSONDecodeError as e:
        raise GoldenFailure(f"not a golden file: {e}") from None
    if not isinstance(cases, list) or not cases:
        raise GoldenFailure("the golden file has no cases")
    failures = []
    for number, case in enumerate(cases, start=1):
        try:
            if case.get("hook") not in HOOKS:
                raise ValueError(f"unknown hook {case.get('hook')!r}")
            holidays = [date(d) for d in case.get("bank_holidays", [])]
            try:
                answer: Any = decide(
                    policy, case["hook"], case["input"], case["as_of"], case.get("settings"), holidays
                )
            except (c.PolicyError, ValueError) as refusal:
                answer = refusal
            problems = check_case(case, answer)
        except (KeyError, ValueError, TypeError) as bad:
            problems = [f"the case cannot be read: {bad}"]
        if problems:
            failures.append((number, case.get("name", ""), problems))
    if failures:
        lines = [f"{len(failures)} of {len(cases)} golden cases failed:"]
        for number, name, problems in failures:
            lines.append(f"  case {number} ({json.dumps(name)}):")
            lines.extend(f"    - {p}" for p in problems)
        raise GoldenFailure("\n".join(lines))
