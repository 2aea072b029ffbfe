// waymark-sdk for JavaScript: a council's Waymark policy plugin as four plain
// functions over the waymark:policy@1.1.0 contract's records. See README.md.

export { definePolicy } from "./policy.js";
export {
  PolicyError, reason, Eligibility, Plan, PlanBuilder, timer, ContactDecision, handover,
  REFERRAL_ROUTES, TRACKS, COHORTS, STAGES, PROGRAMMES, OUTCOMES, TIMER_KINDS, DESTINATIONS,
} from "./contract.js";
export * as calendar from "./calendar.js";
