"""What a policy is: a class with a ``Settings`` dataclass and the four hooks.

    class MyPolicy(Policy):
        Settings = MySettings

        @staticmethod
        def eligibility(settings, referral, as_of): ...

A hook returns the contract's answer, or raises ``PolicyError`` to refuse (the case
goes to a person). Any other exception is a crash: the host records it and the case
goes to human review too.
"""

from __future__ import annotations

from typing import Any

from .contract import ContactDecision, Date, Eligibility, Handover, Journey, Plan, Referral


class Policy:
    """Subclass this; every hook must be given."""

    Settings: Any = None

    @staticmethod
    def eligibility(settings: Any, referral: Referral, as_of: Date) -> Eligibility:
        raise NotImplementedError

    @staticmethod
    def plan(settings: Any, journey: Journey, as_of: Date) -> Plan:
        raise NotImplementedError

    @staticmethod
    def missed_contact(settings: Any, journey: Journey, as_of: Date) -> ContactDecision:
        raise NotImplementedError

    @staticmethod
    def handover(settings: Any, journey: Journey, as_of: Date) -> Handover:
        raise NotImplementedError
