"""The contract's records, as plain Python: what a hook is given and what it answers.

The same records as the Rust SDK's (and the WIT world ``waymark:policy@1.1.0``),
spelled the Python way: enums whose values are the contract's JSON names, dates as
``datetime.date``, dataclasses for records. The glue in ``waymark_sdk.export``
converts them to and from the component's bindings, and ``waymark_sdk.testing``
reads them from golden cases, so rules written against these types run the same
natively (``pytest``) and in the sandbox.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import List, Optional

Date = datetime.date


class ReferralRoute(enum.Enum):
    """How the person came to the service."""

    SELF_REFERRAL = "self"
    COUNCIL = "council"
    HEALTH = "health"
    JOBCENTRE = "jobcentre"
    VOLUNTARY = "voluntary"


class Track(enum.Enum):
    """Connect to Work tracks: up to 12 months out of work, 4 in work at risk."""

    OUT_OF_WORK = "out_of_work"
    IN_WORK_AT_RISK = "in_work_at_risk"


class Cohort(enum.Enum):
    """Priority cohorts a council may favour (self-identified)."""

    CARE_EXPERIENCED = "care_experienced"
    CARER = "carer"
    VETERAN = "veteran"
    HOMELESS = "homeless"
    REFUGEE = "refugee"
    DOMESTIC_ABUSE_SURVIVOR = "domestic_abuse_survivor"
    OFFENDER = "offender"
    SUBSTANCE_USE = "substance_use"
    MENTAL_HEALTH = "mental_health"
    NEURODIVERGENT = "neurodivergent"


class Outcome(enum.Enum):
    ACCEPT = "accept"
    WAITLIST = "waitlist"
    DECLINE = "decline"


class Stage(enum.Enum):
    """Where a journey stands, as far as planning needs to know."""

    ACCEPTED = "accepted"
    STARTED = "started"
    IN_WORK = "in_work"
    PAUSED = "paused"
    OUTREACH = "outreach"
    WAITLISTED = "waitlisted"


class Programme(enum.Enum):
    """The employment-support programme a council runs."""

    CONNECT_TO_WORK = "connect_to_work"
    IPES = "ipes"
    IPS_PRIMARY_CARE = "ips_primary_care"


class TimerKind(enum.Enum):
    """What a dated piece of work is. Declared in the contract's order, which is
    how a plan's timers on the same day are sorted."""

    REVIEW = "review"
    FIRST_EMPLOYER_CONTACT = "first_employer_contact"
    EMPLOYER_CHECK_IN = "employer_check_in"
    IN_WORK_REVIEW = "in_work_review"
    OUTCOME_CHECKPOINT = "outcome_checkpoint"
    OUTREACH = "outreach"
    HANDOVER = "handover"
    END_OF_SUPPORT = "end_of_support"

    @property
    def order(self) -> int:
        return list(TimerKind).index(self)


class Destination(enum.Enum):
    JOBCENTRE = "jobcentre"
    NHS_TALKING_THERAPIES = "nhs_talking_therapies"
    COUNCIL_PROVISION = "council_provision"
    EMPLOYER = "employer"


@dataclass(frozen=True)
class Referral:
    """What eligibility knows of a referral: no name, no date of birth, no full postcode."""

    route: ReferralRoute
    age: int
    postcode_district: str
    in_work: bool
    on_universal_credit: bool
    known_to_health_services: bool
    on_other_programme: bool
    cohorts: List[Cohort]
    health_condition_or_disability: bool = False


@dataclass(frozen=True)
class CheckpointResult:
    on: Date
    met: bool
    hours_per_week: int


@dataclass(frozen=True)
class Journey:
    """The least a plan needs to know of a journey."""

    stage: Stage
    track: Track
    referred_on: Date
    started_on: Optional[Date]
    job_started_on: Optional[Date]
    missed_contacts: int
    employer_health_consent: bool
    mental_health_needs: bool
    programme: Programme = Programme.CONNECT_TO_WORK
    support_ends_on: Optional[Date] = None
    job_ended_on: Optional[Date] = None
    outcome_checkpoints: List[CheckpointResult] = field(default_factory=list)
    health_condition_or_disability: bool = False


@dataclass(frozen=True)
class Reason:
    """One rule's verdict, for people to read: a stable rule id and plain English."""

    rule: str
    text: str


@dataclass(frozen=True)
class Eligibility:
    outcome: Outcome
    reasons: List[Reason]
    signpost: Optional[str] = None

    @staticmethod
    def accept(reasons: List[Reason]) -> "Eligibility":
        return Eligibility(Outcome.ACCEPT, list(reasons), None)

    @staticmethod
    def waitlist(reasons: List[Reason], signpost: Optional[str] = None) -> "Eligibility":
        return Eligibility(Outcome.WAITLIST, list(reasons), signpost)

    @staticmethod
    def decline(reasons: List[Reason], signpost: Optional[str] = None) -> "Eligibility":
        return Eligibility(Outcome.DECLINE, list(reasons), signpost)


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    due: Date
    purpose: str


@dataclass(frozen=True)
class Plan:
    timers: List[Timer]
    reasons: List[Reason]

    @staticmethod
    def nothing(reasons: List[Reason]) -> "Plan":
        """A plan with no timers, for these reasons (e.g. support is paused)."""
        return Plan([], list(reasons))

    @staticmethod
    def after(as_of: Date) -> "PlanBuilder":
        """Collects timers, dropping those due on or before ``as_of``."""
        return PlanBuilder(as_of)


class PlanBuilder:
    """Collects a plan's timers; ``build`` sorts them by due date, then kind."""

    def __init__(self, as_of: Date) -> None:
        self._as_of = as_of
        self._timers: List[Timer] = []
        self._reasons: List[Reason] = []

    def timer(self, kind: TimerKind, due: Date, purpose: str) -> "PlanBuilder":
        if due > self._as_of:
            self._timers.append(Timer(kind, due, purpose))
        return self

    def reason(self, rule: str, text: str) -> "PlanBuilder":
        self._reasons.append(Reason(rule, text))
        return self

    def build(self) -> Plan:
        timers = sorted(self._timers, key=lambda t: (t.due, t.kind.order))
        return Plan(timers, list(self._reasons))


@dataclass(frozen=True)
class Outreach:
    """Try again: an outreach attempt due on the timer's date."""

    timer: Timer


@dataclass(frozen=True)
class DisengagedExit:
    """Re-engagement is exhausted: close the journey as disengaged."""


@dataclass(frozen=True)
class ContactDecision:
    step: "Outreach | DisengagedExit"
    reasons: List[Reason]

    @staticmethod
    def outreach(timer: Timer, reasons: List[Reason]) -> "ContactDecision":
        return ContactDecision(Outreach(timer), list(reasons))

    @staticmethod
    def disengaged_exit(reasons: List[Reason]) -> "ContactDecision":
        return ContactDecision(DisengagedExit(), list(reasons))


@dataclass(frozen=True)
class Handover:
    destination: Destination
    pack: List[str]
    reasons: List[Reason]


class PolicyError(Exception):
    """The plugin refuses to decide, saying why (the case goes to a person)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
