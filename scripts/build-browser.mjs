// Bundles the browser entry (browser.ts) into dist/browser/omq.js, one ESM
// file with no Node built-ins: Buffer and Node's timer and process members
// come from scripts/browser-shims.js, `node:buffer` from the buffer package.
// Any other `node:` import is a build error, so none can slip in.
import { build } from "esbuild";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist/browser/omq.js");

const nodeBuffer = {
  name: "node-buffer",
  setup(b) {
    b.onResolve({ filter: /^node:buffer$/ }, () => ({ path: "node:buffer", namespace: "shim" }));
    b.onLoad({ filter: /.*/, namespace: "shim" }, () => ({
      contents: 'import { Buffer, kMaxLength } from "buffer"; export { Buffer }; export const constants = { MAX_LENGTH: kMaxLength };',
      resolveDir: root,
    }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} in the browser bundle (imported by ${args.importer})` }] }));
  },
};

await build({
  entryPoints: [join(root, "browser.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile,
  inject: [join(root, "scripts/browser-shims.js")],
  plugins: [nodeBuffer],
  logLevel: "warning",
});
const size = statSync(outfile).size;
const gz = gzipSync(readFileSync(outfile)).length;
console.log(`dist/browser/omq.js: ${(size / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzipped`);
