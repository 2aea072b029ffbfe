"""What Stoke-on-Trent's administrators can tune without a new plugin.

Every field has a default (the programme as commissioned), so ``{}`` is a complete
configuration. The descriptions become the settings schema's, which is what an
administrator reads when editing them over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from waymark_sdk import Destination, PolicyError, Track, setting

# Nobody under this age can join Connect to Work, whatever the settings say.
PROGRAMME_MINIMUM_AGE = 16
# The longest track accepted in settings: anything above two years is a typo.
MAX_TRACK_MONTHS = 24
# The longest gap, in days, any of the day-count settings may have.
MAX_DAYS = 365


@dataclass
class Settings:
    """Stoke-on-Trent City Council's Connect to Work settings."""

    postcode_districts: List[str] = setting(
        ["ST1", "ST2", "ST3", "ST4", "ST6"],
        "Postcode districts (the outward code, e.g. `ST4`) whose residents the service "
        "takes. Compared ignoring case and surrounding spaces.",
    )
    out_of_area_signpost: str = setting(
        "Your own council's employment support service: Connect to Work is run by each "
        "council or partnership for its own residents. Find your council at "
        "https://www.gov.uk/find-local-council.",
        "Where to send someone who lives outside those districts.",
    )
    minimum_age: int = setting(18, "The youngest age accepted without conditions.")
    minimum_age_on_universal_credit: int = setting(
        16,
        "The youngest age accepted for someone on Universal Credit; below `minimum_age` it "
        "lets younger claimants join. Connect to Work takes nobody under 16. Set it equal "
        "to `minimum_age` to turn the exception off.",
    )
    under_age_signpost: str = setting(
        "The National Careers Service (https://nationalcareers.service.gov.uk, 0800 100 "
        "900), or a school or college careers adviser.",
        "Where to send someone too young to join.",
    )
    review_every_weeks: int = setting(4, "Weeks between key-worker reviews, counted from the start date.")
    weekly_in_first_month: bool = setting(
        False,
        "Also review weekly in the first month (one, two and three weeks after the start), "
        "for a denser start.",
    )
    max_months_out_of_work: int = setting(
        12, "The longest support lasts on the out-of-work track, in months from the start."
    )
    max_months_in_work_at_risk: int = setting(
        4, "The longest support lasts on the in-work-at-risk track, in months from the start."
    )
    first_employer_contact_days: int = setting(
        30,
        "Days from the start by which the key worker first contacts an employer (IPS: "
        "within 30 days).",
    )
    employer_check_in_days: int = setting(7, "Days after a job start to check in with the employer.")
    outreach_attempts: int = setting(
        3, "Outreach attempts after missed contacts before the journey closes as disengaged."
    )
    outreach_interval_days: int = setting(7, "Days between outreach attempts.")
    handover_destination: Destination = setting(
        Destination.JOBCENTRE, "Who takes over at the end of support."
    )
    handover_pack: List[str] = setting(
        [
            "Action plan summary",
            "Job-search progress: applications, interviews and offers",
            "Skills, training and qualifications gained",
            "Barriers still open, and what has helped",
            "Contacts for follow-up: the key worker and any employer",
        ],
        "What goes in every handover pack, item by item.",
    )

    def check(self) -> None:
        """Refuses settings that parse but cannot be meant, naming the setting."""
        if all(not d.strip() for d in self.postcode_districts):
            raise PolicyError(
                "`postcode_districts` is empty, so every referral would be declined: list the "
                'districts the council serves, e.g. ["ST1", "ST4"]'
            )
        if self.minimum_age_on_universal_credit < PROGRAMME_MINIMUM_AGE:
            raise PolicyError(
                f"`minimum_age_on_universal_credit` is {self.minimum_age_on_universal_credit}, "
                f"but Connect to Work takes nobody under {PROGRAMME_MINIMUM_AGE}"
            )
        if self.minimum_age_on_universal_credit > self.minimum_age:
            raise PolicyError(
                f"`minimum_age_on_universal_credit` ({self.minimum_age_on_universal_credit}) is "
                f"above `minimum_age` ({self.minimum_age}); it can only lower the age for people "
                "on Universal Credit"
            )
        in_range("review_every_weeks", self.review_every_weeks, 1, 52)
        in_range("max_months_out_of_work", self.max_months_out_of_work, 1, MAX_TRACK_MONTHS)
        in_range("max_months_in_work_at_risk", self.max_months_in_work_at_risk, 1, MAX_TRACK_MONTHS)
        in_range("first_employer_contact_days", self.first_employer_contact_days, 1, MAX_DAYS)
        in_range("employer_check_in_days", self.employer_check_in_days, 1, MAX_DAYS)
        in_range("outreach_interval_days", self.outreach_interval_days, 1, MAX_DAYS)

    def serves(self, district: str) -> bool:
        """Whether a postcode district is one the council serves."""
        district = district.strip()
        return any(_ascii_upper(s.strip()) == _ascii_upper(district) for s in self.postcode_districts)

    def max_months(self, track: Track) -> int:
        if track is Track.OUT_OF_WORK:
            return self.max_months_out_of_work
        return self.max_months_in_work_at_risk

    def districts_in_words(self) -> str:
        """The districts as people write them: "ST1, ST2, ST3, ST4 and ST6"."""
        districts = [_ascii_upper(d.strip()) for d in self.postcode_districts]
        districts = [d for d in districts if d]
        if len(districts) > 1:
            return ", ".join(districts[:-1]) + " and " + districts[-1]
        return districts[0] if districts else ""


def in_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise PolicyError(f"`{name}` is {value}; it must be from {low} to {high}")


def _ascii_upper(text: str) -> str:
    """Upper case for ASCII letters only, as Rust's `to_ascii_uppercase`."""
    return "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)
