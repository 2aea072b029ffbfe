// Stoke-on-Trent City Council's rules for Connect to Work, ported from the Rust
// plugin (plugins/stoke-on-trent) decision for decision, word for word:
//
// - eligibility: residents of ST1, ST2, ST3, ST4, ST6, aged 18 or over, or 16–17 on
//   Universal Credit;
// - plan: 4-weekly reviews from the start, a first employer contact within 30 days,
//   an employer check-in a week after a job start, and the end of support, each
//   moved off weekends and bank holidays;
// - missed contact: three outreach attempts a week apart, then a disengaged exit;
// - handover: a warm handback to the Jobcentre with a summary pack.
//
// golden.json is the Rust plugin's own file: both must keep the same promises.

import { definePolicy } from "waymark-sdk";
import { settings } from "./settings.js";
import { eligibility } from "./eligibility.js";
import { plan } from "./plan.js";
import { missedContact } from "./contact.js";
import { handover } from "./handover.js";

export default definePolicy({
  name: "Stoke-on-Trent",
  settings,
  eligibility: (s, referral) => eligibility(s, referral),
  plan,
  missedContact,
  handover: (s, journey) => handover(s, journey),
});
