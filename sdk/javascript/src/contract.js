// The waymark:policy@1.1.0 contract (sdk/wit/v1.1.0/policy.wit) as plain objects.
//
// Names and values are spelt as the host's API and golden.json spell them:
// snake_case fields and enum values, dates as "YYYY-MM-DD" strings. A plugin never
// sees a WIT type; src/component.js converts at the sandbox's edge.

/** @typedef {string} CalendarDate A day in the council's time zone, "YYYY-MM-DD". */
/** @typedef {"self" | "council" | "health" | "jobcentre" | "voluntary"} ReferralRoute */
/** @typedef {"out_of_work" | "in_work_at_risk"} Track */
/** @typedef {"care_experienced" | "carer" | "veteran" | "homeless" | "refugee" | "domestic_abuse_survivor" | "offender" | "substance_use" | "mental_health" | "neurodivergent"} Cohort */
/** @typedef {"accepted" | "started" | "in_work" | "paused" | "outreach" | "waitlisted"} Stage */
/** @typedef {"connect_to_work" | "ipes" | "ips_primary_care"} Programme */
/** @typedef {"accept" | "waitlist" | "decline"} Outcome */
/** @typedef {"review" | "first_employer_contact" | "employer_check_in" | "in_work_review" | "outcome_checkpoint" | "outreach" | "handover" | "end_of_support"} TimerKind */
/** @typedef {"jobcentre" | "nhs_talking_therapies" | "council_provision" | "employer"} Destination */

/**
 * What eligibility may know of a referral: facts the host derived, never a name,
 * date of birth or full postcode.
 * @typedef {object} Referral
 * @property {ReferralRoute} route
 * @property {number} age Age in whole years on the as-of date.
 * @property {string} postcode_district Outward code, upper case, e.g. "ST4".
 * @property {boolean} in_work
 * @property {boolean} on_universal_credit
 * @property {boolean} known_to_health_services
 * @property {boolean} on_other_programme
 * @property {Cohort[]} cohorts
 * @property {boolean} health_condition_or_disability Self-declared. (1.1)
 */

/**
 * @typedef {object} CheckpointResult
 * @property {CalendarDate} on
 * @property {boolean} met
 * @property {number} hours_per_week
 */

/**
 * The least a plan needs to know of a journey.
 * @typedef {object} Journey
 * @property {Stage} stage
 * @property {Track} track
 * @property {CalendarDate} referred_on
 * @property {CalendarDate | null} started_on
 * @property {CalendarDate | null} job_started_on
 * @property {number} missed_contacts Contacts missed since the last successful one.
 * @property {boolean} employer_health_consent
 * @property {boolean} mental_health_needs
 * @property {Programme} programme (1.1)
 * @property {CalendarDate | null} support_ends_on The last day of support the host allows. (1.1)
 * @property {CalendarDate | null} job_ended_on (1.1)
 * @property {CheckpointResult[]} outcome_checkpoints Oldest first. (1.1)
 * @property {boolean} health_condition_or_disability (1.1)
 */

/** @typedef {{rule: string, text: string}} Reason A stable rule id and plain English. */
/** @typedef {{outcome: Outcome, reasons: Reason[], signpost: string | null}} Eligibility */
/** @typedef {{kind: TimerKind, due: CalendarDate, purpose: string}} Timer */
/** @typedef {{timers: Timer[], reasons: Reason[]}} Plan */
/** @typedef {{step: "outreach", timer: Timer} | {step: "disengaged_exit"}} ContactStep */
/** @typedef {{step: ContactStep, reasons: Reason[]}} ContactDecision */
/** @typedef {{destination: Destination, pack: string[], reasons: Reason[]}} Handover */

export const REFERRAL_ROUTES = Object.freeze(["self", "council", "health", "jobcentre", "voluntary"]);
export const TRACKS = Object.freeze(["out_of_work", "in_work_at_risk"]);
export const COHORTS = Object.freeze([
  "care_experienced", "carer", "veteran", "homeless", "refugee", "domestic_abuse_survivor",
  "offender", "substance_use", "mental_health", "neurodivergent",
]);
export const STAGES = Object.freeze(["accepted", "started", "in_work", "paused", "outreach", "waitlisted"]);
export const PROGRAMMES = Object.freeze(["connect_to_work", "ipes", "ips_primary_care"]);
export const OUTCOMES = Object.freeze(["accept", "waitlist", "decline"]);
export const TIMER_KINDS = Object.freeze([
  "review", "first_employer_contact", "employer_check_in", "in_work_review",
  "outcome_checkpoint", "outreach", "handover", "end_of_support",
]);
export const DESTINATIONS = Object.freeze(["jobcentre", "nhs_talking_therapies", "council_provision", "employer"]);

/**
 * Why a plugin refuses to decide. The host sends the case to a person with this
 * text, so say what is wrong and what would fix it; never include personal data.
 * A "no" is a decision with reasons, never an error.
 */
export class PolicyError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "PolicyError";
  }
}

/**
 * `reason("age.minimum", "Must be 18 or over")`.
 * @param {string} rule @param {string} text @returns {Reason}
 */
export function reason(rule, text) {
  return { rule: String(rule), text: String(text) };
}

export const Eligibility = Object.freeze({
  /** Accepted, for these reasons. @param {Reason[]} reasons @returns {Eligibility} */
  accept(reasons) {
    return { outcome: "accept", reasons: [...reasons], signpost: null };
  },
  /**
   * Waitlisted, for these reasons, with somewhere to go meanwhile if given.
   * @param {Reason[]} reasons @param {string | null} [signpost] @returns {Eligibility}
   */
  waitlist(reasons, signpost = null) {
    return { outcome: "waitlist", reasons: [...reasons], signpost: signpost ?? null };
  },
  /**
   * Declined, for these reasons. A signpost is required: nobody is turned away
   * without being told where else to go.
   * @param {Reason[]} reasons @param {string} signpost @returns {Eligibility}
   */
  decline(reasons, signpost) {
    if (typeof signpost !== "string" || signpost.trim() === "") {
      throw new PolicyError("a declined referral needs a signpost: where else the person can go");
    }
    return { outcome: "decline", reasons: [...reasons], signpost };
  },
});

/** @param {TimerKind} kind @param {CalendarDate} due @param {string} purpose @returns {Timer} */
export function timer(kind, due, purpose) {
  return { kind, due, purpose: String(purpose) };
}

/** Collects a plan's timers, dropping those not strictly after the as-of date. */
export class PlanBuilder {
  /** @param {CalendarDate} asOf */
  constructor(asOf) {
    this.asOf = asOf;
    /** @type {Timer[]} */
    this.timers = [];
    /** @type {Reason[]} */
    this.reasons = [];
  }

  /** Adds a timer, unless it is due on or before the as-of date. @param {TimerKind} kind @param {CalendarDate} due @param {string} purpose */
  timer(kind, due, purpose) {
    if (due > this.asOf) this.timers.push(timer(kind, due, purpose));
    return this;
  }

  /** @param {string} rule @param {string} text */
  reason(rule, text) {
    this.reasons.push(reason(rule, text));
    return this;
  }

  /** The plan, timers in due order (then by kind, in the contract's order), as a diary reads. @returns {Plan} */
  build() {
    const timers = [...this.timers].sort(
      (a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : TIMER_KINDS.indexOf(a.kind) - TIMER_KINDS.indexOf(b.kind)),
    );
    return { timers, reasons: [...this.reasons] };
  }
}

export const Plan = Object.freeze({
  /** Starts a plan that keeps only timers due strictly after `asOf`, as the contract requires. @param {CalendarDate} asOf */
  after(asOf) {
    return new PlanBuilder(asOf);
  },
  /** A plan with no timers, for these reasons. @param {Reason[]} reasons @returns {Plan} */
  nothing(reasons) {
    return { timers: [], reasons: [...reasons] };
  },
});

export const ContactDecision = Object.freeze({
  /** Another outreach attempt, due on `t.due`. @param {Timer} t @param {Reason[]} reasons @returns {ContactDecision} */
  outreach(t, reasons) {
    return { step: { step: "outreach", timer: t }, reasons: [...reasons] };
  },
  /** Close the journey as disengaged. @param {Reason[]} reasons @returns {ContactDecision} */
  disengagedExit(reasons) {
    return { step: { step: "disengaged_exit" }, reasons: [...reasons] };
  },
});

/** @param {Destination} destination @param {string[]} pack @param {Reason[]} reasons @returns {Handover} */
export function handover(destination, pack, reasons) {
  return { destination, pack: [...pack], reasons: [...reasons] };
}
