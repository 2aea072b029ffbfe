// The glue between a policy and the sandbox: the contract's plain objects on the
// plugin's side, the `waymark:policy/policy@1.1.0` WIT shapes (as componentize-js
// passes them: camelCase fields, kebab-case enum values, dates as records) on the
// host's. Settings parsing, conversions and error text are written once here;
// `node --test` golden cases go through the same `decide` the component exports.

import { parseSettings, settingsSchema } from "./settings.js";
import { PolicyError, COHORTS, DESTINATIONS, OUTCOMES, PROGRAMMES, REFERRAL_ROUTES, STAGES, TIMER_KINDS, TRACKS } from "./contract.js";
import { fromParts, parseDate, parts, useHost } from "./calendar.js";

/** @typedef {"eligibility" | "plan" | "missed_contact" | "handover"} Hook */

const HOOK_FUNCTIONS = { eligibility: "eligibility", plan: "plan", missed_contact: "missedContact", handover: "handover" };

/**
 * Runs one hook on contract-shaped input, as the sandbox would: settings parsed
 * from `settingsText`, the answer checked against the contract. Throws a
 * PolicyError (the hook's refusal, or an answer outside the contract).
 * @param {any} policy from definePolicy @param {Hook} hook @param {string} settingsText
 * @param {any} input a Referral or a Journey @param {string} asOf
 */
export function decide(policy, hook, settingsText, input, asOf) {
  const settings = parseSettings(settingsText, policy.settings);
  const answer = policy[HOOK_FUNCTIONS[hook]](settings, input, asOf);
  return checkAnswer(hook, answer);
}

/** The settings schema as JSON text. */
export function schemaText(/** @type {any} */ policy) {
  return JSON.stringify(settingsSchema(policy.name, policy.settings));
}

/**
 * The component's `policy` export, for the entry module `waymark plugin build`
 * generates; `host` is the imported `waymark:policy/host` interface.
 * @param {any} policy @param {{isWorkingDay(d: {year: number, month: number, day: number}): boolean, log(m: string): void}} host
 */
export function exportPolicy(policy, host) {
  useHost({
    isWorkingDay: (day) => host.isWorkingDay(parts(day)),
    writeLog: (message) => host.log(message),
  });
  /** @param {Hook} hook @param {(a: any) => any} toWit */
  const exported = (hook, fromWit, toWit) => (/** @type {string} */ settings, /** @type {any} */ input, /** @type {any} */ asOf) => {
    try {
      return toWit(decide(policy, hook, settings, fromWit(input), dateFromWit(asOf, "as-of date")));
    } catch (e) {
      throw refusal(e);
    }
  };
  return {
    settingsSchema: () => schemaText(policy),
    eligibility: exported("eligibility", referralFromWit, eligibilityToWit),
    plan: exported("plan", journeyFromWit, planToWit),
    missedContact: exported("missed_contact", journeyFromWit, contactToWit),
    handover: exported("handover", journeyFromWit, handoverToWit),
  };
}

/** A hook's `err` text: a PolicyError's message; anything else thrown is a fault, named so the reviewer can tell. */
function refusal(/** @type {unknown} */ e) {
  if (e instanceof PolicyError) return e.message;
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `the plugin failed (a fault in the plugin, not a decision): ${text}`;
}

// ---- WIT to contract ----

const kebab = (/** @type {string} */ s) => s.replaceAll("_", "-");
const snake = (/** @type {string} */ s) => s.replaceAll("-", "_");

/** WIT enum values by contract value; the routes are the two spelt differently. */
const WIT_ROUTE = { self: "self-referral", council: "council", health: "health", jobcentre: "jobcentre", voluntary: "voluntary-sector" };
const ROUTE_FROM_WIT = Object.fromEntries(Object.entries(WIT_ROUTE).map(([k, v]) => [v, k]));

function dateFromWit(/** @type {{year: number, month: number, day: number}} */ d, /** @type {string} */ what) {
  const text = fromParts(d.year, d.month, d.day);
  if (text === "" || d.year < 1 || d.year > 9999 || parts(text).day !== d.day || parts(text).month !== d.month) {
    throw new PolicyError(`the ${what} ${d.year}-${d.month}-${d.day} is outside the calendar the plugin handles (years 1 to 9999)`);
  }
  return text;
}

const optionalDate = (/** @type {any} */ d, /** @type {string} */ what) => (d === undefined || d === null ? null : dateFromWit(d, what));

function referralFromWit(/** @type {any} */ r) {
  return {
    route: ROUTE_FROM_WIT[r.route],
    age: r.age,
    postcode_district: r.postcodeDistrict,
    in_work: r.inWork,
    on_universal_credit: r.onUniversalCredit,
    known_to_health_services: r.knownToHealthServices,
    on_other_programme: r.onOtherProgramme,
    cohorts: r.cohorts.map(snake),
    health_condition_or_disability: r.healthConditionOrDisability,
  };
}

function journeyFromWit(/** @type {any} */ j) {
  return {
    stage: snake(j.stage),
    track: snake(j.track),
    referred_on: dateFromWit(j.referredOn, "journey's referral date"),
    started_on: optionalDate(j.startedOn, "journey's start date"),
    job_started_on: optionalDate(j.jobStartedOn, "journey's job start date"),
    missed_contacts: j.missedContacts,
    employer_health_consent: j.employerHealthConsent,
    mental_health_needs: j.mentalHealthNeeds,
    programme: snake(j.programme),
    support_ends_on: optionalDate(j.supportEndsOn, "journey's end of support"),
    job_ended_on: optionalDate(j.jobEndedOn, "journey's job end date"),
    outcome_checkpoints: j.outcomeCheckpoints.map((/** @type {any} */ c) => ({
      on: dateFromWit(c.on, "checkpoint date"),
      met: c.met,
      hours_per_week: c.hoursPerWeek,
    })),
    health_condition_or_disability: j.healthConditionOrDisability,
  };
}

// ---- contract to WIT ----

const dateToWit = (/** @type {string} */ d) => parts(d);
const reasonsToWit = (/** @type {any[]} */ reasons) => reasons.map((r) => ({ rule: r.rule, text: r.text }));
const timerToWit = (/** @type {any} */ t) => ({ kind: kebab(t.kind), due: dateToWit(t.due), purpose: t.purpose });

function eligibilityToWit(/** @type {any} */ e) {
  return { outcome: e.outcome, reasons: reasonsToWit(e.reasons), signpost: e.signpost ?? undefined };
}
function planToWit(/** @type {any} */ p) {
  return { timers: p.timers.map(timerToWit), reasons: reasonsToWit(p.reasons) };
}
function contactToWit(/** @type {any} */ c) {
  const step = c.step.step === "outreach" ? { tag: "outreach", val: timerToWit(c.step.timer) } : { tag: "disengaged-exit" };
  return { step, reasons: reasonsToWit(c.reasons) };
}
function handoverToWit(/** @type {any} */ h) {
  return { destination: kebab(h.destination), pack: [...h.pack], reasons: reasonsToWit(h.reasons) };
}

// ---- the contract's shape, checked on the way out ----

/** Checks a hook's answer has the contract's shape, naming the first thing wrong. */
export function checkAnswer(/** @type {Hook} */ hook, /** @type {any} */ answer) {
  const bad = (/** @type {string} */ what) => new PolicyError(`the ${hook} answer is outside the contract: ${what}`);
  if (!answer || typeof answer !== "object") throw bad(`expected an object, got ${JSON.stringify(answer)}`);
  const oneOf = (/** @type {string} */ field, /** @type {unknown} */ value, /** @type {readonly string[]} */ allowed) => {
    if (!allowed.includes(/** @type {string} */ (value))) throw bad(`\`${field}\` is ${JSON.stringify(value)}, expected one of ${allowed.join(", ")}`);
  };
  const text = (/** @type {string} */ field, /** @type {unknown} */ value) => {
    if (typeof value !== "string") throw bad(`\`${field}\` must be a string, got ${JSON.stringify(value)}`);
  };
  const date = (/** @type {string} */ field, /** @type {unknown} */ value) => {
    try {
      parseDate(value, field);
    } catch (e) {
      throw bad(/** @type {Error} */ (e).message);
    }
  };
  const reasons = (/** @type {unknown} */ list) => {
    if (!Array.isArray(list)) throw bad("`reasons` must be a list of { rule, text }");
    list.forEach((r, i) => {
      text(`reasons[${i}].rule`, r?.rule);
      text(`reasons[${i}].text`, r?.text);
    });
  };
  const timer = (/** @type {string} */ field, /** @type {any} */ t) => {
    oneOf(`${field}.kind`, t?.kind, TIMER_KINDS);
    date(`${field}.due`, t?.due);
    text(`${field}.purpose`, t?.purpose);
  };
  reasons(answer.reasons);
  switch (hook) {
    case "eligibility":
      oneOf("outcome", answer.outcome, OUTCOMES);
      if (answer.signpost !== null && answer.signpost !== undefined) text("signpost", answer.signpost);
      return { outcome: answer.outcome, reasons: answer.reasons, signpost: answer.signpost ?? null };
    case "plan":
      if (!Array.isArray(answer.timers)) throw bad("`timers` must be a list");
      answer.timers.forEach((/** @type {any} */ t, /** @type {number} */ i) => timer(`timers[${i}]`, t));
      return answer;
    case "missed_contact":
      oneOf("step.step", answer.step?.step, ["outreach", "disengaged_exit"]);
      if (answer.step.step === "outreach") timer("step.timer", answer.step.timer);
      return answer;
    case "handover":
      oneOf("destination", answer.destination, DESTINATIONS);
      if (!Array.isArray(answer.pack)) throw bad("`pack` must be a list of strings");
      answer.pack.forEach((/** @type {unknown} */ item, /** @type {number} */ i) => text(`pack[${i}]`, item));
      return answer;
  }
}

/** Input checks for golden cases and tests, which write inputs by hand. */
export const INPUT_VALUES = { REFERRAL_ROUTES, TRACKS, COHORTS, STAGES, PROGRAMMES };
export { WIT_ROUTE };
