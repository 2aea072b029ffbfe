// Who can join: residents of the city's postcode districts, aged 18 or over, or
// 16–17 on Universal Credit. Every rule is checked, not just the first that fails,
// so a declined person and the key worker see everything in the way at once.

import { Eligibility, PolicyError, reason } from "waymark-sdk";
import { asciiUpper, check, districtsInWords, serves } from "./settings.js";

export function eligibility(/** @type {any} */ settings, /** @type {import("waymark-sdk/src/contract.js").Referral} */ referral) {
  check(settings);
  const trimmed = referral.postcode_district.trim();
  if (trimmed === "") {
    // The host derives the district from a validated postcode; an empty one is a
    // fault to look into, not a reason to turn someone away.
    throw new PolicyError("the referral has no postcode district, so residence cannot be checked");
  }
  const district = asciiUpper(trimmed);
  const livesHere = serves(settings, district);
  const age = ageVerdict(settings, referral);

  if (livesHere && age.passed !== null) {
    return Eligibility.accept([reason("eligible", `Lives in ${district}, a district the service covers, and is ${age.passed}.`)]);
  }
  const reasons = [];
  if (!livesHere) {
    reasons.push(reason(
      "residence.postcode",
      `Lives in ${district}, outside the districts Stoke-on-Trent City Council's Connect to Work serves (${districtsInWords(settings)}).`,
    ));
  }
  if (age.passed === null) reasons.push(reason("age.minimum", age.ruleAndFinding));
  // Someone outside the area is best served by their own council, whatever their
  // age; someone in the area who is too young, by careers advice.
  const signpost = livesHere ? settings.under_age_signpost : settings.out_of_area_signpost;
  return Eligibility.decline(reasons, signpost);
}

function ageVerdict(/** @type {any} */ settings, /** @type {any} */ referral) {
  const age = referral.age;
  const minimum = settings.minimum_age;
  const onUcMinimum = settings.minimum_age_on_universal_credit;
  let passed = null;
  if (age >= minimum) passed = `aged ${age} (${minimum} or over)`;
  else if (referral.on_universal_credit && age >= onUcMinimum) passed = `aged ${age} and on Universal Credit`;
  const rule = onUcMinimum < minimum
    ? `Must be ${minimum} or over, or ${onUcMinimum}–${minimum - 1} on Universal Credit`
    : `Must be ${minimum} or over`;
  const finding = referral.on_universal_credit ? `aged ${age}` : `aged ${age} and not on Universal Credit`;
  return { passed, ruleAndFinding: `${rule}; ${finding}.` };
}
