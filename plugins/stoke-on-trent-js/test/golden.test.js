import { test } from "node:test";
import { readFileSync } from "node:fs";
import { runGolden } from "waymark-sdk/testing";
import policy from "../src/policy.js";

test("the Rust plugin's golden cases hold", () => {
  runGolden(policy, readFileSync(new URL("../golden.json", import.meta.url), "utf8"));
});
