// The rules, natively: `node --test` (or `waymark plugin test` on this folder).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decide } from "waymark-sdk/component";
import { date, exampleReferral, runGolden, startedOn, withBankHolidays } from "waymark-sdk/testing";
import policy from "../src/policy.js";

const resident = exampleReferral({ postcode_district: "AB1", route: "self" });

test("a resident adult is accepted", () => {
  assert.equal(decide(policy, "eligibility", "{}", resident, "2026-03-02").outcome, "accept");
});

test("someone outside the area is declined with a signpost", () => {
  const e = decide(policy, "eligibility", "{}", { ...resident, postcode_district: "ZZ9" }, "2026-03-02");
  assert.equal(e.outcome, "decline");
  assert.equal(e.reasons[0].rule, "residence.postcode");
  assert.notEqual(e.signpost, null);
});

test("a review due on a bank holiday moves to the next working day", () => {
  // Start Monday 9 March 2026: four weeks on is Easter Monday, 6 April.
  const plan = withBankHolidays([date("2026-04-06")], () => decide(policy, "plan", "{}", startedOn("2026-03-09"), "2026-03-09"));
  assert.equal(plan.timers[0].due, "2026-04-07");
});

test("golden cases hold", () => {
  runGolden(policy, readFileSync(new URL("../golden.json", import.meta.url), "utf8"));
});
