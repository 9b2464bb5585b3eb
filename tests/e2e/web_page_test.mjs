#!/usr/bin/env node
// End-to-end test of the web page (net/edge/web/) in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core, which never downloads a browser).
//
//   node tests/e2e/web_page_test.mjs [path/to/aragora] [artifact dir]
//
// Starts `aragora serve` with tokens, mock agents slowed to 120 ms a call and a fresh data dir,
// behind a small TCP proxy in this process so the test can cut the page's WebSocket on the wire.
// Then, in the page: the flat error body of a refused create is shown (no token, then a bad agent
// spec); a full-protocol debate runs live to its verdict, with every proposal, critique, revision,
// vote and the judge shown once per seq, by round and agent, the receipt checked and the
// leaderboard refreshed; the same debate reopens from the recent list (stored record); a second
// debate has its WebSocket cut mid-debate, reconnects refused for a while, then every frame of the
// resumed connection sent twice and one event of it lost: the page must back off, resume with
// after_seq, ignore the repeats, ask again for what it lost, show each event exactly once and still
// reach the verdict. Screenshots land in the artifact dir
// (default build/test-artifacts): web_page.png, web_page_narrow.png, web_page_resumed.png.
// Exit 0 when every check passed; the last line says "N passed, M failed".

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const bin = path.resolve(process.argv[2] || path.join(root, "build/bin/aragora"));
const artifacts = path.resolve(process.argv[3] || path.join(root, "build/test-artifacts"));
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const started = Date.now();

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (e) {
  console.error(`web_page_test: cannot load playwright-core (${e.message}).\n` +
    "Run scripts/setup (it runs `npm ci` in tests/e2e) or `npm ci --prefix tests/e2e`.");
  process.exit(1);
}
for (const [what, p] of [["aragora", bin], ["chromium", chromiumPath]]) {
  if (!fs.existsSync(p)) {
    console.error(`web_page_test: no ${what} at ${p}`);
    process.exit(1);
  }
}

// -- reporting -----------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log(`ok ${passed + failed} - ${what}`);
  } else {
    failed++;
    console.log(`not ok ${passed + failed} - ${what}${detail === undefined ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`}`);
  }
  return ok;
}
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// -- the server ----------------------------------------------------------------------------------

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aragora-web-e2e-"));
const TOKEN = "web-e2e-token-0123456789abcdef";
const tokenFile = path.join(tmp, "tokens");
fs.writeFileSync(tokenFile, `web write ${TOKEN}\n`, { mode: 0o600 });
const config = path.join(tmp, "aragora.yaml");
fs.writeFileSync(config, "mock:\n  latency_ms: 120\n");
const apiPort = await freePort();
const wsPort = await freePort();
const serverLog = [];
const server = spawn(bin, ["--config", config, "serve", "--port", String(apiPort), "--ws-port", String(wsPort),
  "--data-dir", path.join(tmp, "data"), "--token-file", tokenFile], { stdio: ["ignore", "pipe", "pipe"] });
server.stdout.on("data", (d) => serverLog.push(d.toString()));
server.stderr.on("data", (d) => serverLog.push(d.toString()));
const serverExit = new Promise((resolve) => server.on("exit", (code, signal) => resolve({ code, signal })));

const apiBase = `http://127.0.0.1:${apiPort}`;
async function http(p, opts = {}) {
  const res = await fetch(apiBase + p, { ...opts, headers: { Authorization: `Bearer ${TOKEN}`, ...(opts.headers || {}) } });
  return { status: res.status, body: await res.json().catch(() => null) };
}
async function waitHealthy() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${apiBase}/healthz`)).ok) return true;
    } catch { /* not yet */ }
    await sleep(50);
  }
  return false;
}

// -- a TCP proxy between the page and the server: cuts, refuses and doubles WebSocket traffic ----

/** Splits WebSocket frames off `buf`: [frames, rest]. Each frame: {raw, opcode, fin, rsv1, text}. */
function frames(buf) {
  const out = [];
  for (;;) {
    if (buf.length < 2) break;
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) break;
      len = buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (buf.length < 10) break;
      len = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    const masked = (buf[1] & 0x80) !== 0;
    const mask = masked ? buf.subarray(off, off + 4) : null;
    if (masked) off += 4;
    if (buf.length < off + len) break;
    const payload = Buffer.from(buf.subarray(off, off + len));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    out.push({ raw: buf.subarray(0, off + len), opcode: buf[0] & 0x0f, fin: (buf[0] & 0x80) !== 0,
      rsv1: (buf[0] & 0x40) !== 0, text: payload.toString("utf8") });
    buf = buf.subarray(off + len);
  }
  return [out, buf];
}

const proxy = {
  port: 0,
  server: null,
  pairs: new Set(),
  refuseWs: false,    // new WebSocket connections are reset at once
  doubleWs: false,    // new WebSocket connections get every server text frame twice
  dropNth: 0,         // ... and lose their Nth debate event (a gap the page must repair)
  dropped: null,      // the seq of the event lost
  refused: 0,
  doubled: 0,
  sent: [],           // what the page sent on its WebSockets: {conn, url, text}
  wsUrls: [],         // the upgrade request line of every WebSocket connection
  wsCount: 0,
};

function startProxy() {
  proxy.server = net.createServer((client) => {
    const pair = { client, upstream: null, ws: false, double: false, conn: 0, up: Buffer.alloc(0), down: Buffer.alloc(0), shaken: false, events: 0 };
    let first = true;
    client.on("error", () => {});
    client.on("data", (chunk) => {
      if (first) {
        first = false;
        const line = chunk.toString("latin1").split("\r\n", 1)[0];
        pair.ws = /^GET \/ws[ ?]/.test(line);
        if (pair.ws && proxy.refuseWs) {
          proxy.refused++;
          client.destroy();
          return;
        }
        if (pair.ws) {
          pair.conn = ++proxy.wsCount;
          pair.double = proxy.doubleWs;
          proxy.wsUrls.push(line.split(" ")[1]);
        }
        pair.upstream = net.connect(apiPort, "127.0.0.1");
        pair.upstream.on("error", () => client.destroy());
        pair.upstream.on("close", () => client.destroy());
        pair.upstream.on("data", (d) => fromServer(pair, d));
        proxy.pairs.add(pair);
        client.on("close", () => { pair.upstream.destroy(); proxy.pairs.delete(pair); });
      }
      if (!pair.upstream) return;
      if (pair.ws) {
        // Recorded, forwarded unchanged.
        pair.up = Buffer.concat([pair.up, chunk]);
        if (!pair.shakenUp) {
          const i = pair.up.indexOf("\r\n\r\n");
          if (i >= 0) { pair.up = pair.up.subarray(i + 4); pair.shakenUp = true; }
        }
        if (pair.shakenUp) {
          const [got, rest] = frames(pair.up);
          pair.up = rest;
          for (const f of got) if (f.opcode === 1) proxy.sent.push({ conn: pair.conn, text: f.text });
        }
      }
      pair.upstream.write(chunk);
    });
  });
  return new Promise((resolve) => proxy.server.listen(0, "127.0.0.1", () => {
    proxy.port = proxy.server.address().port;
    resolve();
  }));
}

function fromServer(pair, chunk) {
  if (!pair.ws || !pair.double) return pair.client.write(chunk);
  pair.down = Buffer.concat([pair.down, chunk]);
  if (!pair.shaken) {
    const i = pair.down.indexOf("\r\n\r\n");
    if (i < 0) return;
    pair.client.write(pair.down.subarray(0, i + 4));
    pair.down = pair.down.subarray(i + 4);
    pair.shaken = true;
  }
  const [got, rest] = frames(pair.down);
  pair.down = rest;
  for (const f of got) {
    if (f.opcode === 1 && proxy.dropNth && proxy.dropped === null) {
      const seq = /"seq":(\d+)/.exec(f.text);
      if (seq && ++pair.events === proxy.dropNth) {
        proxy.dropped = Number(seq[1]);
        continue;
      }
    }
    pair.client.write(f.raw);
    // A whole, uncompressed text frame again: what an at-least-once path could deliver.
    if (f.opcode === 1 && f.fin && !f.rsv1) {
      pair.client.write(f.raw);
      proxy.doubled++;
    }
  }
}

/** Cuts every WebSocket connection through the proxy (both TCP legs, at once). */
function cutWebSockets() {
  let n = 0;
  for (const p of proxy.pairs) {
    if (!p.ws) continue;
    p.client.destroy();
    p.upstream.destroy();
    n++;
  }
  return n;
}

// -- the page ------------------------------------------------------------------------------------

const MESSAGE_KINDS = ["proposal", "revision", "critique", "vote", "judge"];
const MESSAGE_TYPES = new Set(["agent_message", "critique", "vote"]);
const AGENTS = ["alice", "bob", "carol"];
const AGENT_SPECS = "mock:supportive:alice,mock:critical:bob,mock:contrarian:carol";

/** What the page shows of the debate: every element with a seq, and every message. */
async function shown(page) {
  return page.evaluate((kinds) => {
    const all = [...document.querySelectorAll("#timeline [data-seq]")].map((e) => Number(e.dataset.seq));
    const messages = [...document.querySelectorAll("#timeline li.msg")]
      .filter((e) => kinds.includes(e.dataset.kind))
      .map((e) => ({ seq: Number(e.dataset.seq), kind: e.dataset.kind, agent: e.dataset.agent, round: Number(e.dataset.round),
        group: e.closest(".group")?.dataset.kind, sectionRound: Number(e.closest("section.round")?.dataset.round) }));
    const rounds = [...document.querySelectorAll("#timeline section.round")].map((s) => ({
      round: Number(s.dataset.round), heading: s.querySelector("h3")?.textContent || "" }));
    const info = document.getElementById("stream-info").dataset;
    return { all, messages, rounds, lastSeq: Number(info.lastSeq), reconnects: Number(info.reconnects), repeats: Number(info.repeats),
      consensus: document.querySelectorAll("#timeline .check.consensus").length };
  }, MESSAGE_KINDS);
}

async function serverEvents(id) {
  const r = await http(`/api/v1/debates/${id}/events?since=0&limit=500`);
  return r.body?.events || [];
}

/** The page shows each of the server's events once: same seqs, no repeats, messages by round and agent. */
async function checkTranscript(page, id, label) {
  const s = await shown(page);
  const events = await serverEvents(id);
  const end = events.find((e) => e.type === "debate_end");
  check(!!end && s.lastSeq === end.seq, `${label}: the page saw every event up to debate_end`, { lastSeq: s.lastSeq, end: end?.seq });
  const unique = new Set(s.all);
  check(unique.size === s.all.length, `${label}: no event is shown twice`, s.all.filter((x, i) => s.all.indexOf(x) !== i));
  const want = events.filter((e) => MESSAGE_TYPES.has(e.type)).map((e) => e.seq);
  const got = s.messages.map((m) => m.seq).sort((a, b) => a - b);
  check(JSON.stringify(got) === JSON.stringify(want), `${label}: the messages shown are exactly the server's ${want.length} messages`,
    { missing: want.filter((x) => !got.includes(x)), extra: got.filter((x) => !want.includes(x)) });
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const wrong = s.messages.filter((m) => {
    const e = bySeq.get(m.seq);
    return !e || e.data.agent !== m.agent || e.data.round !== m.round || m.sectionRound !== m.round;
  });
  check(wrong.length === 0, `${label}: each message sits under its round with its agent`, wrong.slice(0, 3));
  const rounds = new Set(events.filter((e) => e.type === "round_start").map((e) => e.data.round));
  check(s.rounds.length === rounds.size && s.rounds.every((r) => /^Round \d+ of \d+$/.test(r.heading)),
    `${label}: one section per round (${rounds.size}), headed "Round N of M"`, s.rounds);
  const consensus = events.filter((e) => e.type === "consensus").length;
  check(s.consensus === consensus, `${label}: the consensus checks are shown (${consensus})`, s.consensus);
  return { s, events, end };
}

async function checkVerdict(page, id, end, label) {
  // The stored record's answer: a debate_end replayed from the store lacks it when there is no
  // winner (the live one has it), so the record is the reference.
  const record = (await http(`/api/v1/debates/${id}`)).body;
  const v = await page.evaluate(() => ({
    status: document.getElementById("verdict").dataset.status,
    verdict: document.getElementById("v-verdict").textContent,
    confidence: document.getElementById("v-confidence").textContent,
    winner: document.getElementById("v-winner").textContent,
    answer: document.getElementById("v-answer").textContent,
    badge: document.getElementById("debate-status").textContent,
  }));
  check(v.status === end.data.status && v.badge === end.data.status, `${label}: the verdict's status is debate_end's (${end.data.status})`, v);
  check(v.verdict === end.data.verdict.replaceAll("_", " "), `${label}: the verdict is shown (${v.verdict})`, v.verdict);
  check(v.confidence === `${Math.round(end.data.confidence * 100)}%`, `${label}: the confidence is shown (${v.confidence})`, v.confidence);
  const winner = end.data.winner || "none";
  check(v.winner === winner && (!end.data.winner || AGENTS.includes(v.winner)), `${label}: the winner is shown (${v.winner})`, v.winner);
  check(v.answer === (record.final_answer || "(no final answer)"), `${label}: the final answer is shown`,
    { shown: v.answer.slice(0, 80), record: record.final_answer.slice(0, 80) });
}

async function checkReceipt(page, id, label, source) {
  await page.waitForSelector('#receipt-check:not([data-result="pending"])', { timeout: 10000 });
  const r = await page.evaluate(() => ({
    result: document.getElementById("receipt-check").dataset.result,
    summary: document.getElementById("receipt-check").textContent,
    items: [...document.querySelectorAll("#receipt-checks li")].map((li) => ({ state: li.dataset.state, text: li.textContent })),
    download: document.getElementById("receipt-download").getAttribute("href") || "",
    file: document.getElementById("receipt-download").getAttribute("download") || "",
  }));
  const passedItems = r.items.filter((i) => i.state === "pass");
  const failedItems = r.items.filter((i) => i.state === "fail");
  check(r.result === "consistent" && failedItems.length === 0 && passedItems.length >= 7,
    `${label}: the receipt shows as checked (${passedItems.length} checks passed, none failed)`, { summary: r.summary, failed: failedItems });
  const served = (await http(`/api/v2/receipts/DR-${id}`)).body;
  const has = (words) => passedItems.some((i) => words.every((w) => i.text.includes(w)));
  check(has(["Digest recomputed", "equal to its sha256"]) && has(["Served copy", served.checksum.slice(0, 12)]),
    `${label}: the digest was recomputed in the browser and equals /api/v2/receipts' checksum ${served.checksum.slice(0, 12)}`, r.items.map((i) => i.text));
  check(has(["Transcript", source]) && has(["Final answer", "equal to final_answer_sha256"]),
    `${label}: the transcript and final answer were checked against ${source}`, r.items.map((i) => i.text));
  check(r.items.some((i) => i.state === "skip" && i.text.includes("Signature")),
    `${label}: the page says plainly that it did not check a signature`, r.items.map((i) => i.state + " " + i.text));
  check(r.download.startsWith("blob:") && r.file === `receipt-${id}.json`, `${label}: the receipt is offered as ${r.file}`, r);
}

async function waitFor(what, fn, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function startDebate(page, { question, agents, rounds, protocol, consensus }) {
  await page.fill("#question", question);
  await page.fill("#agents", agents);
  await page.fill("#rounds", String(rounds));
  await page.selectOption("#protocol", protocol);
  await page.selectOption("#consensus", consensus || "");
  await page.click("#start-button");
}

// -- the run -------------------------------------------------------------------------------------

let browser;
const pageErrors = [];
try {
  check(await waitHealthy(), `aragora serve answers /healthz on port ${apiPort}`, serverLog.join(""));
  await startProxy();
  const base = `http://127.0.0.1:${proxy.port}`;
  // playwright-core adds --headless and a fresh temporary --user-data-dir of its own.
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    // Refused requests and the cut WebSocket are expected; anything else is worth seeing.
    if (m.type() === "error" && !/Failed to load resource|WebSocket connection to/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  await page.goto(`${base}/`);
  check((await page.title()).includes("Aragora"), "the page loads at /");

  // 1. Errors from the flat {"error", "code"} body: no token, then a bad agent spec.
  await page.waitForSelector("#recent-error:not([hidden])");
  check((await page.textContent("#recent-error")).includes("AUTH_REQUIRED"), "without a token the recent list shows the server's AUTH_REQUIRED error");
  await startDebate(page, { question: "Should we adopt Kubernetes?", agents: AGENT_SPECS, rounds: 2, protocol: "full" });
  await page.waitForSelector("#start-error:not([hidden])");
  const noToken = await page.textContent("#start-error");
  check(/token is required/.test(noToken) && noToken.includes("[AUTH_REQUIRED, HTTP 401]"), "a refused create shows the error and its code", noToken);
  await page.click("#settings summary");
  await page.fill("#token", TOKEN);
  await page.click('#token-form button[type="submit"]');
  check(await page.evaluate(() => sessionStorage.getItem("aragora.token")) === TOKEN, "the token is kept in sessionStorage");
  await page.click("#settings summary");
  await page.waitForSelector("#recent-error", { state: "hidden" });
  await startDebate(page, { question: "Should we adopt Kubernetes?", agents: "mock:supportive:alice,mock:telepathic:zed", rounds: 2, protocol: "full" });
  await page.waitForFunction(() => /INVALID_VALUE/.test(document.getElementById("start-error").textContent));
  const badSpec = await page.textContent("#start-error");
  check(badSpec.includes("unknown mock style 'telepathic'") && badSpec.includes("[INVALID_VALUE, HTTP 400]"), "an unknown agent style shows the server's message and code", badSpec);

  // 2. A full-protocol debate, live to its verdict.
  const created = page.waitForResponse((r) => r.url().endsWith("/api/v1/debates") && r.request().method() === "POST");
  await startDebate(page, { question: "Should we adopt Kubernetes?", agents: AGENT_SPECS, rounds: 2, protocol: "full" });
  const first = await (await created).json();
  const id1 = first.debate_id;
  check(!!id1 && (await page.isHidden("#start-error")), `the debate starts (${id1})`);
  // Live: messages appear before the debate ends.
  await page.waitForSelector("#timeline li.msg[data-kind=proposal]", { timeout: 10000 });
  const early = await page.evaluate(() => document.getElementById("verdict").hidden);
  check(early, "proposals appear while the debate is still running (no verdict yet)");
  await page.waitForSelector("#verdict:not([hidden])", { timeout: 20000 });
  const wsLog1 = proxy.wsUrls.slice();
  check(wsLog1.length === 1 && wsLog1[0] === `/ws?debate_id=${id1}&token=${TOKEN}`, "the page follows it on /ws?debate_id=...&token=...", wsLog1);
  const d1 = await checkTranscript(page, id1, "debate 1");
  const kinds = new Set(d1.s.messages.map((m) => m.kind));
  check(["proposal", "critique", "revision", "vote", "judge"].every((k) => kinds.has(k)),
    "proposals, critiques, revisions, votes and the judge's decision all appear", [...kinds]);
  check(d1.s.messages.every((m) => AGENTS.includes(m.agent)), "every message names its agent (alice, bob or carol)");
  check(d1.s.reconnects === 0 && d1.s.repeats === 0, "an undisturbed stream needs no reconnect and brings no repeat", d1.s);
  await checkVerdict(page, id1, d1.end, "debate 1");
  await checkReceipt(page, id1, "debate 1", "the stream");
  const board = await waitFor("the leaderboard to list alice, bob and carol", () => page.evaluate((agents) => {
    const names = [...document.querySelectorAll("#leaderboard tbody tr")].map((tr) => tr.dataset.agent);
    return agents.every((a) => names.includes(a)) ? names : null;
  }, AGENTS));
  const lb = (await http("/api/v1/leaderboard")).body.rankings.map((a) => a.name);
  check(JSON.stringify(board) === JSON.stringify(lb.slice(0, board.length)), "the leaderboard, refreshed at debate_end, lists the agents in the server's order", { board, lb });
  await page.waitForSelector(`#recent button[data-id="${id1}"][aria-current="true"]`);
  check(true, "the debate is in the recent list, marked as the one open");
  fs.mkdirSync(artifacts, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, "web_page.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, "on a 390 px wide screen nothing overflows sideways", overflow);
  await page.screenshot({ path: path.join(artifacts, "web_page_narrow.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // 3. The same debate, reopened from the recent list: the stored record, checked the same way.
  await page.click(`#recent button[data-id="${id1}"]`);
  await page.waitForSelector("#verdict:not([hidden])");
  const record = await page.evaluate((kinds) => [...document.querySelectorAll("#timeline li.msg")].filter((e) => kinds.includes(e.dataset.kind)).length, MESSAGE_KINDS);
  check(record === d1.s.messages.length, `reopened from the list, the record shows the same ${record} messages`, { record, live: d1.s.messages.length });
  await checkReceipt(page, id1, "debate 1 reopened", "the stored record");

  // 4. A long debate whose WebSocket is cut on the wire mid-debate.
  const sentBefore = proxy.sent.length;
  const created2 = page.waitForResponse((r) => r.url().endsWith("/api/v1/debates") && r.request().method() === "POST");
  await startDebate(page, { question: "Should we rewrite the billing service in Rust?", agents: AGENT_SPECS, rounds: 10, protocol: "lite", consensus: "unanimous" });
  const id2 = (await (await created2).json()).debate_id;
  const cutAt = await waitFor("a dozen live events", async () => {
    const n = Number(await page.getAttribute("#stream-info", "data-last-seq"));
    return n >= 12 ? n : 0;
  });
  proxy.refuseWs = true;
  proxy.doubleWs = true;
  proxy.dropNth = 30;
  const cut = cutWebSockets();
  const lastAtCut = Number(await page.getAttribute("#stream-info", "data-last-seq"));
  const status = (await http(`/api/v1/debates/${id2}`)).body;
  check(cut === 1 && status.status === "running", `the WebSocket is cut mid-debate (after event ${lastAtCut}, debate still running)`, { cut, status: status.status });
  await page.waitForSelector('#conn[data-state="reconnecting"]', { timeout: 5000 });
  check(true, "the page notices and says it is reconnecting");
  await waitFor("a refused reconnect", () => proxy.refused >= 1, 5000);
  await sleep(400);
  proxy.refuseWs = false;
  await page.waitForSelector("#verdict:not([hidden])", { timeout: 20000 });
  const d2 = await checkTranscript(page, id2, "debate 2");
  check(proxy.refused >= 1 && d2.s.reconnects >= 2, `it backed off and retried (${proxy.refused} refused, ${d2.s.reconnects} reconnects)`, { refused: proxy.refused, reconnects: d2.s.reconnects });
  const resumes = proxy.sent.slice(sentBefore).map((m) => { try { return JSON.parse(m.text); } catch { return {}; } })
    .filter((m) => m.type === "subscribe");
  check(resumes.length >= 1 && resumes[0].debate_id === id2 && resumes[0].after_seq === lastAtCut,
    `it resumed with {"type":"subscribe","debate_id":...,"after_seq":${lastAtCut}}`, resumes);
  check(proxy.dropped !== null && resumes.length === 2 && resumes[1].after_seq === proxy.dropped - 1,
    `a frame lost on the new connection (seq ${proxy.dropped}) was asked for again with after_seq ${proxy.dropped - 1}`, { dropped: proxy.dropped, resumes });
  check(d2.s.lastSeq > lastAtCut + 10, `events after the cut arrived (${lastAtCut + 1}..${d2.s.lastSeq})`, d2.s.lastSeq);
  check(proxy.doubled > 10 && d2.s.repeats > 10, `every frame of the resumed connection came twice and the page ignored the repeats (${d2.s.repeats})`,
    { doubled: proxy.doubled, repeats: d2.s.repeats });
  await checkVerdict(page, id2, d2.end, "debate 2");
  await checkReceipt(page, id2, "debate 2", "the stream");
  const conn = await page.textContent("#conn");
  check(/Debate ended/.test(conn), "the connection badge ends with 'Debate ended'", conn);
  const notes = await page.$$eval('#timeline .stream-note[data-kind="resume"]', (ns) => ns.map((n) => n.textContent));
  check(notes.length === 1 && notes[0].includes(`Connection lost after event ${lastAtCut}.`) && notes[0].includes("resumed from there"),
    "the timeline marks where the connection was lost and says it resumed from there", notes);
  await page.evaluate(() => document.querySelector("#timeline .stream-note").scrollIntoView({ block: "center" }));
  await page.screenshot({ path: path.join(artifacts, "web_page_resumed.png") });

  check(pageErrors.length === 0, "no script error in the page", pageErrors);
} catch (e) {
  check(false, "the run finished", e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  if (proxy.server) proxy.server.close();
  for (const p of proxy.pairs) { p.client.destroy(); p.upstream?.destroy(); }
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), 10000);
  const exit = await serverExit;
  clearTimeout(timer);
  check(exit.code === 0, "aragora serve stops cleanly on SIGTERM", exit);
  if (failed) {
    console.log(`server output:\n${serverLog.join("").slice(-4000)}`);
    console.log(`kept ${tmp} for a look`);
  } else {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`screenshots in ${artifacts}; ${elapsed()}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
