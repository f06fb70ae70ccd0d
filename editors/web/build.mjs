// Build the page's script: src/*.js and CodeMirror 6 -> ../../mgdsl/serve/static/editor.js,
// one file with no imports, so the package serves it with no network and CI needs no node.
// The first line records a hash of package-lock.json, build.mjs and src/ (see
// tests/test_serve_bundle.py): a changed source without a rebuild fails the tests.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";

export function sourceHash() {
  const h = createHash("sha256");
  const files = ["package-lock.json", "build.mjs",
                 ...readdirSync("src").sort().map((f) => `src/${f}`)];
  for (const f of files) {
    h.update(f + "\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

const out = "../../mgdsl/serve/static/editor.js";
const result = await build({
  entryPoints: ["src/main.js"], bundle: true, minify: true, format: "iife",
  target: ["es2020"], write: false, legalComments: "none", charset: "utf8",
});
const banner = `/* mgdsl serve editor bundle; source-sha256: ${sourceHash()}; ` +
  "CodeMirror 6 (MIT, https://codemirror.net); rebuild: cd editors/web && npm ci && npm run build */\n";
writeFileSync(out, banner + result.outputFiles[0].text);
console.log(`wrote ${out}`);
