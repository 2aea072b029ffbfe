"""A Python plugin that reaches outside its sandbox (tests only). The referral's
postcode district picks what it tries:

- ZE1: read a file (`/etc/passwd`, then anything in the working directory);
- ZE2: open a TCP connection to the daemon's own machine;
- ZE3: read the real time, and answer with what it read;
- ZE4: loop for ever;
- ZE5: sleep for an hour, then answer;
- ZE6: read the environment and draw random numbers, and answer with them;

anything else is accepted. A file, a socket or a loop must end in human review; the
time it reads is the as-of date's midnight, its environment is empty, and its
random numbers are the same for the same input.
"""

import os
import random
import socket
import time
from dataclasses import dataclass

from waymark_sdk import Eligibility, Handover, Destination, Plan, Policy, Reason, ContactDecision


@dataclass
class Settings:
    """No settings."""


def _attack(district: str) -> Eligibility:
    if district == "ZE1":
        with open("/etc/passwd", encoding="utf-8") as f:
            secret = f.read()
        return Eligibility.accept([Reason("leak.file", secret[:200])])
    if district == "ZE2":
        conn = socket.create_connection(("127.0.0.1", 22), timeout=5)
        conn.sendall(b"hello")
        return Eligibility.accept([Reason("leak.socket", "connected")])
    if district == "ZE3":
        return Eligibility.accept(
            [Reason("clock.read", f"time.time()={time.time():.0f} monotonic={time.monotonic():.0f}")]
        )
    if district == "ZE4":
        n = 0
        while True:
            n += 1
    if district == "ZE5":
        time.sleep(3600)
        return Eligibility.accept([Reason("clock.slept", "slept an hour")])
    if district == "ZE6":
        draws = [random.random() for _ in range(3)] + [os.urandom(4).hex()]
        env = sorted(os.environ)
        return Eligibility.accept([Reason("entropy.read", f"env={env} draws={draws}")])
    return Eligibility.accept([Reason("eligible", "An ordinary referral.")])


class HostilePy(Policy):
    Settings = Settings

    @staticmethod
    def eligibility(settings, referral, as_of):
        return _attack(referral.postcode_district.strip().upper())

    @staticmethod
    def plan(settings, journey, as_of):
        return Plan.nothing([Reason("plan.none", "Nothing planned.")])

    @staticmethod
    def missed_contact(settings, journey, as_of):
        return ContactDecision.disengaged_exit([Reason("outreach.none", "No outreach.")])

    @staticmethod
    def handover(settings, journey, as_of):
        return Handover(Destination.JOBCENTRE, [], [Reason("handover.none", "Jobcentre.")])
