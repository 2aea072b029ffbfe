"""The rules natively, without wasm: `waymark plugin test .` runs these, then builds
the component and runs `golden.json` in the real sandbox."""

import os

from waymark_sdk import Outcome
from waymark_sdk.testing import date, decide, run_golden

from template_council import TemplateCouncil

HERE = os.path.dirname(os.path.abspath(__file__))
RESIDENT = {
    "route": "self", "age": 30, "postcode_district": "AB1", "in_work": False,
    "on_universal_credit": False, "known_to_health_services": False,
    "on_other_programme": False, "cohorts": [],
}


def test_a_resident_adult_is_accepted():
    e = decide(TemplateCouncil, "eligibility", RESIDENT, "2026-03-02")
    assert e.outcome is Outcome.ACCEPT


def test_someone_outside_the_area_is_declined_with_a_signpost():
    e = decide(TemplateCouncil, "eligibility", dict(RESIDENT, postcode_district="ZZ9"), "2026-03-02")
    assert e.outcome is Outcome.DECLINE
    assert e.reasons[0].rule == "residence.postcode"
    assert e.signpost is not None


def test_review_due_on_next_working_day_after_bank_holiday():
    # Start Monday 9 March 2026: four weeks on is Easter Monday, 6 April.
    journey = {
        "stage": "started", "track": "out_of_work", "referred_on": "2026-03-09",
        "started_on": "2026-03-09", "job_started_on": None, "missed_contacts": 0,
        "employer_health_consent": False, "mental_health_needs": False,
    }
    plan = decide(TemplateCouncil, "plan", journey, "2026-03-09", holidays=[date("2026-04-06")])
    assert plan.timers[0].due == date("2026-04-07")


def test_golden_cases_hold():
    run_golden(TemplateCouncil, os.path.join(HERE, "..", "golden.json"))
