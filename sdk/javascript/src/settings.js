// A policy's settings: declared once as JSON Schema properties with defaults, from
// which come the `settings-schema` the host shows administrators and the parsing
// every hook gets. No settings ("", null or {}) means the defaults; a partial object
// keeps the other defaults; a misspelt or mistyped setting is refused by name, so
// a typo goes to a person instead of being ignored.

import { PolicyError } from "./contract.js";

/**
 * One setting, in JSON Schema: `type` ("integer", "number", "boolean", "string",
 * "array" with `items`) or `enum`, a `default` and a `description` (what an
 * administrator reads). Integers may have `minimum` and `maximum`; they are whole
 * numbers from 0 (a u32) unless `minimum` says otherwise.
 * @typedef {{type?: string, enum?: unknown[], items?: Setting, default: unknown, description: string, minimum?: number, maximum?: number}} Setting
 */

const U32_MAX = 0xffff_ffff;

/** Checks the declarations once, when the policy is defined: a mistake here is the plugin author's. */
export function checkDeclarations(/** @type {Record<string, Setting>} */ declared) {
  if (declared === null || typeof declared !== "object" || Array.isArray(declared)) {
    throw new TypeError("`settings` must be an object of setting declarations, e.g. { review_every_weeks: { type: \"integer\", default: 4, description: \"...\" } }");
  }
  for (const [name, setting] of Object.entries(declared)) {
    if (!setting || typeof setting !== "object") throw new TypeError(`setting \`${name}\` must be declared as an object`);
    if (!("default" in setting)) throw new TypeError(`setting \`${name}\` has no default: every setting needs one, so {} means the defaults`);
    if (typeof setting.description !== "string" || setting.description.trim() === "") {
      throw new TypeError(`setting \`${name}\` has no description: administrators read it when they edit the settings`);
    }
    const problem = mismatch(withBounds(setting), setting.default);
    if (problem) throw new TypeError(`the default of setting \`${name}\` ${problem}`);
  }
}

/** The settings' JSON Schema, as the host's `settings-schema` call returns it. */
export function settingsSchema(/** @type {string} */ title, /** @type {Record<string, Setting>} */ declared) {
  /** @type {Record<string, unknown>} */
  const properties = {};
  for (const [name, setting] of Object.entries(declared)) properties[name] = withBounds(setting);
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title,
    type: "object",
    properties,
    additionalProperties: false,
  };
}

/** An integer without a minimum is a whole number from 0, as the contract's counts are. */
function withBounds(/** @type {Setting} */ setting) {
  if (setting.type === "integer") {
    return { minimum: 0, maximum: U32_MAX, ...setting };
  }
  if (setting.type === "array" && setting.items) {
    return { ...setting, items: withBounds(setting.items) };
  }
  return setting;
}

/**
 * The council's settings, with every default filled in.
 * @param {string} text the JSON the host passes @param {Record<string, Setting>} declared
 * @returns {Record<string, any>}
 */
export function parseSettings(text, declared) {
  const defaults = () => structuredClone(Object.fromEntries(Object.entries(declared).map(([k, s]) => [k, s.default])));
  if (typeof text !== "string" || text.trim() === "") return defaults();
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PolicyError(`the settings are not valid JSON: ${/** @type {Error} */ (e).message}`);
  }
  if (value === null) return defaults();
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new PolicyError(`the settings must be a JSON object of named settings, not ${kind(value)}`);
  }
  const settings = defaults();
  const known = Object.keys(declared);
  for (const [name, given] of Object.entries(value)) {
    if (!Object.hasOwn(declared, name)) {
      throw new PolicyError(`invalid setting \`${name}\`: unknown setting \`${name}\`, expected one of ${known.map((k) => `\`${k}\``).join(", ")}`);
    }
    const problem = mismatch(withBounds(declared[name]), given);
    if (problem) throw new PolicyError(`invalid setting \`${name}\`: ${problem}`);
    settings[name] = given;
  }
  return settings;
}

/** What is wrong with `value` for `schema`, or "" if nothing. */
function mismatch(/** @type {Setting} */ schema, /** @type {unknown} */ value) {
  if (schema.enum) {
    return schema.enum.includes(value) ? "" : `is ${JSON.stringify(value)}, expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  switch (schema.type) {
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value) || (schema.type === "integer" && !Number.isInteger(value))) {
        return `invalid type: ${kind(value)}, expected ${schema.type === "integer" ? "a whole number" : "a number"}`;
      }
      if (schema.minimum !== undefined && value < schema.minimum) return `is ${value}, below the minimum ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `is ${value}, above the maximum ${schema.maximum}`;
      return "";
    }
    case "boolean":
      return typeof value === "boolean" ? "" : `invalid type: ${kind(value)}, expected a boolean`;
    case "string":
      return typeof value === "string" ? "" : `invalid type: ${kind(value)}, expected a string`;
    case "array": {
      if (!Array.isArray(value)) return `invalid type: ${kind(value)}, expected an array`;
      for (const [i, item] of value.entries()) {
        const problem = schema.items ? mismatch(schema.items, item) : "";
        if (problem) return `item ${i}: ${problem}`;
      }
      return "";
    }
    default:
      return `has the unsupported type ${JSON.stringify(schema.type)}: declare integer, number, boolean, string, array or enum`;
  }
}

function kind(/** @type {unknown} */ value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "boolean": return `boolean \`${value}\``;
    case "number": return `number ${value}`;
    case "string": return `string ${JSON.stringify(value)}`;
    case "object": return "an object";
    default: return typeof value;
  }
}
