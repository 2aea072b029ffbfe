// definePolicy: a council's rules as four plain functions and their settings.

import { checkDeclarations } from "./settings.js";

/**
 * @template S
 * @typedef {object} PolicyDefinition
 * @property {string} name Shown as the settings schema's title, e.g. "Stoke-on-Trent".
 * @property {Record<string, import("./settings.js").Setting>} settings Every setting, with a default and a description.
 * @property {(settings: S, referral: import("./contract.js").Referral, asOf: string) => import("./contract.js").Eligibility} eligibility
 * @property {(settings: S, journey: import("./contract.js").Journey, asOf: string) => import("./contract.js").Plan} plan
 * @property {(settings: S, journey: import("./contract.js").Journey, asOf: string) => import("./contract.js").ContactDecision} missedContact
 * @property {(settings: S, journey: import("./contract.js").Journey, asOf: string) => import("./contract.js").Handover} handover
 */

/**
 * Declares a policy. Each hook is a pure function of the settings, the facts and
 * the as-of date: the host runs every decision in a fresh sandbox, so nothing
 * carries over. Throw a PolicyError to refuse to decide (the case goes to a person).
 * @template S
 * @param {PolicyDefinition<S>} definition
 * @returns {Readonly<PolicyDefinition<S>>}
 */
export function definePolicy(definition) {
  if (!definition || typeof definition !== "object") throw new TypeError("definePolicy takes an object: { name, settings, eligibility, plan, missedContact, handover }");
  if (typeof definition.name !== "string" || definition.name.trim() === "") throw new TypeError("a policy needs a `name`, e.g. \"Stoke-on-Trent\"");
  for (const hook of ["eligibility", "plan", "missedContact", "handover"]) {
    if (typeof (/** @type {any} */ (definition)[hook]) !== "function") {
      throw new TypeError(`the policy has no \`${hook}\` function: every hook of the contract must be given`);
    }
  }
  checkDeclarations(definition.settings);
  return Object.freeze({ ...definition });
}
