"""The rules natively, without wasm: `waymark plugin test` (or `pytest`)."""

import os

from waymark_sdk import Outcome, settings as sdk_settings
from waymark_sdk.testing import decide, run_golden

from stoke_on_trent import Settings, StokeOnTrent

HERE = os.path.dirname(os.path.abspath(__file__))


def test_golden_cases_hold():
    run_golden(StokeOnTrent, os.path.join(HERE, "..", "golden.json"))


def test_the_settings_schema_describes_every_setting():
    schema = sdk_settings.schema(Settings)
    assert "postcode_districts" in schema["properties"]
    for name, prop in schema["properties"].items():
        assert prop["description"], name
        assert "default" in prop, name


def test_a_bad_setting_is_refused_by_name():
    try:
        decide(StokeOnTrent, "eligibility", _adult("ST4"), "2026-01-05", {"review_every_weeks": 0})
    except Exception as e:  # noqa: BLE001 - the refusal is the point
        assert str(e).startswith("`review_every_weeks` is 0"), e
    else:
        raise AssertionError("a zero review cadence must be refused")


def test_districts_match_ignoring_case_and_spaces():
    answer = decide(StokeOnTrent, "eligibility", _adult(" st4 "), "2026-01-05")
    assert answer.outcome is Outcome.ACCEPT


def _adult(district):
    return {
        "route": "jobcentre", "age": 35, "postcode_district": district, "in_work": False,
        "on_universal_credit": False, "known_to_health_services": False,
        "on_other_programme": False, "cohorts": [],
    }
