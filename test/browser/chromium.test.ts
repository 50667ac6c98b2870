// omq's browser build in a real headless Chromium (Debian's chromium, driven
// by playwright-core): a page served from localhost connects a DEALER and a
// SUB to a Node omq ROUTER and PUB over ws://, exchanges multipart, binary
// and 1 MiB messages both ways, survives both servers restarting (the page's
// sockets reconnect), and reports what it received; the test asserts on it.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as omq from "../../index.js";
import { eventsSeen } from "../helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const root = join(fileURLToPath(new URL(".", import.meta.url)), "../..");
const bundle = join(root, "dist/browser/omq.js");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser test: no Chromium at ${CHROMIUM} (install Debian's chromium; .ci/run does); skipped`);

// CI installs chromium (.ci/run): there, its absence is a failure, not a skip
const runBrowser = haveChromium || process.env.CI === "true";

const PAGE = `<!doctype html><meta charset="utf-8"><title>omq browser test</title>
<script type="module">
import * as omq from "/omq.js";
window.omqLoaded = true;
const big = (n, seed) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * seed) & 255; return b; };
const sum = (b) => { let s = 0; for (let i = 0; i < b.length; i++) s = (s * 31 + b[i]) >>> 0; return s; };
let dealer, sub;
window.start = (routerUrl, pubUrl) => {
  dealer = new omq.Dealer({ routingId: "page", receiveTimeout: 10000, reconnectInterval: 50 });
  sub = new omq.Subscriber({ receiveTimeout: 10000, reconnectInterval: 50 });
  sub.subscribe("news");
  dealer.connect(routerUrl);
  sub.connect(pubUrl);
  return omq.capability.ws === true && omq.capability.tcp === false && omq.capability.curve === false;
};
window.request = async (label) => {
  await dealer.send([label, new Uint8Array([0, 1, 2, 255]), "", big(1 << 20, 7)]);
  const reply = await dealer.receive();
  return { parts: reply.length, text: new TextDecoder().decode(reply[0]), bytes: Array.from(reply[1]), bigLength: reply[2].length, bigSum: sum(reply[2]) };
};
// the publisher repeats until heard: earlier copies may still be queued, so wait for this body
window.news = async (want) => {
  for (;;) {
    const [topic, body] = await sub.receive();
    const got = new TextDecoder().decode(topic) + " " + new TextDecoder().decode(body);
    if (new TextDecoder().decode(body) === want || !got.startsWith("news ")) return got;
  }
};
window.stop = () => { dealer.close(); sub.close(); return true; };
let pull;
window.pullConnect = (url) => { pull = new omq.Pull({ receiveHighWaterMark: 10, receiveTimeout: 5000 }); pull.connect(url); return true; };
window.pullAll = async (n, delayMs) => {
  await new Promise((r) => setTimeout(r, delayMs));
  let got = 0;
  try { while (got < n) { await pull.receive(); got++; } } catch {}
  pull.close();
  return got;
};
</script>`;

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s = (s * 31 + b[i]!) >>> 0;
  return s;
}
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * seed) & 255;
  return b;
}

describe.runIf(runBrowser)("omq in headless Chromium", () => {
  let http: Server;
  let pageUrl = "";
  type Browser = Awaited<ReturnType<typeof import("playwright-core")["chromium"]["launch"]>>;
  let browser: Browser | undefined;
  const socks: omq.Socket[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI: no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
    // the bundle of the sources under test
    execFileSync(process.execPath, [join(root, "scripts/build-browser.mjs")], { stdio: "pipe", timeout: 60_000 });
    const js = readFileSync(bundle);
    http = createServer((req, res) => {
      if (req.url === "/omq.js") res.writeHead(200, { "Content-Type": "text/javascript" }).end(js);
      else if (req.url === "/") res.writeHead(200, { "Content-Type": "text/html" }).end(PAGE);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    pageUrl = `http://localhost:${(http.address() as { port: number }).port}/`;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);

  afterAll(async () => {
    for (const s of socks) if (!s.closed) s.close();
    await browser?.close();
    if (http !== undefined) await new Promise((r) => http.close(r));
  }, 30_000);

  test("a page's DEALER and SUB talk to Node's ROUTER and PUB, and reconnect after both restart", async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pageUrl);
    await page.waitForFunction(() => (window as unknown as { omqLoaded?: boolean }).omqLoaded === true, undefined, { timeout: 10_000 });

    const serve = async (routerAt: string, pubAt: string) => {
      const router = new omq.Router({ linger: 0, receiveTimeout: 10_000 });
      const pub = new omq.Publisher({ linger: 0 });
      socks.push(router, pub);
      await router.bind(routerAt);
      await pub.bind(pubAt);
      return { router, pub };
    };
    /** One request from the page, answered; what each side got. */
    const exchange = async (router: omq.Router, label: string) => {
      const asked = page.evaluate((l) => (window as unknown as { request(l: string): Promise<unknown> }).request(l), label);
      const [id, text, bin, empty, big] = await router.receive();
      expect(String(id)).toBe("page");
      expect(String(text)).toBe(label);
      expect([...bin!]).toEqual([0, 1, 2, 255]);
      expect(empty!.length).toBe(0);
      expect(big!.length).toBe(1 << 20);
      expect(checksum(big!)).toBe(checksum(pattern(1 << 20, 7)));
      const reply = pattern(1 << 20, 13);
      await router.send([id!, `re:${label}`, Buffer.from([9, 8, 7]), reply]);
      const got = await asked;
      expect(got).toEqual({ parts: 3, text: `re:${label}`, bytes: [9, 8, 7], bigLength: 1 << 20, bigSum: checksum(reply) });
    };
    /** Publish until the page's SUB has one (no subscription is acknowledged). */
    const publish = async (pub: omq.Publisher, body: string) => {
      const heard = page.evaluate((b) => (window as unknown as { news(b: string): Promise<string> }).news(b), body);
      let done = false;
      void heard.finally(() => (done = true));
      for (let i = 0; i < 200 && !done; i++) {
        await pub.send(["sport", "not subscribed"]);
        await pub.send(["news", body]);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await heard).toBe(`news ${body}`);
    };

    let { router, pub } = await serve("ws://127.0.0.1:*/router", "ws://127.0.0.1:*/pub");
    const routerAt = router.lastEndpoint!;
    const pubAt = pub.lastEndpoint!;
    expect(await page.evaluate(([r, p]) => (window as unknown as { start(r: string, p: string): boolean }).start(r!, p!), [routerAt, pubAt])).toBe(true);
    await exchange(router, "first");
    await publish(pub, "n1");

    // both servers go away and come back on the same addresses
    router.close();
    pub.close();
    await new Promise((r) => setTimeout(r, 300));
    ({ router, pub } = await serve(routerAt, pubAt));
    await eventsSeen(router, "handshake", 1);
    await exchange(router, "after restart");
    await publish(pub, "n2");

    expect(await page.evaluate(() => (window as unknown as { stop(): boolean }).stop())).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test("messages a server sent before closing gracefully all reach a page that reads them later", async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(pageUrl);
      await page.waitForFunction(() => (window as unknown as { omqLoaded?: boolean }).omqLoaded === true, undefined, { timeout: 10_000 });
      const push = new omq.Push({ linger: 20_000, sendHighWaterMark: 100_000 });
      socks.push(push);
      await push.bind("ws://127.0.0.1:*/drain");
      await page.evaluate((u) => (window as unknown as { pullConnect(u: string): boolean }).pullConnect(u), push.lastEndpoint!);
      await eventsSeen(push, "handshake", 1);
      const N = 20_000;
      const reading = page.evaluate((n) => (window as unknown as { pullAll(n: number, d: number): Promise<number> }).pullAll(n, 1500), N);
      const body = Buffer.alloc(1024, 1);
      for (let i = 0; i < N; i++) await push.send(body);
      push.close(); // graceful: the connection ends once everything is written
      expect(await reading).toBe(N);
    } finally {
      await page.close();
    }
  }, 60_000);

  test("examples/browser: the live page shows the publisher's updates and gets a reply to its ping", async () => {
    const example = "../../examples/browser/server.js"; // plain JS: imported by a name tsc does not follow
    const { start } = (await import(example)) as { start(port: number): Promise<{ url: string; close(): void }> };
    const server = await start(0);
    const page = await browser!.newPage();
    try {
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(server.url);
      await page.waitForFunction(() => /update #\d+/.test(document.getElementById("stats")?.textContent ?? ""), undefined, { timeout: 15_000 });
      const first = Number(/update #(\d+)/.exec((await page.textContent("#stats")) ?? "")![1]);
      // live: a later update replaces it
      await page.waitForFunction((n) => Number(/update #(\d+)/.exec(document.getElementById("stats")!.textContent!)?.[1]) > n, first, { timeout: 15_000 });
      await page.click("#ping");
      await page.waitForFunction(() => (document.getElementById("reply")?.textContent ?? "").startsWith("pong: hello"), undefined, { timeout: 15_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      server.close();
    }
  }, 60_000);
});
