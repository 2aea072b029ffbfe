// Builds a JavaScript policy plugin into a waymark:policy component:
//
//   node build.mjs PROJECT_DIR OUT.wasm WIT_DIR
//
// 1. An entry module is generated that imports the host interface and the project's
//    policy (package.json "main") and exports the policy through waymark-sdk's glue.
// 2. rolldown bundles it and every module it imports into one file: ComponentizeJS
//    takes one module. Only the project's own modules and packages are bundled;
//    Node.js built-ins (node:fs, node:net, ...) do not exist in the sandbox and are
//    refused here with the importer named.
// 3. ComponentizeJS (StarlingMonkey) makes the component, with fetch and the HTTP
//    handler left out: the only WASI it imports is what its runtime needs (clocks,
//    random, stdio, and an empty filesystem), which the host answers deterministically.
//
// `waymark plugin build` runs this with the tools installed into its cache.

import { createRequire, builtinModules } from "node:module";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { componentize } from "@bytecodealliance/componentize-js";
import { rolldown } from "rolldown";

/** What the runtime may keep: everything but the network. */
const DISABLED_FEATURES = ["http", "fetch-event"];
const HOST_IMPORT = "waymark:policy/host@1.1.0";

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const [projectArg, outArg, witArg] = process.argv.slice(2);
if (!projectArg || !outArg || !witArg) fail("usage: node build.mjs PROJECT_DIR OUT.wasm WIT_DIR");
const project = resolve(projectArg);
const out = resolve(outArg);
const wit = resolve(witArg);

let manifest;
try {
  manifest = JSON.parse(await readFile(join(project, "package.json"), "utf8"));
} catch (e) {
  fail(`${join(project, "package.json")} could not be read as JSON: ${e.message}`);
}
const main = resolve(project, manifest.main ?? "src/policy.js");
const require = createRequire(join(project, "package.json"));
let glue;
try {
  glue = require.resolve("waymark-sdk/component");
} catch {
  fail(`waymark-sdk is not installed in ${project}: run \`npm install\` there (its package.json must depend on waymark-sdk)`);
}

const work = await mkdtemp(join(tmpdir(), "waymark-js-build-"));
try {
  const entry = join(work, "entry.js");
  await writeFile(
    entry,
    [
      `import * as host from ${JSON.stringify(HOST_IMPORT)};`,
      `import { exportPolicy } from ${JSON.stringify(glue)};`,
      `import definition from ${JSON.stringify(main)};`,
      `if (!definition || typeof definition.eligibility !== "function") {`,
      `  throw new Error(${JSON.stringify(`${manifest.main ?? "src/policy.js"} must export default definePolicy({ ... })`)});`,
      `}`,
      `export const policy = exportPolicy(definition, host);`,
      "",
    ].join("\n"),
  );
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const bundle = await rolldown({
    input: entry,
    platform: "neutral",
    cwd: project,
    external: (id) => id.startsWith("waymark:"),
    plugins: [
      {
        name: "no-node-builtins",
        resolveId(id, importer) {
          if (builtins.has(id) || id.startsWith("node:")) {
            throw new Error(
              `${importer ?? "the plugin"} imports ${id}, a Node.js module: the sandbox has no files, network, processes or environment, so a plugin may import only its own modules and plain JavaScript packages`,
            );
          }
          return null;
        },
      },
    ],
    logLevel: "warn",
  });
  const bundled = join(work, "plugin.js");
  await bundle.write({ file: bundled, format: "esm", codeSplitting: false });
  await bundle.close();
  const { component } = await componentize({
    sourcePath: bundled,
    witPath: wit,
    worldName: "council-policy",
    disableFeatures: DISABLED_FEATURES,
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, component);
} catch (e) {
  fail(`could not build ${project}: ${e.message ?? e}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
