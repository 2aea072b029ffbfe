"""waymark-sdk for Python: write a council's policy plugin in Python.

The records of the contract (``waymark:policy@1.1.0``), reasons, the council's
calendar, settings with defaults and descriptions, a native test harness, and the
glue ``waymark plugin build`` uses to make a WebAssembly component of it with
componentize-py. See ``docs/plugins-python.md``.
"""

from . import calendar
from .contract import (
    CheckpointResult,
    Cohort,
    ContactDecision,
    Date,
    Destination,
    DisengagedExit,
    Eligibility,
    Handover,
    Journey,
    Outcome,
    Outreach,
    Plan,
    PlanBuilder,
    PolicyError,
    Programme,
    Reason,
    Referral,
    ReferralRoute,
    Stage,
    Timer,
    TimerKind,
    Track,
)
from .policy import Policy
from .settings import setting

__all__ = [
    "calendar", "CheckpointResult", "Cohort", "ContactDecision", "Date", "Destination",
    "DisengagedExit", "Eligibility", "Handover", "Journey", "Outcome", "Outreach", "Plan",
    "PlanBuilder", "Policy", "PolicyError", "Programme", "Reason", "Referral", "ReferralRoute",
    "Stage", "Timer", "TimerKind", "Track", "setting",
]

__version__ = "0.1.0"
