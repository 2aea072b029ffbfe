"""The handover at the end of support: by default a warm handback to the
participant's Jobcentre work coach, with a pack summarising the journey."""

from __future__ import annotations

from waymark_sdk import Destination, Handover, Journey, Reason

from .settings import Settings

_TO = {
    Destination.JOBCENTRE: "their Jobcentre work coach, in a warm handover",
    Destination.NHS_TALKING_THERAPIES: "NHS Talking Therapies employment advisers",
    Destination.COUNCIL_PROVISION: "the council's other employment provision",
    Destination.EMPLOYER: "their employer, with an exit plan",
}


def decide(settings: Settings, journey: Journey) -> Handover:
    settings.check()
    pack = list(settings.handover_pack)
    if journey.job_started_on is not None:
        pack.append("In-work support so far, and the employer contact the participant agreed to")
    to = _TO[settings.handover_destination]
    return Handover(
        settings.handover_destination,
        pack,
        [
            Reason(
                "handover.destination",
                "At the end of Connect to Work support, Stoke-on-Trent hands participants over to "
                f"{to}, with a pack summarising their progress.",
            )
        ],
    )
