// The dated work a journey needs: key-worker reviews, the first employer contact,
// an employer check-in after a job start, and the end of support.
//
// Every date is counted from the start date (not from the as-of date), so
// re-planning on any later event gives the same dates and the host keeps the same
// timers. A date on a weekend or bank holiday moves to the next working day. Only
// timers strictly after the as-of date are returned.

import { Plan, PolicyError, calendar, reason } from "waymark-sdk";
import { check, maxMonths } from "./settings.js";

const { addDays, addMonths, addWeeks, describe, nextWorkingDayFrom } = calendar;

/** The first month, for weekly reviews: one, two and three weeks after the start. */
const FIRST_MONTH_WEEKS = 3;

const STAGE_NAMES = {
  accepted: "accepted", started: "started", in_work: "in work", paused: "paused", outreach: "in outreach", waitlisted: "waitlisted",
};

export function plan(/** @type {any} */ settings, /** @type {any} */ journey, /** @type {string} */ asOf) {
  check(settings);
  switch (journey.stage) {
    case "accepted":
      return Plan.nothing([reason("plan.not_started", "Support has not started yet: reviews are planned from the start date.")]);
    // Stoke-on-Trent keeps no waiting list (it accepts or declines), so nothing is
    // promised to someone waitlisted elsewhere in the journey.
    case "waitlisted":
      return Plan.nothing([reason("plan.waitlisted", "On the waiting list: nothing is planned until the referral is accepted.")]);
    case "paused":
      return Plan.nothing([reason("plan.paused", "Support is paused: no reminders until it resumes, when the plan is made again.")]);
    default:
      return active(settings, journey, asOf);
  }
}

/** The plan while support is running. */
function active(/** @type {any} */ settings, /** @type {any} */ journey, /** @type {string} */ asOf) {
  const start = journey.started_on;
  if (start === null) {
    throw new PolicyError(`the journey is ${STAGE_NAMES[/** @type {keyof typeof STAGE_NAMES} */ (journey.stage)]} but has no start date`);
  }
  const months = maxMonths(settings, journey.track);
  const end = nextWorkingDayFrom(addMonths(start, months));

  const builder = Plan.after(asOf);
  reviews(builder, settings, start, end);
  firstEmployerContact(builder, settings, journey.track, start, end);
  if (journey.stage === "in_work") employerCheckIn(builder, settings, journey, end);
  if (journey.stage === "outreach") {
    builder.reason("plan.outreach", "The participant has stopped engaging: planned reviews stand, and each outreach attempt is planned after a missed contact.");
  }
  const track = journey.track === "out_of_work" ? "out of work" : "in work at risk of losing their job";
  const ended = end <= asOf ? "ended" : "ends";
  return builder
    .timer("end_of_support", end, `End of support: ${months} months since the start on ${describe(start)}. Agree the exit plan and prepare the handover.`)
    .reason("duration.maximum", `Connect to Work supports people ${track} for up to ${months} months: support ${ended} on ${describe(end)}.`)
    .build();
}

/** Reviews every `review_every_weeks` from the start (and weekly in the first month if set), each before the end of support. */
function reviews(/** @type {any} */ builder, /** @type {any} */ settings, /** @type {string} */ start, /** @type {string} */ end) {
  const every = settings.review_every_weeks;
  // Due dates already taken: a weekly review and a cadence review moved onto the
  // same working day are one meeting, not two reminders.
  const dues = new Set();
  const cadence = [];
  for (let n = 1; ; n++) {
    const due = nextWorkingDayFrom(addWeeks(start, n * every));
    if (due >= end) break;
    if (!dues.has(due)) {
      dues.add(due);
      cadence.push(due);
    }
  }
  const weekly = [];
  if (settings.weekly_in_first_month) {
    for (let week = 1; week <= FIRST_MONTH_WEEKS; week++) {
      const due = nextWorkingDayFrom(addWeeks(start, week));
      if (due < end && !dues.has(due)) {
        dues.add(due);
        weekly.push(due);
      }
    }
  }
  for (const due of cadence) builder.timer("review", due, `${every}-weekly key-worker review: progress against the action plan`);
  for (const due of weekly) builder.timer("review", due, "Weekly key-worker review (first month): settling in and the action plan");
  const firstMonth = settings.weekly_in_first_month ? ", and weekly in the first month" : "";
  builder.reason(
    "cadence.review",
    `A key-worker review every ${every} weeks from the start on ${describe(start)}${firstMonth}, moved to the next working day when it falls on a weekend or bank holiday.`,
  );
}

function firstEmployerContact(/** @type {any} */ builder, /** @type {any} */ settings, /** @type {string} */ track, /** @type {string} */ start, /** @type {string} */ end) {
  const days = settings.first_employer_contact_days;
  const due = nextWorkingDayFrom(addDays(start, days));
  const purpose = track === "out_of_work"
    ? `First contact with an employer on the participant's behalf (within ${days} days of the start)`
    : `First contact with the participant's employer, with their agreement (within ${days} days of the start)`;
  if (due < end) builder.timer("first_employer_contact", due, purpose);
  builder.reason("employer.first_contact", `Individual Placement and Support: a first employer contact within ${days} days of the start.`);
}

function employerCheckIn(/** @type {any} */ builder, /** @type {any} */ settings, /** @type {any} */ journey, /** @type {string} */ end) {
  const jobStart = journey.job_started_on;
  if (jobStart === null) throw new PolicyError("the journey is in work but has no job start date");
  const days = settings.employer_check_in_days;
  const due = nextWorkingDayFrom(addDays(jobStart, days));
  // Health needs are special-category data: without the participant's recorded
  // consent, the key worker must not raise them with the employer.
  const purpose = journey.employer_health_consent
    ? "Employer check-in: how the new job is going, and any workplace adjustments the participant agreed to discuss"
    : "Employer check-in: how the new job is going. Do not discuss health needs: the participant has not consented to that";
  if (due <= end) builder.timer("employer_check_in", due, purpose);
  builder.reason("employer.check_in", `An employer check-in ${days} days after the job start on ${describe(jobStart)}.`);
}
