// The Rust plugin's unit tests, ported: the same inputs give the same answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { acceptedOn, date, exampleReferral, startedOn, withBankHolidays } from "waymark-sdk/testing";
import { decide } from "waymark-sdk/component";
import policy from "../src/policy.js";

const eligibility = (/** @type {any} */ r, settings = "{}") => decide(policy, "eligibility", settings, r, "2026-01-05");
const plan = (/** @type {any} */ j, /** @type {string} */ asOf, settings = "{}") => decide(policy, "plan", settings, j, asOf);
const ofKind = (/** @type {any} */ p, /** @type {string} */ kind) => p.timers.filter((/** @type {any} */ t) => t.kind === kind).map((/** @type {any} */ t) => t.due);
const mondayStart = () => startedOn("2026-01-05");

test("an adult in ST4 is accepted with what passed", () => {
  const e = eligibility(exampleReferral());
  assert.equal(e.outcome, "accept");
  assert.equal(e.reasons[0].text, "Lives in ST4, a district the service covers, and is aged 30 (18 or over).");
  assert.equal(e.signpost, null);
});

test("a 17-year-old not on Universal Credit is declined with the age rule", () => {
  const e = eligibility(exampleReferral({ age: 17 }));
  assert.equal(e.outcome, "decline");
  assert.deepEqual(e.reasons.map((/** @type {any} */ r) => r.rule), ["age.minimum"]);
  assert.equal(e.reasons[0].text, "Must be 18 or over, or 16–17 on Universal Credit; aged 17 and not on Universal Credit.");
  assert.match(e.signpost, /National Careers Service/);
});

test("every failed rule is given and residence picks the signpost", () => {
  const e = eligibility(exampleReferral({ age: 16, postcode_district: "M1" }));
  assert.deepEqual(e.reasons.map((/** @type {any} */ r) => r.rule), ["residence.postcode", "age.minimum"]);
  assert.match(e.signpost, /Your own council/);
});

test("the district is compared ignoring case, and a missing one is refused", () => {
  assert.equal(eligibility(exampleReferral({ postcode_district: "st6" })).outcome, "accept");
  assert.throws(() => eligibility(exampleReferral({ postcode_district: " " })), /no postcode district/);
});

test("a start plans four-weekly reviews for twelve months", () => {
  const p = plan(mondayStart(), "2026-01-05");
  const reviews = ofKind(p, "review");
  assert.deepEqual(reviews.slice(0, 3), ["2026-02-02", "2026-03-02", "2026-03-30"]);
  assert.equal(reviews.length, 13);
  assert.equal(reviews.at(-1), "2027-01-04");
  assert.deepEqual(ofKind(p, "end_of_support"), ["2027-01-05"]);
  assert.deepEqual(ofKind(p, "first_employer_contact"), ["2026-02-04"]);
});

test("a review on a bank holiday moves to the next working day", () => {
  const journey = startedOn("2026-03-09");
  const p = withBankHolidays([date("2026-04-06")], () => plan(journey, "2026-03-09"));
  assert.equal(ofKind(p, "review")[0], "2026-04-07");
});

test("the in-work-at-risk track ends after four months", () => {
  const p = plan({ ...mondayStart(), track: "in_work_at_risk" }, "2026-01-05");
  assert.deepEqual(ofKind(p, "end_of_support"), ["2026-05-05"]);
  assert.deepEqual(ofKind(p, "review"), ["2026-02-02", "2026-03-02", "2026-03-30", "2026-04-27"]);
});

test("a job start adds an employer check-in a week later, worded by consent", () => {
  const journey = { ...mondayStart(), stage: "in_work", job_started_on: "2026-03-11" };
  const checkIn = plan(journey, "2026-03-11").timers.find((/** @type {any} */ t) => t.kind === "employer_check_in");
  assert.equal(checkIn.due, "2026-03-18");
  assert.match(checkIn.purpose, /Do not discuss health needs/);
  const consented = plan({ ...journey, employer_health_consent: true }, "2026-03-11").timers.find((/** @type {any} */ t) => t.kind === "employer_check_in");
  assert.match(consented.purpose, /workplace adjustments/);
});

test("accepted journeys have no timers and a started one without a start date is refused", () => {
  assert.deepEqual(plan(acceptedOn("2026-01-05"), "2026-01-05").timers, []);
  assert.throws(() => plan(acceptedOn("2026-01-05", { stage: "started" }), "2026-01-05"), /the journey is started but has no start date/);
});

test("outreach attempts a week apart, then a disengaged exit", () => {
  const d = decide(policy, "missed_contact", "{}", { ...mondayStart(), missed_contacts: 2 }, "2026-02-07");
  assert.equal(d.step.timer.due, "2026-02-16");
  const exit = decide(policy, "missed_contact", "{}", { ...mondayStart(), missed_contacts: 4 }, "2026-02-23");
  assert.deepEqual(exit.step, { step: "disengaged_exit" });
  assert.equal(exit.reasons[0].rule, "outreach.exhausted");
});

test("settings that cannot be meant are refused by name", () => {
  assert.throws(() => eligibility(exampleReferral(), '{"minimum_age_on_universal_credit": 14}'), /nobody under 16/);
  assert.throws(() => plan(mondayStart(), "2026-01-05", '{"review_every_weeks": 0}'), /^PolicyError: `review_every_weeks` is 0/);
  assert.throws(() => plan(mondayStart(), "2026-01-05", '{"review_every_weeks": "four"}'), /invalid setting `review_every_weeks`/);
});
