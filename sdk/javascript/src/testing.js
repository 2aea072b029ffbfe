// The native test harness: run a plugin's rules with `node --test`, no wasm.
//
// Hooks are plain functions, so a test calls them with inputs from exampleReferral()
// and startedOn(). What the sandbox would ask of the host is answered here: the
// calendar is Monday to Friday less the bank holidays a test sets with
// withBankHolidays, and calendar.log lines are kept for takeLog. runGolden runs a
// golden file through the same glue a built plugin uses.

import { parseDate, testBackend } from "./calendar.js";

export { runGolden, GoldenFailure, parseGolden } from "./golden.js";

/** A date from "YYYY-MM-DD", checked: `date("2026-03-09")`. */
export function date(/** @type {string} */ text) {
  return parseDate(text);
}

/**
 * Runs `f` with `days` as bank holidays (on top of any already set), then restores
 * the calendar, even if `f` throws.
 * @template R @param {string[]} days @param {() => R} f @returns {R}
 */
export function withBankHolidays(days, f) {
  return withExactly([...testBackend().bankHolidays, ...days], f);
}

/** Runs `f` with exactly `days` as the bank holidays. @template R @param {string[]} days @param {() => R} f @returns {R} */
export function withExactly(days, f) {
  const calendar = testBackend();
  const previous = calendar.bankHolidays;
  calendar.bankHolidays = new Set(days);
  try {
    return f();
  } finally {
    calendar.bankHolidays = previous;
  }
}

/** The lines logged with calendar.log since the last call. */
export function takeLog() {
  const calendar = testBackend();
  const lines = calendar.log;
  calendar.log = [];
  return lines;
}

/**
 * An ordinary referral: a 30-year-old in ST4 with a self-declared health condition
 * or disability, out of work, not on Universal Credit, referred by the Jobcentre.
 * Change one fact with `changes`: `exampleReferral({ age: 17 })`.
 * @param {Partial<import("./contract.js").Referral>} [changes] @returns {import("./contract.js").Referral}
 */
export function exampleReferral(changes = {}) {
  return {
    route: "jobcentre",
    age: 30,
    postcode_district: "ST4",
    in_work: false,
    on_universal_credit: false,
    known_to_health_services: false,
    on_other_programme: false,
    cohorts: [],
    health_condition_or_disability: true,
    ...changes,
  };
}

/**
 * Accepted on `day` (referred the same day), support not yet started.
 * @param {string} day @param {Partial<import("./contract.js").Journey>} [changes] @returns {import("./contract.js").Journey}
 */
export function acceptedOn(day, changes = {}) {
  return {
    stage: "accepted",
    track: "out_of_work",
    referred_on: date(day),
    started_on: null,
    job_started_on: null,
    missed_contacts: 0,
    employer_health_consent: false,
    mental_health_needs: false,
    programme: "connect_to_work",
    support_ends_on: null,
    job_ended_on: null,
    outcome_checkpoints: [],
    health_condition_or_disability: true,
    ...changes,
  };
}

/** Support started on `day` (referred the same day), out of work, no job yet. */
export function startedOn(/** @type {string} */ day, /** @type {Partial<import("./contract.js").Journey>} */ changes = {}) {
  return acceptedOn(day, { stage: "started", started_on: date(day), ...changes });
}

/** Waitlisted on `day` (referred the same day). */
export function waitlistedOn(/** @type {string} */ day, /** @type {Partial<import("./contract.js").Journey>} */ changes = {}) {
  return acceptedOn(day, { stage: "waitlisted", ...changes });
}
