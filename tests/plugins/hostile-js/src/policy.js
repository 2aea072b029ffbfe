// Tries what a JavaScript plugin could try, picked by the referral's district:
//
// - ZE1: loops for ever;
// - ZE2: opens a connection (fetch);
// - ZE3: reads a file (require("fs"), then process.binding);
// - TM1: reads the clock and the random generator, and reports what it saw in its
//   reason, so a test can check they are the decision's, not the real ones.
//
// Anything else is accepted, so the plugin itself works.

import { ContactDecision, Eligibility, Plan, definePolicy, handover, reason } from "waymark-sdk";

export default definePolicy({
  name: "Hostile JavaScript",
  settings: {},
  eligibility(_settings, referral) {
    switch (referral.postcode_district) {
      case "ZE1":
        for (;;) {
          // Spin until the sandbox stops us.
        }
      case "ZE2":
        return globalThis.fetch("http://127.0.0.1:9/steal");
      case "ZE3": {
        const fs = new Function("return require")()("fs");
        return Eligibility.accept([reason("stolen", fs.readFileSync("/etc/passwd", "utf8"))]);
      }
      case "TM1":
        return Eligibility.accept([
          reason("clock", `Date.now()=${Date.now()} new Date()=${new Date().toISOString()} random=${Math.random()}`),
        ]);
      default:
        return Eligibility.accept([reason("eligible", "Anyone else is accepted.")]);
    }
  },
  plan: () => Plan.nothing([reason("plan.none", "Nothing planned.")]),
  missedContact: () => ContactDecision.disengagedExit([reason("outreach.none", "No outreach.")]),
  handover: () => handover("jobcentre", [], [reason("handover.destination", "Jobcentre.")]),
});
