import { test } from "node:test";
import assert from "node:assert/strict";
import { calendar, PolicyError } from "../src/index.js";
import { date, withBankHolidays, takeLog } from "../src/testing.js";

test("a Saturday moves to Monday, and bank holidays only inside the closure", () => {
  assert.equal(calendar.nextWorkingDayFrom("2026-01-31"), "2026-02-02");
  withBankHolidays(["2026-04-03", "2026-04-06"], () => assert.equal(calendar.nextWorkingDayFrom("2026-04-03"), "2026-04-07"));
  assert.ok(calendar.isWorkingDay("2026-04-03"));
});

test("working days are counted after the start day", () => {
  assert.equal(calendar.addWorkingDays("2026-01-09", 1), "2026-01-12");
  assert.equal(calendar.addWorkingDays("2026-01-09", 10), "2026-01-23");
  assert.equal(calendar.addWorkingDays("2026-01-10", 0), "2026-01-10");
});

test("months clamp to the month's last day, as chrono's do", () => {
  assert.equal(calendar.addMonths("2026-01-31", 1), "2026-02-28");
  assert.equal(calendar.addMonths("2024-01-31", 1), "2024-02-29");
  assert.equal(calendar.addMonths("2026-11-15", 14), "2028-01-15");
  assert.equal(calendar.addWeeks("2026-12-28", 1), "2027-01-04");
});

test("arithmetic past the end of the calendar is a PolicyError, not a wrong date", () => {
  assert.throws(() => calendar.addDays("9999-12-31", 1), (e) => e instanceof PolicyError && /past the end of the calendar/.test(e.message));
  assert.throws(() => calendar.addMonths("9999-12-01", 1), PolicyError);
  assert.throws(() => calendar.addDays("2026-01-01", -1), /not a whole number/);
});

test("a calendar with no working days is reported", () => {
  const year = Array.from({ length: 40 }, (_, i) => calendar.addDays("2026-01-01", i));
  withBankHolidays(year, () => assert.throws(() => calendar.nextWorkingDayFrom("2026-01-01"), /no working day/));
});

test("dates are described in plain English and checked when parsed", () => {
  assert.equal(calendar.describe("2026-02-02"), "Monday 2 February 2026");
  assert.throws(() => date("2026-02-30"), /not a real day/);
  assert.throws(() => date("2 Feb 2026"), /YYYY-MM-DD/);
});

test("the log is kept for the test", () => {
  calendar.log("planned 3 reviews");
  assert.deepEqual(takeLog(), ["planned 3 reviews"]);
  assert.deepEqual(takeLog(), []);
});
