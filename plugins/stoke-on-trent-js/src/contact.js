// After a missed contact: outreach attempts a week apart, then a disengaged exit.
// Under IPS nobody is closed for one missed appointment: each miss gets another
// attempt to re-engage, until the council's number of attempts is used up.

import { ContactDecision, calendar, reason, timer } from "waymark-sdk";
import { check } from "./settings.js";

export function missedContact(/** @type {any} */ settings, /** @type {any} */ journey, /** @type {string} */ asOf) {
  check(settings);
  const attempts = settings.outreach_attempts;
  const interval = settings.outreach_interval_days;
  // The count includes the contact just missed; a host that has not counted it yet
  // still means "one missed".
  const missed = Math.max(journey.missed_contacts, 1);
  if (missed > attempts) {
    return ContactDecision.disengagedExit([reason(
      "outreach.exhausted",
      `${missed} contacts missed in a row, and all ${attempts} outreach attempts have been made: the journey closes as disengaged.`,
    )]);
  }
  const due = calendar.nextWorkingDayFrom(calendar.addDays(asOf, interval));
  return ContactDecision.outreach(
    timer("outreach", due, `Outreach attempt ${missed} of ${attempts}: contact the participant (phone, text, letter or a visit) and offer a new appointment`),
    [reason(
      "outreach.attempts",
      `Up to ${attempts} outreach attempts, ${interval} days apart, before a disengaged exit: attempt ${missed} is due on ${calendar.describe(due)}.`,
    )],
  );
}
