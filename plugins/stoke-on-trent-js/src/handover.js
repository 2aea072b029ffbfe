// The handover at the end of support: by default a warm handback to the
// participant's Jobcentre work coach, with a pack summarising the journey.

import { handover as answer, reason } from "waymark-sdk";
import { check } from "./settings.js";

const TO = {
  jobcentre: "their Jobcentre work coach, in a warm handover",
  nhs_talking_therapies: "NHS Talking Therapies employment advisers",
  council_provision: "the council's other employment provision",
  employer: "their employer, with an exit plan",
};

export function handover(/** @type {any} */ settings, /** @type {any} */ journey) {
  check(settings);
  const pack = [...settings.handover_pack];
  if (journey.job_started_on !== null) pack.push("In-work support so far, and the employer contact the participant agreed to");
  const destination = /** @type {keyof typeof TO} */ (settings.handover_destination);
  return answer(destination, pack, [reason(
    "handover.destination",
    `At the end of Connect to Work support, Stoke-on-Trent hands participants over to ${TO[destination]}, with a pack summarising their progress.`,
  )]);
}
