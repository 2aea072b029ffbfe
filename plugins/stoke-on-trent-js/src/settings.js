// What Stoke-on-Trent's administrators can tune without a new plugin. Every setting
// has a default (the programme as commissioned), so {} is a complete configuration;
// the descriptions are what an administrator reads when editing them over HTTP.
// The same settings, defaults and checks as the Rust plugin's settings.rs.

import { PolicyError } from "waymark-sdk";

/** Nobody under this age can join Connect to Work: it is for people above school age. */
export const PROGRAMME_MINIMUM_AGE = 16;
/** The longest track accepted; above two years is a typo (IPES, the longest, is 21 months). */
const MAX_TRACK_MONTHS = 24;
/** The longest gap, in days, any of the day-count settings may have. */
const MAX_DAYS = 365;

export const settings = {
  postcode_districts: {
    type: "array", items: { type: "string" },
    default: ["ST1", "ST2", "ST3", "ST4", "ST6"],
    description: "Postcode districts (the outward code, e.g. `ST4`) whose residents the service takes. Compared ignoring case and surrounding spaces.",
  },
  out_of_area_signpost: {
    type: "string",
    default: "Your own council's employment support service: Connect to Work is run by each council or partnership for its own residents. Find your council at https://www.gov.uk/find-local-council.",
    description: "Where to send someone who lives outside those districts.",
  },
  minimum_age: { type: "integer", default: 18, description: "The youngest age accepted without conditions." },
  minimum_age_on_universal_credit: {
    type: "integer", default: 16,
    description: "The youngest age accepted for someone on Universal Credit; below `minimum_age` it lets younger claimants join. Connect to Work takes nobody under 16. Set it equal to `minimum_age` to turn the exception off.",
  },
  under_age_signpost: {
    type: "string",
    default: "The National Careers Service (https://nationalcareers.service.gov.uk, 0800 100 900), or a school or college careers adviser.",
    description: "Where to send someone too young to join.",
  },
  review_every_weeks: { type: "integer", default: 4, description: "Weeks between key-worker reviews, counted from the start date." },
  weekly_in_first_month: {
    type: "boolean", default: false,
    description: "Also review weekly in the first month (one, two and three weeks after the start), for a denser start.",
  },
  max_months_out_of_work: { type: "integer", default: 12, description: "The longest support lasts on the out-of-work track, in months from the start." },
  max_months_in_work_at_risk: { type: "integer", default: 4, description: "The longest support lasts on the in-work-at-risk track, in months from the start." },
  first_employer_contact_days: { type: "integer", default: 30, description: "Days from the start by which the key worker first contacts an employer (IPS: within 30 days)." },
  employer_check_in_days: { type: "integer", default: 7, description: "Days after a job start to check in with the employer." },
  outreach_attempts: { type: "integer", default: 3, description: "Outreach attempts after missed contacts before the journey closes as disengaged." },
  outreach_interval_days: { type: "integer", default: 7, description: "Days between outreach attempts." },
  handover_destination: {
    enum: ["jobcentre", "nhs_talking_therapies", "council_provision", "employer"], default: "jobcentre",
    description: "Who takes over at the end of support.",
  },
  handover_pack: {
    type: "array", items: { type: "string" },
    default: [
      "Action plan summary",
      "Job-search progress: applications, interviews and offers",
      "Skills, training and qualifications gained",
      "Barriers still open, and what has helped",
      "Contacts for follow-up: the key worker and any employer",
    ],
    description: "What goes in every handover pack, item by item.",
  },
};

/** Upper case for ASCII letters only, as district codes are compared. */
export const asciiUpper = (/** @type {string} */ s) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/**
 * Refuses settings that parse but cannot be meant, naming the setting, so a typo
 * goes to a person instead of quietly declining everyone or planning nothing.
 */
export function check(/** @type {any} */ s) {
  if (s.postcode_districts.every((/** @type {string} */ d) => d.trim() === "")) {
    throw new PolicyError('`postcode_districts` is empty, so every referral would be declined: list the districts the council serves, e.g. ["ST1", "ST4"]');
  }
  if (s.minimum_age_on_universal_credit < PROGRAMME_MINIMUM_AGE) {
    throw new PolicyError(`\`minimum_age_on_universal_credit\` is ${s.minimum_age_on_universal_credit}, but Connect to Work takes nobody under ${PROGRAMME_MINIMUM_AGE}`);
  }
  if (s.minimum_age_on_universal_credit > s.minimum_age) {
    throw new PolicyError(`\`minimum_age_on_universal_credit\` (${s.minimum_age_on_universal_credit}) is above \`minimum_age\` (${s.minimum_age}); it can only lower the age for people on Universal Credit`);
  }
  inRange("review_every_weeks", s.review_every_weeks, 1, 52);
  inRange("max_months_out_of_work", s.max_months_out_of_work, 1, MAX_TRACK_MONTHS);
  inRange("max_months_in_work_at_risk", s.max_months_in_work_at_risk, 1, MAX_TRACK_MONTHS);
  inRange("first_employer_contact_days", s.first_employer_contact_days, 1, MAX_DAYS);
  inRange("employer_check_in_days", s.employer_check_in_days, 1, MAX_DAYS);
  inRange("outreach_interval_days", s.outreach_interval_days, 1, MAX_DAYS);
}

function inRange(/** @type {string} */ name, /** @type {number} */ value, /** @type {number} */ low, /** @type {number} */ high) {
  if (value < low || value > high) throw new PolicyError(`\`${name}\` is ${value}; it must be from ${low} to ${high}`);
}

/** Whether a postcode district is one the council serves. */
export function serves(/** @type {any} */ s, /** @type {string} */ district) {
  const d = asciiUpper(district.trim());
  return s.postcode_districts.some((/** @type {string} */ served) => asciiUpper(served.trim()) === d);
}

/** The longest support on a track, in months. */
export function maxMonths(/** @type {any} */ s, /** @type {string} */ track) {
  return track === "out_of_work" ? s.max_months_out_of_work : s.max_months_in_work_at_risk;
}

/** The districts as people write them: "ST1, ST2, ST3, ST4 and ST6". */
export function districtsInWords(/** @type {any} */ s) {
  const districts = s.postcode_districts.map((/** @type {string} */ d) => asciiUpper(d.trim())).filter((/** @type {string} */ d) => d !== "");
  if (districts.length <= 1) return districts[0] ?? "";
  return `${districts.slice(0, -1).join(", ")} and ${districts[districts.length - 1]}`;
}
