// Dates and working days, as the council's calendar sees them, and the decision log.
//
// In the sandbox, whether a day is a working day is asked of the host, which knows
// the council's nation and bank holidays: a plugin never hard-codes a holiday list.
// Under `node --test` the same functions use a test calendar (Monday to Friday, less
// the bank holidays set with testing.withBankHolidays) and keep the log for
// testing.takeLog.
//
// Dates are "YYYY-MM-DD" strings, so they compare with < and > and read as the API
// and golden.json write them. Arithmetic never returns an impossible date: past the
// calendar's range (years 1 to 9999) it throws a PolicyError, which sends the case to
// a person with the message, never a wrong answer.

import { PolicyError } from "./contract.js";

/** @typedef {import("./contract.js").CalendarDate} CalendarDate */

/** The longest run of non-working days before we stop looking: no UK calendar comes close. */
const LONGEST_BREAK_DAYS = 31;
const DAY_MS = 86_400_000;
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December",
];

/** What the calendar asks: the host's in the sandbox, the test calendar under node. */
const testCalendar = {
  /** @type {Set<string>} */
  bankHolidays: new Set(),
  /** @type {string[]} */
  log: [],
  isWorkingDay(/** @type {CalendarDate} */ day) {
    const weekday = new Date(toMillis(day)).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !this.bankHolidays.has(day);
  },
  writeLog(/** @type {string} */ message) {
    this.log.push(message);
  },
};

/** @type {{isWorkingDay(day: CalendarDate): boolean, writeLog(message: string): void}} */
let backend = testCalendar;

/** Used by component.js: the sandbox's host answers from now on. @internal */
export function useHost(/** @type {typeof backend} */ host) {
  backend = host;
}

/** The test calendar, for testing.js. @internal */
export function testBackend() {
  return testCalendar;
}

/**
 * Parses "YYYY-MM-DD" into a real day, or throws naming what is wrong.
 * @param {unknown} text @param {string} [what] @returns {CalendarDate}
 */
export function parseDate(text, what = "date") {
  if (typeof text !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    throw new PolicyError(`the ${what} ${JSON.stringify(text)} is not a date written YYYY-MM-DD`);
  }
  const [y, m, d] = text.split("-").map(Number);
  if (y < 1 || fromParts(y, m, d) !== text) {
    throw new PolicyError(`the ${what} ${text} is not a real day`);
  }
  return text;
}

/** @param {number} year @param {number} month 1-12 @param {number} day @returns {CalendarDate} */
export function fromParts(year, month, day) {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return format(d.getTime());
}

/** @param {CalendarDate} day @returns {{year: number, month: number, day: number}} */
export function parts(day) {
  const [year, month, d] = day.split("-").map(Number);
  return { year, month, day: d };
}

function toMillis(/** @type {CalendarDate} */ day) {
  const { year, month, day: d } = parts(day);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, d);
  return date.getTime();
}

function format(/** @type {number} */ millis) {
  const d = new Date(millis);
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) return "";
  const pad = (/** @type {number} */ n, /** @type {number} */ w) => String(n).padStart(w, "0");
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function outOfRange(/** @type {CalendarDate} */ day, /** @type {number} */ n, /** @type {string} */ unit) {
  return new PolicyError(`${day} plus ${n} ${unit} is past the end of the calendar`);
}

function count(/** @type {number} */ n, /** @type {string} */ unit) {
  if (!Number.isInteger(n) || n < 0) {
    throw new PolicyError(`${n} ${unit} is not a whole number of ${unit} from 0 up`);
  }
  return n;
}

/** Whether `day` is a working day in the council's calendar: not a weekend, not a bank holiday. */
export function isWorkingDay(/** @type {CalendarDate} */ day) {
  return backend.isWorkingDay(day);
}

/** `day` plus `n` calendar days. @param {CalendarDate} day @param {number} n @returns {CalendarDate} */
export function addDays(day, n) {
  count(n, "days");
  const out = format(toMillis(day) + n * DAY_MS);
  if (out === "") throw outOfRange(day, n, "days");
  return out;
}

/** `day` plus `n` weeks. @param {CalendarDate} day @param {number} n @returns {CalendarDate} */
export function addWeeks(day, n) {
  count(n, "weeks");
  if (n * 7 > 0xffff_ffff) throw outOfRange(day, n, "weeks");
  return addDays(day, n * 7);
}

/**
 * `day` plus `n` calendar months; the day of the month is kept, or clamped to the
 * month's last day (31 January plus one month is 28 or 29 February).
 * @param {CalendarDate} day @param {number} n @returns {CalendarDate}
 */
export function addMonths(day, n) {
  count(n, "months");
  const { year, month, day: d } = parts(day);
  const months = year * 12 + (month - 1) + n;
  const y = Math.floor(months / 12);
  const m = (months % 12) + 1;
  if (y > 9999) throw outOfRange(day, n, "months");
  const last = new Date(Date.UTC(2000, m, 0)).getUTCDate(); // days in month m of a leap year
  const lastOfMonth = m === 2 && !isLeap(y) ? 28 : last;
  return fromParts(y, m, Math.min(d, lastOfMonth));
}

function isLeap(/** @type {number} */ y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** `day` itself if it is a working day, otherwise the first working day after it. */
export function nextWorkingDayFrom(/** @type {CalendarDate} */ day) {
  let candidate = day;
  for (let i = 0; i <= LONGEST_BREAK_DAYS; i++) {
    if (isWorkingDay(candidate)) return candidate;
    candidate = addDays(candidate, 1);
  }
  throw new PolicyError(
    `the council's calendar has no working day in the ${LONGEST_BREAK_DAYS} days from ${day}; check its bank holidays`,
  );
}

/** The `n`th working day after `day` (`day` itself when `n` is 0). */
export function addWorkingDays(/** @type {CalendarDate} */ day, /** @type {number} */ n) {
  count(n, "working days");
  let current = day;
  for (let i = 0; i < n; i++) current = nextWorkingDayFrom(addDays(current, 1));
  return current;
}

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(/** @type {CalendarDate} */ from, /** @type {CalendarDate} */ to) {
  return Math.round((toMillis(to) - toMillis(from)) / DAY_MS);
}

/** A date in plain English for a purpose or a reason: "Monday 2 February 2026". */
export function describe(/** @type {CalendarDate} */ day) {
  const d = new Date(toMillis(day));
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** A line for the decision log. Never personal data: the log is read by people who do not need it. */
export function log(/** @type {string} */ message) {
  backend.writeLog(String(message));
}
