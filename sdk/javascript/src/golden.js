// Golden cases: a plugin's promised decisions, written down as data (golden.json
// beside package.json). The same file format and checks as waymark-sdk for Rust
// (sdk/src/testing/golden.rs); the host runs the file against the built component
// on check and upload, so the wasm must decide exactly as `node --test` did.

import { COHORTS, DESTINATIONS, OUTCOMES, PROGRAMMES, REFERRAL_ROUTES, STAGES, TIMER_KINDS, TRACKS } from "./contract.js";
import { parseDate } from "./calendar.js";
import { decide } from "./component.js";
import { withExactly } from "./testing.js";

/** The most timers the host accepts in one plan by default (its `max_timers` limit). */
export const MAX_TIMERS = 200;

const HOOKS = ["eligibility", "plan", "missed_contact", "handover"];
const CASE_FIELDS = ["name", "hook", "settings", "input", "as_of", "bank_holidays", "expect"];
/** Each expectation and the hook it applies to ("any" for every hook). */
const EXPECT_FIELDS = {
  error: "any", outcome: "eligibility", signpost: "eligibility", rules: "any", timers: "plan",
  timers_include: "plan", timers_exclude_kinds: "plan", step: "missed_contact", outreach_due: "missed_contact",
  destination: "handover", pack_includes: "handover",
};

/** Why a golden file did not pass: every failing case and every problem with it. */
export class GoldenFailure extends Error {
  /** @param {string} message @param {{number: number, name: string, problems: string[]}[]} failures */
  constructor(message, failures = []) {
    super(message);
    this.name = "GoldenFailure";
    this.failures = failures;
  }
}

/** Parses a golden file, refusing one that checks nothing or has unknown fields. */
export function parseGolden(/** @type {string} */ json) {
  let cases;
  try {
    cases = JSON.parse(json);
  } catch (e) {
    throw new GoldenFailure(`not a golden file: ${/** @type {Error} */ (e).message}`);
  }
  if (!Array.isArray(cases)) throw new GoldenFailure("not a golden file: expected a JSON list of cases");
  if (cases.length === 0) throw new GoldenFailure("the golden file has no cases");
  cases.forEach((c, i) => {
    const where = `not a golden file: case ${i + 1}`;
    if (!c || typeof c !== "object" || Array.isArray(c)) throw new GoldenFailure(`${where} is not an object`);
    for (const field of Object.keys(c)) {
      if (!CASE_FIELDS.includes(field)) throw new GoldenFailure(`${where} has the unknown field \`${field}\`, expected one of ${CASE_FIELDS.join(", ")}`);
    }
    for (const field of ["name", "hook", "input", "as_of", "expect"]) {
      if (!(field in c)) throw new GoldenFailure(`${where} has no \`${field}\``);
    }
    if (!HOOKS.includes(c.hook)) throw new GoldenFailure(`${where}: unknown hook ${JSON.stringify(c.hook)}, expected one of ${HOOKS.join(", ")}`);
    try {
      parseDate(c.as_of, "as_of");
      (c.bank_holidays ?? []).forEach((/** @type {unknown} */ d) => parseDate(d, "bank holiday"));
    } catch (e) {
      throw new GoldenFailure(`${where}: ${/** @type {Error} */ (e).message}`);
    }
    if (c.settings !== undefined && (c.settings === null || typeof c.settings !== "object" || Array.isArray(c.settings))) {
      throw new GoldenFailure(`${where}: \`settings\` must be an object`);
    }
    if (!c.expect || typeof c.expect !== "object") throw new GoldenFailure(`${where}: \`expect\` must be an object`);
    for (const field of Object.keys(c.expect)) {
      if (!(field in EXPECT_FIELDS)) throw new GoldenFailure(`${where}: unknown field \`expect.${field}\`, expected one of ${Object.keys(EXPECT_FIELDS).join(", ")}`);
    }
  });
  return cases;
}

/**
 * Runs every case of a golden file against `policy`, natively, through the same
 * settings parsing and checks a built plugin uses. Throws a GoldenFailure listing
 * each case that did not hold and why.
 * @param {any} policy from definePolicy @param {string} json the golden file's text
 */
export function runGolden(policy, json) {
  const cases = parseGolden(json);
  const failures = [];
  for (const [index, c] of cases.entries()) {
    let problems;
    try {
      const input = c.hook === "eligibility" ? referralInput(c.input) : journeyInput(c.input);
      const answer = withExactly(c.bank_holidays ?? [], () => {
        try {
          return { ok: decide(policy, c.hook, JSON.stringify(c.settings ?? {}), input, c.as_of) };
        } catch (e) {
          return { err: e instanceof Error ? e.message : String(e) };
        }
      });
      problems = checkCase(c, answer);
    } catch (badInput) {
      problems = [`the input of a ${c.hook} case must be ${c.hook === "eligibility" ? "a referral" : "a journey"}: ${/** @type {Error} */ (badInput).message}`];
    }
    if (problems.length > 0) failures.push({ number: index + 1, name: c.name, problems });
  }
  if (failures.length > 0) {
    const lines = [`${failures.length} of ${cases.length} golden cases failed:`];
    for (const f of failures) {
      lines.push(`  case ${f.number} (${JSON.stringify(f.name)}):`);
      for (const p of f.problems) lines.push(`    - ${p}`);
    }
    throw new GoldenFailure(lines.join("\n"), failures);
  }
}

/**
 * Everything wrong with an answer for a case: unmet expectations and broken
 * contract rules. Empty when the case holds.
 * @param {any} c @param {{ok?: any, err?: string}} answer
 */
export function checkCase(c, answer) {
  const problems = misplaced(c);
  const e = c.expect;
  if (answer.err !== undefined) {
    if (e.error === undefined) problems.push(`the hook refused: ${answer.err}`);
    else if (!answer.err.includes(e.error)) problems.push(`expected an error containing ${JSON.stringify(e.error)}, got the error ${JSON.stringify(answer.err)}`);
    return problems;
  }
  const a = answer.ok;
  if (e.error !== undefined) {
    problems.push(`expected an error containing ${JSON.stringify(e.error)}, got ${summary(c.hook, a)}`);
    return problems;
  }
  // The contract, as the host enforces it on every answer.
  if (a.reasons.length === 0) problems.push("the answer gives no reasons; every decision must say why");
  for (const r of a.reasons.filter((/** @type {any} */ r) => r.rule.trim() === "")) problems.push(`the reason ${JSON.stringify(r.text)} has no rule id`);
  const timers = c.hook === "plan" ? a.timers : c.hook === "missed_contact" && a.step.step === "outreach" ? [a.step.timer] : [];
  if (timers.length > MAX_TIMERS) problems.push(`the plan asks for ${timers.length} timers, more than the ${MAX_TIMERS} a plan may have`);
  for (const t of timers.filter((/** @type {any} */ t) => t.due <= c.as_of)) problems.push(`the ${t.kind} timer is due ${t.due}, not after the as-of date ${c.as_of}`);

  const given = new Set(a.reasons.map((/** @type {any} */ r) => r.rule));
  for (const rule of e.rules ?? []) {
    if (!given.has(rule)) problems.push(`expected a reason with rule ${JSON.stringify(rule)}; rules given: ${JSON.stringify([...given].sort())}`);
  }
  switch (c.hook) {
    case "eligibility":
      if (e.outcome !== undefined && e.outcome !== a.outcome) problems.push(`expected outcome ${e.outcome}, got ${a.outcome}`);
      if (e.signpost !== undefined && e.signpost !== (a.signpost !== null)) {
        problems.push(e.signpost ? "expected a signpost, got none" : `expected no signpost, got ${JSON.stringify(a.signpost)}`);
      }
      break;
    case "plan": {
      const key = (/** @type {any} */ t) => `${t.kind} on ${t.due}`;
      const order = (/** @type {any} */ x, /** @type {any} */ y) => (x.due < y.due ? -1 : x.due > y.due ? 1 : TIMER_KINDS.indexOf(x.kind) - TIMER_KINDS.indexOf(y.kind));
      const got = a.timers.map((/** @type {any} */ t) => ({ kind: t.kind, due: t.due })).sort(order);
      const list = (/** @type {any[]} */ ts) => ts.map(key).join(", ");
      if (e.timers !== undefined) {
        const wanted = [...e.timers].sort(order);
        if (list(wanted) !== list(got)) problems.push(`expected exactly the timers [${list(wanted)}], got [${list(got)}]`);
      }
      for (const t of e.timers_include ?? []) {
        if (!got.some((/** @type {any} */ g) => key(g) === key(t))) problems.push(`expected a timer ${key(t)}, got [${list(got)}]`);
      }
      for (const kind of e.timers_exclude_kinds ?? []) {
        const found = got.find((/** @type {any} */ t) => t.kind === kind);
        if (found) problems.push(`expected no ${kind} timer, got ${key(found)}`);
      }
      break;
    }
    case "missed_contact": {
      const due = a.step.step === "outreach" ? a.step.timer.due : null;
      if (e.step !== undefined && e.step !== a.step.step) problems.push(`expected the step ${e.step}, got ${a.step.step}`);
      if (e.outreach_due !== undefined && e.outreach_due !== due) {
        problems.push(due === null ? `expected outreach due ${e.outreach_due}, got a disengaged exit` : `expected outreach due ${e.outreach_due}, got ${due}`);
      }
      break;
    }
    case "handover":
      if (e.destination !== undefined && e.destination !== a.destination) problems.push(`expected destination ${e.destination}, got ${a.destination}`);
      for (const item of (e.pack_includes ?? []).filter((/** @type {string} */ i) => !a.pack.includes(i))) {
        problems.push(`expected ${JSON.stringify(item)} in the pack, got ${JSON.stringify(a.pack)}`);
      }
      break;
  }
  return problems;
}

/** Expectations that make no sense for the hook, or beside an expected error. */
function misplaced(/** @type {any} */ c) {
  const problems = [];
  const e = c.expect;
  for (const [field, hook] of Object.entries(EXPECT_FIELDS)) {
    if (hook === "any" || e[field] === undefined) continue;
    if (Array.isArray(e[field]) && e[field].length === 0 && field !== "timers") continue;
    if (hook !== c.hook) problems.push(`\`expect.${field}\` applies to ${hook} cases, not ${c.hook}`);
    else if (e.error !== undefined) problems.push(`\`expect.${field}\` cannot be checked beside \`expect.error\``);
  }
  if (e.error !== undefined && (e.rules ?? []).length > 0) problems.push("`expect.rules` cannot be checked beside `expect.error`");
  return problems;
}

function summary(/** @type {string} */ hook, /** @type {any} */ a) {
  switch (hook) {
    case "eligibility": return `the outcome ${a.outcome}`;
    case "plan": return `a plan of ${a.timers.length} timers`;
    case "missed_contact": return `the step ${a.step.step}`;
    default: return `a handover to ${a.destination}`;
  }
}

// ---- inputs, as the host requires them ----

function field(/** @type {any} */ o, /** @type {string} */ name, /** @type {string} */ type) {
  if (!(name in o)) throw new Error(`missing field \`${name}\``);
  const v = o[name];
  const ok = type === "u32" ? Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff : typeof v === type;
  if (!ok) throw new Error(`\`${name}\` is ${JSON.stringify(v)}, expected ${type === "u32" ? "a whole number" : `a ${type}`}`);
  return v;
}

function oneOf(/** @type {any} */ o, /** @type {string} */ name, /** @type {readonly string[]} */ allowed, /** @type {string} */ fallback = "") {
  if (!(name in o) && fallback !== "") return fallback;
  if (!allowed.includes(o[name])) throw new Error(`\`${name}\` is ${JSON.stringify(o[name])}, expected one of ${allowed.join(", ")}`);
  return o[name];
}

function optionalDate(/** @type {any} */ o, /** @type {string} */ name) {
  return o[name] === undefined || o[name] === null ? null : parseDate(o[name], name);
}

function known(/** @type {any} */ o, /** @type {string[]} */ fields) {
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new Error("expected an object");
  for (const f of Object.keys(o)) if (!fields.includes(f)) throw new Error(`unknown field \`${f}\``);
}

/** A referral written by hand (golden.json, tests), checked as the host checks one. */
export function referralInput(/** @type {any} */ r) {
  known(r, ["route", "age", "postcode_district", "in_work", "on_universal_credit", "known_to_health_services", "on_other_programme", "cohorts", "health_condition_or_disability"]);
  const cohorts = r.cohorts;
  if (!Array.isArray(cohorts)) throw new Error("missing field `cohorts` (a list)");
  cohorts.forEach((/** @type {unknown} */ c) => {
    if (!COHORTS.includes(/** @type {string} */ (c))) throw new Error(`the cohort ${JSON.stringify(c)} is not one of ${COHORTS.join(", ")}`);
  });
  return {
    route: oneOf(r, "route", REFERRAL_ROUTES),
    age: field(r, "age", "u32"),
    postcode_district: field(r, "postcode_district", "string"),
    in_work: field(r, "in_work", "boolean"),
    on_universal_credit: field(r, "on_universal_credit", "boolean"),
    known_to_health_services: field(r, "known_to_health_services", "boolean"),
    on_other_programme: field(r, "on_other_programme", "boolean"),
    cohorts: [...cohorts],
    health_condition_or_disability: "health_condition_or_disability" in r ? field(r, "health_condition_or_disability", "boolean") : false,
  };
}

/** A journey written by hand (golden.json, tests); the 1.1 facts may be left out. */
export function journeyInput(/** @type {any} */ j) {
  known(j, ["stage", "track", "referred_on", "started_on", "job_started_on", "missed_contacts", "employer_health_consent", "mental_health_needs", "programme", "support_ends_on", "job_ended_on", "outcome_checkpoints", "health_condition_or_disability"]);
  const checkpoints = j.outcome_checkpoints ?? [];
  if (!Array.isArray(checkpoints)) throw new Error("`outcome_checkpoints` must be a list");
  return {
    stage: oneOf(j, "stage", STAGES),
    track: oneOf(j, "track", TRACKS),
    referred_on: parseDate(j.referred_on, "referred_on"),
    started_on: optionalDate(j, "started_on"),
    job_started_on: optionalDate(j, "job_started_on"),
    missed_contacts: field(j, "missed_contacts", "u32"),
    employer_health_consent: field(j, "employer_health_consent", "boolean"),
    mental_health_needs: field(j, "mental_health_needs", "boolean"),
    programme: oneOf(j, "programme", PROGRAMMES, "connect_to_work"),
    support_ends_on: optionalDate(j, "support_ends_on"),
    job_ended_on: optionalDate(j, "job_ended_on"),
    outcome_checkpoints: checkpoints.map((/** @type {any} */ c) => ({ on: parseDate(c.on, "checkpoint on"), met: field(c, "met", "boolean"), hours_per_week: field(c, "hours_per_week", "u32") })),
    health_condition_or_disability: "health_condition_or_disability" in j ? field(j, "health_condition_or_disability", "boolean") : false,
  };
}

export { OUTCOMES, DESTINATIONS };
