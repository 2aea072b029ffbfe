"""Stoke-on-Trent City Council's rules for Connect to Work, in Python: the same
rules, settings and golden cases as the Rust plugin in ``plugins/stoke-on-trent``,
deciding identically (a host test compares them on a simulated cohort).

- eligibility: residents of ST1, ST2, ST3, ST4, ST6, aged 18+, or 16-17 on Universal Credit;
- plan: 4-weekly reviews, a first employer contact within 30 days, an employer
  check-in a week after a job start, and the end of support, off weekends and bank holidays;
- missed contact: three outreach attempts a week apart, then a disengaged exit;
- handover: a warm handback to the Jobcentre with a summary pack.
"""

from waymark_sdk import Policy

from . import contact, eligibility, handover, plan
from .settings import Settings


class StokeOnTrent(Policy):
    Settings = Settings

    @staticmethod
    def eligibility(settings, referral, as_of):
        return eligibility.decide(settings, referral)

    @staticmethod
    def plan(settings, journey, as_of):
        return plan.decide(settings, journey, as_of)

    @staticmethod
    def missed_contact(settings, journey, as_of):
        return contact.decide(settings, journey, as_of)

    @staticmethod
    def handover(settings, journey, as_of):
        return handover.decide(settings, journey)
