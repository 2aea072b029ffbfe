import { test } from "node:test";
import assert from "node:assert/strict";
import { definePolicy, Eligibility, Plan, ContactDecision, handover, reason, PolicyError } from "../src/index.js";
import { decide, exportPolicy, schemaText } from "../src/component.js";
import { runGolden, GoldenFailure, startedOn, exampleReferral } from "../src/testing.js";

const policy = definePolicy({
  name: "Test council",
  settings: {
    review_every_weeks: { type: "integer", minimum: 1, default: 4, description: "Weeks between reviews." },
    districts: { type: "array", items: { type: "string" }, default: ["ST4"], description: "Districts served." },
    destination: { enum: ["jobcentre", "employer"], default: "jobcentre", description: "Who takes over." },
  },
  eligibility(s, r) {
    const why = reason("residence.postcode", `Lives in ${r.postcode_district}`);
    return s.districts.includes(r.postcode_district) ? Eligibility.accept([why]) : Eligibility.decline([why], "Your own council");
  },
  plan(s, j, asOf) {
    if (j.started_on === null) throw new PolicyError("the journey has no start date");
    return Plan.after(asOf).timer("review", "2026-01-05", "in the past: dropped").timer("review", "2026-02-02", "First review").reason("cadence.review", `Every ${s.review_every_weeks} weeks`).build();
  },
  missedContact: () => ContactDecision.disengagedExit([reason("outreach.exhausted", "No more attempts")]),
  handover: (s) => handover(s.destination, ["Action plan"], [reason("handover.destination", s.destination)]),
});

test("no settings mean the defaults; a partial object keeps the others", () => {
  for (const text of ["", "  ", "null", "{}"]) {
    assert.equal(decide(policy, "handover", text, startedOn("2026-01-05"), "2026-01-05").destination, "jobcentre", text);
  }
  assert.equal(decide(policy, "handover", '{"destination":"employer"}', startedOn("2026-01-05"), "2026-01-05").destination, "employer");
});

test("a bad or misspelt setting is refused by name", () => {
  assert.throws(() => decide(policy, "plan", '{"review_every_weeks": "four"}', startedOn("2026-01-05"), "2026-01-05"), /^PolicyError: invalid setting `review_every_weeks`: invalid type/);
  assert.throws(() => decide(policy, "plan", '{"reveiw_every_weeks": 2}', startedOn("2026-01-05"), "2026-01-05"), /`reveiw_every_weeks`/);
  assert.throws(() => decide(policy, "plan", '{"review_every_weeks": 0}', startedOn("2026-01-05"), "2026-01-05"), /below the minimum 1/);
  assert.throws(() => decide(policy, "plan", "[1]", startedOn("2026-01-05"), "2026-01-05"), /not an array/);
  assert.throws(() => decide(policy, "plan", "{", startedOn("2026-01-05"), "2026-01-05"), /not valid JSON/);
});

test("the schema lists every setting with its default and forbids others", () => {
  const schema = JSON.parse(schemaText(policy));
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties), ["review_every_weeks", "districts", "destination"]);
  assert.equal(schema.properties.review_every_weeks.default, 4);
  assert.equal(schema.properties.review_every_weeks.maximum, 4294967295);
});

test("a setting without a default or description is refused when the policy is defined", () => {
  const hooks = { name: "x", eligibility() {}, plan() {}, missedContact() {}, handover() {} };
  assert.throws(() => definePolicy({ ...hooks, settings: { a: { type: "integer", description: "A" } } }), /has no default/);
  assert.throws(() => definePolicy({ ...hooks, settings: { a: { type: "integer", default: 1 } } }), /has no description/);
  assert.throws(() => definePolicy({ ...hooks, settings: { a: { type: "integer", default: "1", description: "A" } } }), /default of setting `a`/);
  assert.throws(() => definePolicy({ ...hooks, handover: undefined, settings: {} }), /no `handover` function/);
});

test("a plan keeps only timers after the as-of date, and an answer outside the contract is refused", () => {
  const plan = decide(policy, "plan", "{}", startedOn("2026-01-05"), "2026-01-05");
  assert.deepEqual(plan.timers.map((t) => t.due), ["2026-02-02"]);
  const broken = definePolicy({ ...policy, handover: () => handover("the moon", [], [reason("r", "t")]) });
  assert.throws(() => decide(broken, "handover", "{}", startedOn("2026-01-05"), "2026-01-05"), /outside the contract: `destination` is "the moon"/);
  assert.throws(() => Eligibility.decline([reason("r", "t")], ""), /needs a signpost/);
});

test("the component export speaks WIT and turns refusals and faults into err text", () => {
  const asked = [];
  const logged = [];
  const exported = exportPolicy(policy, { isWorkingDay: (d) => { asked.push(d); return true; }, log: (m) => logged.push(m) });
  const referral = { route: "self-referral", age: 30, postcodeDistrict: "ST4", inWork: false, onUniversalCredit: false, knownToHealthServices: false, onOtherProgramme: false, cohorts: ["care-experienced"], healthConditionOrDisability: true };
  assert.deepEqual(exported.eligibility("{}", referral, { year: 2026, month: 1, day: 5 }), { outcome: "accept", reasons: [{ rule: "residence.postcode", text: "Lives in ST4" }], signpost: undefined });
  const journey = { stage: "in-work", track: "out-of-work", referredOn: { year: 2026, month: 1, day: 5 }, startedOn: undefined, jobStartedOn: undefined, missedContacts: 0, employerHealthConsent: false, mentalHealthNeeds: false, programme: "connect-to-work", supportEndsOn: undefined, jobEndedOn: undefined, outcomeCheckpoints: [], healthConditionOrDisability: false };
  assert.throws(() => exported.plan("{}", journey, { year: 2026, month: 1, day: 5 }), (e) => e === "the journey has no start date");
  assert.deepEqual(exported.missedContact("{}", journey, { year: 2026, month: 1, day: 5 }).step, { tag: "disengaged-exit" });
  assert.equal(exported.handover('{"destination":"employer"}', journey, { year: 2026, month: 1, day: 5 }).destination, "employer");
  const faulty = exportPolicy(definePolicy({ ...policy, eligibility: () => require("node:fs") }), { isWorkingDay: () => true, log() {} });
  assert.throws(() => faulty.eligibility("{}", referral, { year: 2026, month: 1, day: 5 }), (e) => typeof e === "string" && e.startsWith("the plugin failed (a fault in the plugin, not a decision): ReferenceError: require is not defined"));
});

test("golden cases: passing ones pass, and every failing case is named with its problems", () => {
  const c = (hook, input, expect, extra = {}) => ({ name: `${hook} case`, hook, input, as_of: "2026-01-05", expect, ...extra });
  const journey = { stage: "started", track: "out_of_work", referred_on: "2026-01-05", started_on: "2026-01-05", job_started_on: null, missed_contacts: 0, employer_health_consent: false, mental_health_needs: false };
  runGolden(policy, JSON.stringify([
    c("eligibility", exampleReferral(), { outcome: "accept", rules: ["residence.postcode"], signpost: false }),
    c("plan", journey, { timers: [{ kind: "review", due: "2026-02-02" }] }),
    c("plan", { ...journey, started_on: null }, { error: "no start date" }),
    c("handover", journey, { destination: "employer", pack_includes: ["Action plan"] }, { settings: { destination: "employer" } }),
  ]));
  assert.throws(() => runGolden(policy, JSON.stringify([
    c("eligibility", exampleReferral({ postcode_district: "M1" }), { outcome: "accept" }),
    c("plan", journey, { outcome: "accept", timers: [] }),
    c("missed_contact", { ...journey, stage: "nowhere" }, {}),
  ])), (e) => {
    assert.ok(e instanceof GoldenFailure);
    assert.match(e.message, /^3 of 3 golden cases failed:/);
    assert.match(e.message, /expected outcome accept, got decline/);
    assert.match(e.message, /`expect.outcome` applies to eligibility cases, not plan/);
    assert.match(e.message, /expected exactly the timers \[\], got \[review on 2026-02-02\]/);
    assert.match(e.message, /the input of a missed_contact case must be a journey: `stage` is "nowhere"/);
    return true;
  });
  assert.throws(() => runGolden(policy, "[]"), /no cases/);
  assert.throws(() => runGolden(policy, JSON.stringify([c("plan", journey, { timerz: [] })])), /unknown field `expect.timerz`/);
});
