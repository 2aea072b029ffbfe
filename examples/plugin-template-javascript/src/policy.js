// Template Council's rules, as a Waymark policy plugin.
//
// `waymark plugin new NAME --lang javascript` copies this folder and renames it.
// Change the rules, keep the tests and golden.json in step, then run
// `waymark plugin test` on this folder.

import { ContactDecision, Eligibility, Plan, PolicyError, calendar, definePolicy, handover, reason, timer } from "waymark-sdk";

export default definePolicy({
  name: "Template Council",
  // Administrators change these over HTTP; each description is what they read.
  settings: {
    postcode_districts: { type: "array", items: { type: "string" }, default: ["AB1", "AB2"], description: "Postcode districts (outward codes, e.g. `AB1`) whose residents the service takes." },
    signpost: { type: "string", default: "Your own council's employment support service.", description: "Where to send someone the service cannot take." },
    minimum_age: { type: "integer", default: 18, description: "The youngest age accepted." },
    review_every_weeks: { type: "integer", default: 4, description: "Weeks between key-worker reviews, from the start." },
    max_months: { type: "integer", default: 12, description: "The longest support lasts, in months from the start." },
    outreach_attempts: { type: "integer", default: 3, description: "Outreach attempts after missed contacts before a disengaged exit." },
  },

  eligibility(s, r) {
    const district = r.postcode_district.trim().toUpperCase();
    const livesHere = s.postcode_districts.some((/** @type {string} */ d) => d.toUpperCase() === district);
    const reasons = [];
    if (!livesHere) reasons.push(reason("residence.postcode", `Lives in ${district}, outside the districts the service covers.`));
    if (r.age < s.minimum_age) reasons.push(reason("age.minimum", `Must be ${s.minimum_age} or over; aged ${r.age}.`));
    if (reasons.length === 0) return Eligibility.accept([reason("eligible", `Lives in ${district} and is aged ${r.age}.`)]);
    return Eligibility.decline(reasons, s.signpost);
  },

  plan(s, j, asOf) {
    if (j.stage === "accepted" || j.stage === "paused" || j.stage === "waitlisted") {
      return Plan.nothing([reason("plan.not_active", "Support is not running: nothing is planned until it starts or resumes.")]);
    }
    if (s.review_every_weeks === 0) throw new PolicyError("`review_every_weeks` must be at least 1");
    if (j.started_on === null) throw new PolicyError("the journey has started but has no start date");
    const end = calendar.nextWorkingDayFrom(calendar.addMonths(j.started_on, s.max_months));
    const plan = Plan.after(asOf);
    for (let weeks = s.review_every_weeks; ; weeks += s.review_every_weeks) {
      const due = calendar.nextWorkingDayFrom(calendar.addWeeks(j.started_on, weeks));
      if (due >= end) break;
      plan.timer("review", due, "Key-worker review");
    }
    return plan
      .timer("end_of_support", end, "End of support: prepare the handover")
      .reason("cadence.review", `A review every ${s.review_every_weeks} weeks from the start.`)
      .reason("duration.maximum", `Support lasts up to ${s.max_months} months: to ${calendar.describe(end)}.`)
      .build();
  },

  missedContact(s, j, asOf) {
    const missed = Math.max(j.missed_contacts, 1);
    if (missed > s.outreach_attempts) {
      return ContactDecision.disengagedExit([reason("outreach.exhausted", `All ${s.outreach_attempts} outreach attempts made.`)]);
    }
    const due = calendar.nextWorkingDayFrom(calendar.addWeeks(asOf, 1));
    return ContactDecision.outreach(timer("outreach", due, `Outreach attempt ${missed}`), [
      reason("outreach.attempts", `Up to ${s.outreach_attempts} attempts, a week apart.`),
    ]);
  },

  handover() {
    return handover("jobcentre", ["Action plan summary"], [reason("handover.destination", "A warm handback to the Jobcentre.")]);
  },
});
