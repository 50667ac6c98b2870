// The package as another project sees it: after `npm ci` (which builds via
// `prepare`), `import ... from "omq"` and `require("omq")` both work from a
// project that depends on omq by path.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(join(tmpdir(), "omq-consumer-"));
mkdirSync(join(dir, "node_modules"));
symlinkSync(root, join(dir, "node_modules", "omq"), "dir");
writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies: { omq: `file:${root}` } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 15000 });
}

describe("the package from another project", () => {
  it("import { socket } from 'omq' works from plain Node, with types beside it", () => {
    const out = node([
      "--input-type=module",
      "-e",
      `import { socket, version, capability, context, Push, Pull } from "omq";
       context.blocky = false;
       const pull = socket("PULL"); await pull.bind("inproc://pkg");
       const push = new Push(); push.connect("inproc://pkg");
       await push.send("ok"); const [m] = await pull.receive();
       console.log(String(m), version, typeof capability.ipc, pull instanceof Pull);
       push.close(); pull.close();`,
    ]);
    expect(out.trim()).toBe("ok 4.3.5 boolean true");
    const pkg = JSON.parse(node(["-e", "process.stdout.write(JSON.stringify(require('omq/package.json')))"]));
    expect(pkg.exports["."].types).toBe("./dist/index.d.ts");
  });

  it("require('omq') works too (Node 20.19+ can require an ES module)", () => {
    const out = node(["-e", `const omq = require("omq"); const s = omq.socket("pub"); console.log(s.type, omq.version); s.close();`]);
    expect(out.trim()).toBe("1 4.3.5");
  });
});
