// A self-signed certificate for 127.0.0.1 and localhost, made at run time
// with openssl (nothing is checked in). Undefined where openssl is missing.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./transports.js";

export interface TestCert {
  key: Buffer;
  cert: Buffer;
}

let made: TestCert | null | undefined;

export function testCert(): TestCert | undefined {
  if (made !== undefined) return made ?? undefined;
  const d = tempDir("omq-tls-");
  try {
    const key = join(d.dir, "key.pem");
    const cert = join(d.dir, "cert.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
    ], { stdio: "pipe", timeout: 20_000 });
    made = { key: readFileSync(key), cert: readFileSync(cert) };
  } catch (err) {
    console.warn(`wss tests: no certificate (openssl failed or is missing: ${(err as Error).message.split("\n")[0]}); wss cases are skipped`);
    made = null;
  } finally {
    d.remove();
  }
  return made ?? undefined;
}
