"use strict";
// The Aragora web page: start a debate, follow it live over /ws (replay from seq 1, then live;
// resume by seq after a dropped connection), show the verdict, check the receipt and keep the
// leaderboard and the recent debates current. Plain DOM; every server string is inserted with
// textContent, never as HTML. ASCII only: other characters are written as \u escapes, since
// cmake/embed_assets.cmake cannot embed a byte above 0x7f (it becomes a narrowing error).
(() => {
  // -- helpers -------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /** el("li", {className: "x", text: "...", attrs: {...}, data: {...}}, child, "text", ...) */
  function el(tag, opts, ...kids) {
    const node = document.createElement(tag);
    if (opts) {
      if (opts.className) node.className = opts.className;
      if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
      if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) node.setAttribute(k, String(v));
      if (opts.data) for (const [k, v] of Object.entries(opts.data)) node.dataset[k] = String(v);
      if (opts.hue !== undefined) node.style.setProperty("--hue", String(opts.hue));
    }
    for (const k of kids) {
      if (k === null || k === undefined || k === false) continue;
      node.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return node;
  }

  function setText(node, text) { node.textContent = text === null || text === undefined ? "" : String(text); }

  const isNum = (x) => typeof x === "number" && Number.isFinite(x);
  const str = (x) => (typeof x === "string" ? x : x === null || x === undefined ? "" : String(x));
  const pct = (x) => (isNum(x) ? `${Math.round(x * 100)}%` : "\u2013");
  const fixed = (x, d) => (isNum(x) ? x.toFixed(d) : "\u2013");

  function when(iso) {
    if (!iso) return "";
    const t = new Date(iso);
    if (Number.isNaN(t.getTime())) return str(iso);
    const sameDay = t.toDateString() === new Date().toDateString();
    return sameDay ? t.toLocaleTimeString() : t.toLocaleString();
  }

  function duration(s) {
    if (!isNum(s)) return "\u2013";
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    if (s < 120) return `${s.toFixed(1)} s`;
    return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }

  /** One colour per agent name on this page: well-apart hues in the order agents are first
   *  seen, then hashed ones. */
  const PALETTE = [355, 215, 135, 30, 280, 180, 320, 245, 100, 55];
  const hues = new Map();
  function hueOf(name) {
    const n = str(name);
    let h = hues.get(n);
    if (h === undefined) {
      if (hues.size < PALETTE.length) h = PALETTE[hues.size];
      else { h = 0; for (const c of n) h = (h * 31 + c.codePointAt(0)) % 360; }
      hues.set(n, h);
    }
    return h;
  }

  // -- SHA-256 (FIPS 180-4), in plain JS: crypto.subtle exists only on secure origins ----------

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function sha256Hex(bytes) {
    const n = bytes.length;
    const padded = new Uint8Array((((n + 8) >> 6) + 1) << 6);
    padded.set(bytes);
    padded[n] = 0x80;
    const view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor((n * 8) / 0x100000000));
    view.setUint32(padded.length - 4, (n * 8) >>> 0);
    const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const w = new Uint32Array(64);
    const ror = (x, r) => (x >>> r) | (x << (32 - r));
    for (let off = 0; off < padded.length; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
      for (let i = 16; i < 64; i++) {
        const a = w[i - 15], b = w[i - 2];
        const s0 = ror(a, 7) ^ ror(a, 18) ^ (a >>> 3);
        const s1 = ror(b, 17) ^ ror(b, 19) ^ (b >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 64; i++) {
        const t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    return Array.from(h, (x) => x.toString(16).padStart(8, "0")).join("");
  }

  const utf8 = new TextEncoder();
  const sha256OfText = (s) => sha256Hex(utf8.encode(s));

  // -- the receipt's canonical encoding (docs/receipt.md, "Canonical encoding (v2)") ---------

  class NotCanonical extends Error {}

  /** The bytes a v2 receipt's `sha256` covers, from its JSON mapping (GET .../receipt). */
  function canonicalReceipt(r) {
    const chunks = [];
    let total = 0;
    const field = (name, value) => {
      const v = utf8.encode(value);
      for (const part of [utf8.encode(`${name}=${v.length}:`), v, utf8.encode("\n")]) {
        chunks.push(part);
        total += part.length;
      }
    };
    const text = (name, x) => {
      if (x !== undefined && x !== null && typeof x !== "string") throw new NotCanonical(`${name} is not a string`);
      field(name, x || "");
    };
    const enumName = (name, x) => {
      if (typeof x !== "string" || !/^[a-z_]+$/.test(x)) throw new NotCanonical(`${name} is not an enum name`);
      field(name, x);
    };
    const uint = (name, x) => {
      const v = x === undefined ? 0 : x;
      if (!Number.isSafeInteger(v) || v < 0) throw new NotCanonical(`${name} is not an unsigned integer`);
      field(name, String(v));
    };
    const dbl = (name, x) => {
      const v = x === undefined ? 0 : x;
      if (!isNum(v)) throw new NotCanonical(`${name} is not a finite number`);
      if (Object.is(v, -0) || (Math.abs(v) < 4294967296 && Math.round(v * 1e6) / 1e6 !== v))
        throw new NotCanonical(`${name} has more than six decimals`);
      field(name, v.toFixed(6));
    };
    const bool = (name, x) => {
      if (x !== undefined && typeof x !== "boolean") throw new NotCanonical(`${name} is not a boolean`);
      field(name, x ? "1" : "0");
    };
    const micros = (name, x) => {
      if (x === undefined || x === null) return field(name, "0");
      const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/.exec(str(x));
      if (!m) throw new NotCanonical(`${name} is not an RFC 3339 UTC time`);
      const secs = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
      const nanos = BigInt((m[7] || "").padEnd(9, "0"));
      if (nanos % 1000n !== 0n) throw new NotCanonical(`${name} is not a whole microsecond`);
      field(name, String(BigInt(secs) * 1000000n + nanos / 1000n));
    };
    const list = (name, x) => {
      const a = x === undefined ? [] : x;
      if (!Array.isArray(a)) throw new NotCanonical(`${name} is not a list`);
      uint(name, a.length);
      return a;
    };
    field("receipt", "v2");
    text("algorithm", r.algorithm);
    text("receipt_id", r.receipt_id);
    text("debate_id", r.debate_id);
    text("question", r.question);
    enumName("protocol", r.protocol);
    enumName("consensus", r.consensus);
    enumName("status", r.status);
    enumName("verdict", r.verdict);
    dbl("confidence", r.confidence);
    bool("consensus_reached", r.consensus_reached);
    text("winner", r.winner);
    text("final_answer_sha256", r.final_answer_sha256);
    text("result_sha256", r.result_sha256);
    uint("rounds_used", r.rounds_used);
    uint("agent_calls", r.agent_calls);
    for (const a of list("agents", r.agents)) {
      text("agent.name", a.name);
      text("agent.provider", a.provider);
      uint("agent.calls", a.calls);
      uint("agent.failures", a.failures);
      bool("agent.contributing", a.contributing);
    }
    for (const v of list("votes", r.votes)) {
      text("vote.agent", v.agent);
      text("vote.choice", v.choice);
      dbl("vote.confidence", v.confidence);
      text("vote.reasoning", v.reasoning);
    }
    for (const m of list("messages", r.messages)) {
      uint("message.round", m.round);
      enumName("message.phase", m.phase);
      text("message.agent", m.agent);
      text("message.target", m.target);
      text("message.sha256", m.sha256);
    }
    micros("created_at_us", r.created_at);
    micros("completed_at_us", r.completed_at);
    const sig = r.signature || {};
    text("signature.algorithm", sig.algorithm);
    text("signature.key_id", sig.key_id);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  // -- the API ---------------------------------------------------------------------------------

  const TOKEN_KEY = "aragora.token";
  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch { return ""; }
  }

  class ApiError extends Error {
    constructor(code, message, status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  /** JSON from the API; the flat {"error", "code"} body becomes an ApiError. `raw`: also the text. */
  async function api(path, { method = "GET", body, raw = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    let res;
    try {
      res = await fetch(path, { method, headers, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError("NETWORK", `cannot reach the server (${e.message})`, 0);
    }
    const text = await res.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : {}; } catch { parsed = null; }
    if (!res.ok) {
      const o = parsed && typeof parsed === "object" ? parsed : {};
      let message = typeof o.error === "string" ? o.error
        : typeof o.message === "string" ? o.message : text.trim() || res.statusText;
      if (res.status === 429) {
        const after = res.headers.get("Retry-After") || o.retry_after;
        if (after) message += ` (retry in ${after} s)`;
      }
      throw new ApiError(typeof o.code === "string" ? o.code : `HTTP_${res.status}`, message, res.status);
    }
    if (parsed === null || typeof parsed !== "object")
      throw new ApiError("BAD_RESPONSE", "the server's answer is not a JSON object", res.status);
    return raw ? { body: parsed, text } : parsed;
  }

  function showError(node, err, prefix) {
    if (!err) { node.hidden = true; setText(node, ""); return; }
    const code = err.code ? ` [${err.code}${err.status ? `, HTTP ${err.status}` : ""}]` : "";
    setText(node, `${prefix ? prefix + ": " : ""}${err.message}${code}`);
    node.hidden = false;
  }

  const enc = encodeURIComponent;

  // -- the connection badge ----------------------------------------------------------------------

  function setConn(state, text) {
    $("conn").dataset.state = state;
    setText($("conn-text"), text);
  }

  // -- the debate view ---------------------------------------------------------------------------

  const KINDS = {
    proposal: "Proposals", revision: "Revisions", critique: "Critiques", vote: "Votes",
    judge: "Judge", error: "Agent errors", message: "Messages", other: "Other events",
  };

  const view = {
    id: null,
    totalRounds: 0,
    rounds: new Map(),   // round -> {section, heading}
    transcript: [],      // {round, phase, agent, target}
    votes: [],           // {agent, choice, confidence}
    end: null,           // what the verdict says: {status, outcome, verdict, winner, confidence, rounds, final_answer, receipt_id}
    agents: [],
    lastRound: 0,        // the round of the latest event
  };

  function resetView(id) {
    view.id = id;
    view.totalRounds = 0;
    view.rounds = new Map();
    view.transcript = [];
    view.votes = [];
    view.end = null;
    view.agents = [];
    view.lastRound = 0;
    $("timeline").replaceChildren();
    for (const k of ["debate-question", "debate-meta", "live-note"]) setText($(k), "");
    setStatus("pending");
    showError($("debate-error"), null);
    $("verdict").hidden = true;
    $("receipt").hidden = true;
    $("receipt-check").dataset.result = "pending";
    setText($("debate-id"), id);
    $("debate").hidden = false;
    markOpenInList();
    updateStreamInfo();
  }

  function setStatus(status) {
    const b = $("debate-status");
    b.dataset.status = status;
    setText(b, status);
  }

  function announce(text) { setText($("live-note"), text); }

  function showHeader(info) {
    if (info.task) setText($("debate-question"), info.task);
    if (Array.isArray(info.agents) && info.agents.length) {
      view.agents = info.agents.map(str);
      view.agents.forEach(hueOf); // the debate's agents get the first free colours
    }
    if (isNum(info.rounds) && info.rounds > 0) view.totalRounds = info.rounds;
    const parts = [];
    if (view.agents.length) parts.push(`Agents: ${view.agents.join(", ")}`);
    if (view.totalRounds) parts.push(`up to ${view.totalRounds} round${view.totalRounds === 1 ? "" : "s"}`);
    if (info.protocol) parts.push(`protocol ${info.protocol}`);
    if (info.consensus) parts.push(`consensus ${info.consensus}`);
    if (info.created_at) parts.push(`started ${when(info.created_at)}`);
    setText($("debate-meta"), parts.join(" \u00b7 "));
    for (const [r, x] of view.rounds) setRoundHeading(r, x);
  }

  function setRoundHeading(r, x) {
    setText(x.heading, view.totalRounds ? `Round ${r} of ${view.totalRounds}` : `Round ${r}`);
  }

  function ensureRound(r) {
    const round = Number.isInteger(r) && r > 0 ? r : 0;
    let x = view.rounds.get(round);
    if (x) return x;
    const heading = el("h3", { attrs: { id: `round-${round}-h` } });
    const section = el("section", { className: "round", data: { round },
      attrs: { "aria-labelledby": `round-${round}-h` } }, heading);
    x = { section, heading };
    view.rounds.set(round, x);
    if (round === 0) setText(heading, "Before the rounds");
    else setRoundHeading(round, x);
    // Rounds in order, whatever order their first event came in.
    const after = [...$("timeline").children].find((s) => Number(s.dataset.round) > round);
    $("timeline").insertBefore(section, after || null);
    return x;
  }

  /** The list for a message: the round's last group when it is of this kind, else a new one,
   *  so the round reads in the order things happened (proposals, critiques, revisions, ...). */
  function group(round, kind) {
    const x = ensureRound(round);
    const last = x.section.lastElementChild;
    if (last && last.classList.contains("group") && last.dataset.kind === kind) return last.querySelector("ol");
    const list = el("ol", { className: "msgs" });
    x.section.append(el("div", { className: "group", data: { kind } }, el("h4", { text: KINDS[kind] || kind }), list));
    return list;
  }

  function agentTag(name) {
    return el("span", { className: "agent", text: name || "?", hue: hueOf(name) });
  }

  function kindOfPhase(phase) {
    switch (phase) {
      case "propose": return "proposal";
      case "revise": return "revision";
      case "critique": return "critique";
      case "vote": return "vote";
      case "judge": return "judge";
      default: return "message";
    }
  }

  /** One message: {seq, round, phase, agent, target, content, issues, severity, choice, confidence}. */
  function addMessage(m) {
    const kind = kindOfPhase(m.phase);
    const head = el("div", { className: "msg-head" }, agentTag(m.agent));
    if (kind === "critique") head.append(el("span", { className: "what", text: "critiques" }), agentTag(m.target));
    else if (kind === "vote") head.append(el("span", { className: "what", text: "votes for" }), agentTag(m.choice));
    else if (kind === "judge" && m.choice) head.append(el("span", { className: "what", text: "judges for" }), agentTag(m.choice));
    else if (kind === "revision") head.append(el("span", { className: "what", text: "revises" }));
    else if (kind === "proposal") head.append(el("span", { className: "what", text: "proposes" }));
    const tags = el("span", { className: "tags" });
    if (kind === "critique" && isNum(m.severity)) tags.append(el("span", { className: "tag", text: `severity ${fixed(m.severity, 2)}` }));
    if ((kind === "vote" || kind === "judge") && isNum(m.confidence)) tags.append(el("span", { className: "tag", text: `confidence ${pct(m.confidence)}` }));
    if (isNum(m.seq)) tags.append(el("span", { className: "seq", text: `#${m.seq}`, attrs: { title: "sequence number" } }));
    head.append(tags);
    const item = el("li", { className: "msg", hue: hueOf(m.agent),
      data: { kind, agent: m.agent || "", round: m.round || 0, ...(isNum(m.seq) ? { seq: m.seq } : {}) } }, head);
    if (Array.isArray(m.issues) && m.issues.length)
      item.append(el("ul", { className: "issues" }, ...m.issues.map((i) => el("li", { text: i }))));
    if (m.content) {
      const p = el("p", { className: "content", text: m.content });
      item.append(p);
      if (m.content.length > 600) {
        p.classList.add("clamped");
        const more = el("button", { className: "link", text: "Show all", attrs: { type: "button", "aria-expanded": "false" } });
        more.addEventListener("click", () => {
          const open = p.classList.toggle("clamped") === false;
          more.setAttribute("aria-expanded", String(open));
          setText(more, open ? "Show less" : "Show all");
        });
        item.append(more);
      }
    }
    group(m.round, kind).append(item);
    const target = kind === "vote" || (kind === "judge" && m.choice) ? m.choice : m.target;
    view.transcript.push({ round: m.round, phase: m.phase, agent: str(m.agent), target: str(target) });
    if (kind === "vote") view.votes.push({ agent: str(m.agent), choice: str(m.choice), confidence: m.confidence });
  }

  /** A note in the timeline, after the latest event (a resumed stream, say). */
  function addNote(text, kind) {
    const x = view.rounds.get(view.lastRound);
    const note = el("p", { className: "stream-note", data: { kind }, text });
    (x ? x.section : $("timeline")).append(note);
    return note;
  }

  function addConsensus(round, c, seq) {
    const x = ensureRound(round);
    const reached = c.reached === true;
    const parts = [];
    if (c.method) parts.push(`method ${c.method}`);
    if (isNum(c.confidence)) parts.push(`confidence ${pct(c.confidence)}`);
    if (isNum(c.votes)) parts.push(`${c.votes} vote${c.votes === 1 ? "" : "s"}${isNum(c.quorum) ? ` (quorum ${c.quorum})` : ""}`);
    const plain = reached ? "consensus_reached" : "no_consensus";
    if (c.status && c.status !== plain) parts.push(str(c.status).replaceAll("_", " "));
    const line = el("p", null, el("strong", { text: reached ? "Consensus reached" : "No consensus" }));
    if (c.winner) line.append(" \u00b7 winner ", agentTag(c.winner));
    if (parts.length) line.append(` \u00b7 ${parts.join(" \u00b7 ")}`);
    const extra = [];
    if (Array.isArray(c.supporting_agents) && c.supporting_agents.length) extra.push(`supporting: ${c.supporting_agents.join(", ")}`);
    if (Array.isArray(c.dissenting_agents) && c.dissenting_agents.length) extra.push(`dissenting: ${c.dissenting_agents.join(", ")}`);
    const box = el("div", { className: "check consensus", data: { kind: "consensus", reached: String(reached), ...(isNum(seq) ? { seq } : {}) } },
      el("h4", { text: "Consensus check" }), line, extra.length ? el("p", { className: "meta", text: extra.join(" \u00b7 ") }) : null);
    x.section.append(box);
    announce(`Round ${round}: ${reached ? "consensus reached" : "no consensus"}`);
  }

  function addConvergence(round, c, seq) {
    const x = ensureRound(round);
    const text = `Convergence: ${str(c.status) || "unknown"} \u00b7 min similarity ${fixed(c.min_similarity, 2)} \u00b7 average ${fixed(c.avg_similarity, 2)}`;
    x.section.append(el("div", { className: "check convergence", data: { kind: "convergence", ...(isNum(seq) ? { seq } : {}) } }, el("p", { text })));
  }

  function addAgentError(round, d, seq) {
    const item = el("li", { className: "msg error-msg", data: { kind: "error", agent: str(d.agent), ...(isNum(seq) ? { seq } : {}) } },
      el("div", { className: "msg-head" }, agentTag(d.agent), el("span", { className: "what", text: `failed ${d.phase ? `a ${str(d.phase)} call` : "a call"}${d.target ? ` on ${str(d.target)}` : ""}${d.recoverable ? " (recoverable)" : ""}` }),
        el("span", { className: "tags" }, d.code ? el("span", { className: "tag", text: str(d.code) }) : null, isNum(seq) ? el("span", { className: "seq", text: `#${seq}` }) : null)),
      el("p", { className: "content", text: str(d.message) }));
    group(round, "error").append(item);
  }

  function showVerdict(e) {
    view.end = e;
    setStatus(str(e.status) || "completed");
    setText($("v-status"), [str(e.status), e.outcome && e.outcome !== e.status ? `(${str(e.outcome).replaceAll("_", " ")})` : ""].join(" ").trim());
    setText($("v-verdict"), str(e.verdict).replaceAll("_", " ") || "no verdict");
    $("v-verdict").dataset.verdict = str(e.verdict).toUpperCase();
    setText($("v-confidence"), pct(e.confidence));
    const w = $("v-winner");
    w.replaceChildren(e.winner ? agentTag(e.winner) : "none");
    setText($("v-rounds"), isNum(e.rounds) ? `${e.rounds}${view.totalRounds ? ` of ${view.totalRounds}` : ""}` : "\u2013");
    setText($("v-duration"), duration(e.duration));
    setText($("v-answer"), e.final_answer || "(no final answer)");
    $("v-answer").dataset.source = e.source;
    showError($("v-error"), e.error ? { message: str(e.error) } : null, "Error");
    const v = $("verdict");
    v.dataset.status = str(e.status);
    v.dataset.verdict = str(e.verdict);
    v.hidden = false;
    announce(`Verdict: ${str(e.verdict) || str(e.status)}`);
  }

  // -- the live stream -------------------------------------------------------------------------

  const stream = {
    ws: null,
    id: null,
    gen: 0,             // which connection is current: callbacks of older ones are ignored
    lastSeq: new Map(), // debate id -> the last seq shown
    attempts: 0,        // failed connections in a row (the backoff's exponent)
    reconnects: 0,
    repeats: 0,         // frames ignored because their seq was already shown
    timer: null,
    opened: false,
    ended: false,
    fatal: false,
    resyncing: false,   // after a gap: the after_seq asked for again, until its replay ends
    replayFrom: null,   // after_seq of the replay under way
    lossNote: null,     // the timeline's note of a lost connection, until the stream resumes
    heardAt: 0,
    keepalive: null,
  };

  function updateStreamInfo() {
    const s = $("stream-info");
    const last = stream.lastSeq.get(view.id) || 0;
    s.dataset.lastSeq = String(last);
    s.dataset.reconnects = String(stream.reconnects);
    s.dataset.repeats = String(stream.repeats);
    if (stream.id !== view.id || !view.id) { setText(s, ""); return; }
    const parts = [`events 1\u2013${last}`];
    if (!last) parts[0] = "no events yet";
    parts.push(`${stream.reconnects} reconnect${stream.reconnects === 1 ? "" : "s"}`);
    parts.push(`${stream.repeats} repeat${stream.repeats === 1 ? "" : "s"} ignored`);
    setText(s, `Stream: ${parts.join(" \u00b7 ")}`);
  }

  function closeStream() {
    stream.gen++;
    clearTimeout(stream.timer);
    stream.timer = null;
    clearInterval(stream.keepalive);
    stream.keepalive = null;
    if (stream.ws) {
      try { stream.ws.close(1000, "done"); } catch { /* already closed */ }
    }
    stream.ws = null;
  }

  function follow(id) {
    closeStream();
    stream.id = id;
    stream.lastSeq.set(id, 0);
    stream.attempts = 0;
    stream.reconnects = 0;
    stream.repeats = 0;
    stream.ended = false;
    stream.fatal = false;
    stream.resyncing = false;
    stream.replayFrom = null;
    stream.lossNote = null;
    updateStreamInfo();
    connect(false);
  }

  function wsUrl(params) {
    const q = new URLSearchParams(params);
    const t = token();
    if (t) q.set("token", t);
    const qs = q.toString();
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws${qs ? `?${qs}` : ""}`;
  }

  /** First connection: `?debate_id=` replays from seq 1. A resume subscribes with after_seq. */
  function connect(resume) {
    const gen = ++stream.gen;
    const id = stream.id;
    setConn("connecting", resume ? "Reconnecting\u2026" : "Connecting\u2026");
    let ws;
    try {
      ws = new WebSocket(resume ? wsUrl({}) : wsUrl({ debate_id: id }));
    } catch (e) {
      scheduleReconnect(gen);
      return;
    }
    stream.ws = ws;
    stream.opened = false;
    stream.resyncing = false; // a new connection replays from the last event shown anyway
    stream.replayFrom = null;
    ws.onopen = () => {
      if (gen !== stream.gen) return;
      stream.opened = true;
      stream.heardAt = Date.now();
      if (resume) {
        const after = stream.lastSeq.get(id) || 0;
        ws.send(JSON.stringify({ type: "subscribe", debate_id: id, after_seq: after }));
        setConn("live", `Reconnected; resuming after event ${after}`);
      } else {
        setConn("live", "Live");
      }
      clearInterval(stream.keepalive);
      stream.keepalive = setInterval(() => keepalive(gen), 5000);
    };
    ws.onmessage = (m) => onFrame(gen, m.data);
    ws.onclose = () => onClose(gen);
    ws.onerror = () => { /* onclose follows */ };
  }

  /** A ping every 20 s; a connection silent for 45 s (heartbeats come every 15 s) is dropped. */
  function keepalive(gen) {
    if (gen !== stream.gen || !stream.ws) return;
    const quiet = Date.now() - stream.heardAt;
    if (quiet > 45000) {
      try { stream.ws.close(4000, "silent"); } catch { /* closing anyway */ }
      return;
    }
    if (stream.ws.readyState === WebSocket.OPEN && quiet > 20000)
      stream.ws.send(JSON.stringify({ type: "ping", timestamp: Date.now() }));
  }

  async function onClose(gen) {
    if (gen !== stream.gen) return;
    clearInterval(stream.keepalive);
    stream.keepalive = null;
    stream.ws = null;
    if (stream.ended || stream.fatal) return;
    if (!stream.lossNote && stream.id === view.id)
      stream.lossNote = addNote(`Connection lost after event ${stream.lastSeq.get(stream.id) || 0}; reconnecting\u2026`, "resume");
    if (!stream.opened && stream.attempts > 0) {
      // Refused before it opened, more than once: ask over HTTP whether retrying can help.
      try {
        await api(`/api/v1/debates/${enc(stream.id)}`);
      } catch (e) {
        if (gen !== stream.gen) return;
        if ([401, 403, 404].includes(e.status)) {
          stream.fatal = true;
          setConn("error", "Cannot follow this debate");
          showError($("debate-error"), e, "Stream");
          return;
        }
      }
      if (gen !== stream.gen) return;
    }
    scheduleReconnect(gen);
  }

  function scheduleReconnect(gen) {
    if (gen !== stream.gen) return;
    const delay = Math.round(Math.min(10000, 500 * 2 ** stream.attempts) * (0.8 + Math.random() * 0.4));
    stream.attempts++;
    setConn("reconnecting", `Connection lost; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${stream.attempts})`);
    clearTimeout(stream.timer);
    stream.timer = setTimeout(() => {
      stream.timer = null;
      if (gen !== stream.gen) return;
      stream.reconnects++;
      updateStreamInfo();
      connect(true);
    }, delay);
  }

  window.addEventListener("online", () => {
    // Back online: retry now rather than at the end of the backoff.
    if (stream.timer && !stream.ended && !stream.fatal) {
      clearTimeout(stream.timer);
      stream.timer = null;
      stream.reconnects++;
      connect(true);
    }
  });

  function onFrame(gen, raw) {
    if (gen !== stream.gen) return;
    stream.heardAt = Date.now();
    let f;
    try { f = JSON.parse(raw); } catch { return; }
    if (!f || typeof f !== "object" || Array.isArray(f)) return;
    const type = str(f.type);
    const data = f.data && typeof f.data === "object" ? f.data : {};
    const id = str(f.debate_id) || str(data.debate_id);
    switch (type) {
      case "connection_info":
      case "heartbeat": case "pong": case "subscribed": case "loop_list": case "sync":
        return;
      case "replay_start":
        if (id === stream.id && isNum(data.after_seq)) stream.replayFrom = data.after_seq;
        return;
      case "replay_end":
        if (id === stream.id && stream.replayFrom !== null) {
          // Once per replay_start (a repeated replay_end changes nothing). A replay asked for
          // before a gap showed ends the resync only if it was the one the resync asked for.
          const from = stream.replayFrom;
          stream.replayFrom = null;
          if (stream.resyncing === false || stream.resyncing === from) stream.resyncing = false;
          stream.attempts = 0;
          const n = isNum(data.last_seq) && isNum(from) ? data.last_seq - from : 0;
          const text = `Live again: resumed after event ${isNum(from) ? from : "?"}; ${n > 0 ? `${n} missed event${n === 1 ? "" : "s"} replayed` : "nothing was missed"}`;
          setConn("live", text);
          announce(text);
          if (stream.lossNote) {
            setText(stream.lossNote, `Connection lost after event ${isNum(from) ? from : "?"}. ` +
              `Reconnected (${stream.reconnects} attempt${stream.reconnects === 1 ? "" : "s"}) and resumed from there: ` +
              `${n > 0 ? `events ${from + 1}\u2013${data.last_seq} were replayed, then live` : "nothing was missed"}. Nothing is shown twice.`);
            stream.lossNote.dataset.state = "resumed";
            stream.lossNote = null;
          }
        }
        return;
      default:
        break;
    }
    if (type === "error" && !isNum(f.seq)) {
      // This connection's fatal problem (an unknown debate, say): not a debate event.
      stream.fatal = true;
      setConn("error", "The server refused the stream");
      showError($("debate-error"), { message: str(data.message) || "stream error", code: str(data.code) }, "Stream");
      try { stream.ws && stream.ws.close(1000, "error"); } catch { /* closing anyway */ }
      return;
    }
    if (id !== stream.id || !isNum(f.seq)) return; // another debate's frame, or not an event
    const last = stream.lastSeq.get(id) || 0;
    if (f.seq <= last) {
      stream.repeats++;
      updateStreamInfo();
      return;
    }
    if (f.seq !== last + 1) {
      // A gap: never show events out of order; ask for everything after the last one shown.
      if (stream.resyncing === false && stream.ws && stream.ws.readyState === WebSocket.OPEN) {
        stream.resyncing = last;
        stream.ws.send(JSON.stringify({ type: "subscribe", debate_id: id, after_seq: last }));
      }
      return;
    }
    stream.lastSeq.set(id, f.seq);
    stream.attempts = 0;
    applyEvent(type, f, data);
    updateStreamInfo();
  }

  function applyEvent(type, f, d) {
    const round = isNum(d.round) ? d.round : isNum(f.round) ? f.round : 0;
    view.lastRound = round;
    const agent = str(d.agent) || str(f.agent);
    switch (type) {
      case "debate_start":
        setStatus("running");
        showHeader({ task: d.task || d.question, agents: d.agents, rounds: d.total_rounds,
          protocol: d.protocol, consensus: d.consensus });
        announce("Debate started");
        break;
      case "round_start":
        if (isNum(d.total_rounds) && !view.totalRounds) view.totalRounds = d.total_rounds;
        ensureRound(round);
        announce(`Round ${round} started`);
        break;
      case "agent_message": case "critique": case "vote":
        addMessage({ seq: f.seq, round, agent, phase: str(d.phase) || (type === "agent_message" ? "propose" : type),
          target: str(d.target_agent) || str(d.target), content: str(d.content),
          issues: Array.isArray(d.issues) ? d.issues.map(str) : [], severity: d.severity,
          choice: str(d.vote) || str(d.choice), confidence: d.confidence });
        break;
      case "consensus":
        addConsensus(round, d, f.seq);
        break;
      case "convergence":
        addConvergence(round, d, f.seq);
        break;
      case "agent_error":
        addAgentError(round, d, f.seq);
        break;
      case "debate_end":
        stream.ended = true;
        setConn("idle", "Debate ended");
        showVerdict({ status: str(d.status), outcome: str(d.outcome), verdict: str(d.verdict),
          confidence: d.confidence, winner: str(d.winner), rounds: d.rounds, duration: d.duration_seconds ?? d.duration,
          final_answer: str(d.final_answer) || str(d.result), receipt_id: str(d.receipt_id), error: str(d.error),
          source: "stream" });
        closeStream();
        afterEnd();
        break;
      case "token_delta": case "heartbeat":
        break;
      default: {
        const item = el("li", { className: "msg other", data: { kind: "other", seq: f.seq } },
          el("div", { className: "msg-head" }, el("span", { className: "what", text: type || "event" }),
            el("span", { className: "tags" }, el("span", { className: "seq", text: `#${f.seq}` }))));
        group(round, "other").append(item);
      }
    }
  }

  async function afterEnd() {
    refreshLeaderboard();
    refreshRecent();
    const id = view.id;
    if (view.end && !view.end.final_answer) {
      // A debate_end replayed from the store can lack the answer the live one had (no winner):
      // the stored record has it.
      try {
        const d = await api(`/api/v1/debates/${enc(id)}`);
        if (view.id !== id) return;
        if (d.final_answer) {
          view.end.final_answer = str(d.final_answer);
          setText($("v-answer"), view.end.final_answer);
          $("v-answer").dataset.source = "record";
        }
      } catch { /* the answer stays as the stream gave it */ }
      if (view.id !== id) return;
    }
    checkReceipt();
  }

  // -- a finished debate, from its record --------------------------------------------------------

  function showRecord(d) {
    showHeader({ task: d.task || d.question, agents: d.agents, rounds: d.rounds, protocol: d.protocol,
      consensus: d.consensus_method, created_at: d.created_at });
    for (const m of Array.isArray(d.messages) ? d.messages : []) {
      addMessage({ round: m.round, agent: str(m.agent), phase: str(m.phase), target: str(m.target),
        content: str(m.content), issues: Array.isArray(m.issues) ? m.issues.map(str) : [],
        severity: m.severity, choice: str(m.choice) || (m.phase === "vote" || m.phase === "judge" ? str(m.target) : ""),
        confidence: m.confidence });
    }
    const c = d.consensus && typeof d.consensus === "object" ? d.consensus : null;
    if (c) addConsensus(isNum(d.rounds_used) && d.rounds_used > 0 ? d.rounds_used : 1, c);
    showVerdict({ status: str(d.status), outcome: str(d.outcome), verdict: str(d.verdict), confidence: d.confidence,
      winner: str(d.winner), rounds: d.rounds_used, duration: d.duration_seconds, final_answer: str(d.final_answer),
      receipt_id: str(d.receipt_id), error: str(d.error), source: "record" });
    setText($("stream-info"), "From the stored record (the debate had finished).");
    checkReceipt();
  }

  // -- opening a debate --------------------------------------------------------------------------

  async function openDebate(id) {
    closeStream();
    stream.id = null;
    resetView(id);
    setConn("connecting", "Loading\u2026");
    try {
      history.replaceState(null, "", `#debate=${enc(id)}`);
    } catch { /* file: or sandboxed */ }
    let d;
    try {
      d = await api(`/api/v1/debates/${enc(id)}`);
    } catch (e) {
      if (view.id !== id) return;
      setConn("error", "Could not load the debate");
      showError($("debate-error"), e, "Loading the debate");
      return;
    }
    if (view.id !== id) return;
    if (d.in_progress || d.status === "running" || d.status === "pending" || d.status === "created") {
      showHeader({ task: d.task, agents: d.agents, rounds: d.rounds, protocol: d.protocol,
        consensus: d.consensus_method, created_at: d.created_at });
      setStatus("running");
      follow(id); // replays from seq 1, then live
    } else {
      setConn("idle", "Finished debate (stored record)");
      showRecord(d);
    }
  }

  // -- the receipt -----------------------------------------------------------------------------

  function fact(dl, name, value, wide) {
    const dd = el("dd");
    if (value instanceof Node) dd.append(value); else setText(dd, value);
    dl.append(el("div", { className: wide ? "wide" : "" }, el("dt", { text: name }), dd));
  }

  function check(list, ok, title, detail) {
    const state = ok === true ? "pass" : ok === false ? "fail" : "skip";
    const mark = state === "pass" ? "\u2713" : state === "fail" ? "\u2717" : "\u2013";
    const label = state === "pass" ? "passed" : state === "fail" ? "failed" : "not checked";
    list.append(el("li", { className: "check-item", data: { state } },
      el("span", { className: "mark", text: mark, attrs: { "aria-hidden": "true" } }),
      el("span", { className: "sr-only", text: `${label}: ` }),
      el("strong", { text: title }), " ", el("span", { className: "detail", text: detail })));
    return state;
  }

  const short = (h) => (h ? `${str(h).slice(0, 12)}\u2026` : "(empty)");

  function tally(items) {
    const m = new Map();
    for (const k of items) m.set(k, (m.get(k) || 0) + 1);
    return m;
  }

  /** Keys of `a` not matched one-for-one in `b`. */
  function missing(a, b) {
    const left = tally(b);
    const out = [];
    for (const k of a) {
      const n = left.get(k) || 0;
      if (n > 0) left.set(k, n - 1); else out.push(k);
    }
    return out;
  }

  async function checkReceipt() {
    const id = view.id;
    const end = view.end;
    if (!id || !end) return;
    const box = $("receipt");
    box.hidden = false;
    $("receipt-loading").hidden = false;
    setText($("receipt-loading"), "Fetching the receipt\u2026");
    $("receipt-facts").replaceChildren();
    $("receipt-checks").replaceChildren();
    const summary = $("receipt-check");
    summary.dataset.result = "pending";
    setText(summary, "Checking\u2026");
    const link = $("receipt-download");
    link.hidden = true;
    if (link.dataset.url) URL.revokeObjectURL(link.dataset.url);
    setText($("receipt-raw"), "");
    $("receipt-full-check").hidden = true;

    let own, served;
    try {
      own = await api(`/api/v1/debates/${enc(id)}/receipt`, { raw: true });
    } catch (e) {
      if (view.id !== id) return;
      setText($("receipt-loading"), `No receipt: ${e.message} [${e.code}]`);
      summary.dataset.result = "unavailable";
      setText(summary, "Nothing to check: the server has no receipt for this debate.");
      return;
    }
    const receiptId = str(own.body.receipt_id) || end.receipt_id || `DR-${id}`;
    let servedError = null;
    try {
      served = await api(`/api/v2/receipts/${enc(receiptId)}`);
    } catch (e) {
      servedError = e;
    }
    if (view.id !== id) return;
    const r = own.body;
    $("receipt-loading").hidden = true;

    const facts = $("receipt-facts");
    fact(facts, "Receipt", el("code", { text: str(r.receipt_id) }));
    fact(facts, "Algorithm", str(r.algorithm));
    fact(facts, "SHA-256", el("code", { className: "hash", text: str(r.sha256) }), true);
    const sig = r.signature && typeof r.signature === "object" ? r.signature : null;
    fact(facts, "Signature", sig ? `${str(sig.algorithm)}, key id ${str(sig.key_id)}` : "none (unsigned)");
    fact(facts, "Verdict", `${str(r.verdict)} \u00b7 ${str(r.status).replaceAll("_", " ")} \u00b7 confidence ${pct(r.confidence)}`);
    fact(facts, "Sealed", when(r.completed_at));
    fact(facts, "Agents", (Array.isArray(r.agents) ? r.agents : [])
      .map((a) => `${str(a.name)} (${str(a.provider)}: ${a.calls ?? 0} calls, ${a.failures ?? 0} failed)`).join(", "), true);

    const list = $("receipt-checks");
    const states = [];
    // 1. The digest, recomputed here from the receipt's own fields.
    if (r.algorithm !== "sha256:aragora-receipt-v2") {
      states.push(check(list, null, "Digest:", `algorithm ${str(r.algorithm) || "(none)"} is not one this page can recompute.`));
    } else {
      try {
        const digest = sha256Hex(canonicalReceipt(r));
        const ok = digest === r.sha256;
        states.push(check(list, ok, "Digest recomputed:", ok
          ? `SHA-256 of the receipt's canonical encoding is ${short(digest)}, equal to its sha256.`
          : `SHA-256 of the receipt's canonical encoding is ${short(digest)}, but the receipt says ${short(r.sha256)}.`));
      } catch (e) {
        states.push(check(list, false, "Digest:", `the receipt cannot be encoded canonically (${e.message}); aragora verify would refuse it.`));
      }
    }
    // 2. The copy served to the SDKs.
    if (servedError) {
      states.push(check(list, false, "Served copy:", `GET /api/v2/receipts/${receiptId} failed: ${servedError.message}.`));
    } else {
      const ok = served.checksum === r.sha256 && served.receipt_id === r.receipt_id;
      states.push(check(list, ok, "Served copy:", ok
        ? `GET /api/v2/receipts/${receiptId} has checksum ${short(served.checksum)}, equal to the receipt's sha256.`
        : `GET /api/v2/receipts/${receiptId} has checksum ${short(served.checksum)} and id ${str(served.receipt_id)}; the receipt has ${short(r.sha256)} and ${str(r.receipt_id)}.`));
    }
    // 3. The debate.
    states.push(check(list, r.debate_id === id, "Debate:", r.debate_id === id
      ? `the receipt is for debate ${id}, the one shown.`
      : `the receipt names debate ${str(r.debate_id)}, not ${id}.`));
    // 4. The verdict against what the page was shown (the stream's debate_end or the record).
    const seen = end.source === "record" ? "the stored record" : "the stream";
    const diffs = [];
    if (str(r.verdict).toUpperCase() !== str(end.verdict).toUpperCase()) diffs.push(`verdict ${str(r.verdict)} vs ${str(end.verdict)}`);
    if (end.outcome && str(r.status) !== end.outcome) diffs.push(`status ${str(r.status)} vs ${end.outcome}`);
    if (str(r.winner) !== str(end.winner)) diffs.push(`winner ${str(r.winner) || "none"} vs ${str(end.winner) || "none"}`);
    if (!(isNum(r.confidence) && isNum(end.confidence) && Math.abs(r.confidence - end.confidence) < 5e-7)) diffs.push(`confidence ${str(r.confidence)} vs ${str(end.confidence)}`);
    if (isNum(end.rounds) && r.rounds_used !== end.rounds) diffs.push(`rounds ${str(r.rounds_used)} vs ${str(end.rounds)}`);
    states.push(check(list, diffs.length === 0, "Verdict:", diffs.length === 0
      ? `verdict ${str(r.verdict)}, status, winner, confidence and rounds equal what ${seen} said.`
      : `differs from ${seen}: ${diffs.join("; ")}.`));
    // 5. The final answer shown, hashed here.
    const answerHash = end.final_answer ? sha256OfText(end.final_answer) : "";
    const answerOk = answerHash === str(r.final_answer_sha256);
    states.push(check(list, answerOk, "Final answer:", answerOk
      ? `SHA-256 of the final answer shown above is ${short(answerHash)}, equal to final_answer_sha256.`
      : `SHA-256 of the final answer shown above is ${short(answerHash)}; the receipt has ${short(r.final_answer_sha256)}.`));
    // 6. The transcript: the same messages (round, phase, agent, target).
    const key = (m) => `round ${m.round} ${m.phase} by ${m.agent}${m.target ? ` on ${m.target}` : ""}`;
    const listed = (Array.isArray(r.messages) ? r.messages : []).map((m) => key({ round: m.round, phase: str(m.phase), agent: str(m.agent), target: str(m.target) }));
    const shown = view.transcript.map(key);
    const notShown = missing(listed, shown);
    const notListed = missing(shown, listed);
    const tOk = notShown.length === 0 && notListed.length === 0;
    states.push(check(list, tOk, "Transcript:", tOk
      ? `the receipt lists the same ${listed.length} messages (round, phase, agent, target) as ${seen} showed.`
      : `${notShown.length ? `listed but not shown: ${notShown.slice(0, 3).join("; ")}${notShown.length > 3 ? "\u2026" : ""}. ` : ""}${notListed.length ? `shown but not listed: ${notListed.slice(0, 3).join("; ")}${notListed.length > 3 ? "\u2026" : ""}.` : ""}`));
    // 7. The votes the decision counted: each among the votes shown.
    const vkey = (v) => `${str(v.agent)} for ${str(v.choice)} at ${isNum(v.confidence) ? v.confidence.toFixed(6) : "?"}`;
    const counted = (Array.isArray(r.votes) ? r.votes : []).map(vkey);
    const unseen = missing(counted, view.votes.map(vkey));
    states.push(check(list, unseen.length === 0, "Votes:", unseen.length === 0
      ? `each of the ${counted.length} votes the receipt counts (agent, choice, confidence) is a vote shown above.`
      : `not shown above: ${unseen.join("; ")}.`));
    // What the page does not check.
    check(list, null, "Signature:", sig
      ? `signed with ${str(sig.algorithm)} (key id ${str(sig.key_id)}). Checking it needs the key, which a page does not have.`
      : "the receipt is unsigned: anyone could have recomputed its digest, so the digest alone does not prove who issued it.");
    check(list, null, "Message digests and result_sha256:", "not recomputed here: they cover message times to the microsecond and the whole stored result, which the page does not receive.");

    const failed = states.filter((s) => s === "fail").length;
    const passed = states.filter((s) => s === "pass").length;
    summary.dataset.result = failed ? "mismatch" : "consistent";
    setText(summary, failed
      ? `${failed} of ${states.length} checks failed: this receipt does not match what was shown.`
      : `${passed} of ${states.length} checks passed in this browser: the receipt is consistent with the debate shown. This is not a signature check.`);

    const file = `receipt-${id}.json`;
    const url = URL.createObjectURL(new Blob([own.text], { type: "application/json" }));
    link.href = url;
    link.dataset.url = url;
    link.download = file;
    link.hidden = false;
    setText($("receipt-verify-cmd"), sig ? `ARAGORA_RECEIPT_SIGNING_KEY=<key> aragora verify ${file}` : `aragora verify ${file}`);
    $("receipt-full-check").hidden = false;
    setText($("receipt-raw"), own.text);
  }

  // -- leaderboard and recent debates -------------------------------------------------------------

  async function refreshLeaderboard() {
    const body = $("leaderboard").tBodies[0];
    try {
      const lb = await api("/api/v1/leaderboard?limit=20");
      showError($("lb-error"), null);
      const rows = Array.isArray(lb.rankings) ? lb.rankings : Array.isArray(lb.agents) ? lb.agents : [];
      body.replaceChildren(...rows.map((a, i) => {
        const name = str(a.name) || str(a.agent_name);
        const tr = el("tr", { data: { agent: name } },
          el("td", { text: i + 1 }),
          el("th", { attrs: { scope: "row" } }, agentTag(name)),
          el("td", { className: "num", text: isNum(a.elo) ? Math.round(a.elo) : "\u2013" }),
          el("td", { className: "num", text: `${a.wins ?? 0}/${a.losses ?? 0}/${a.draws ?? 0}` }),
          el("td", { className: "num", text: pct(a.win_rate) }));
        if (view.agents.includes(name)) tr.classList.add("in-debate");
        return tr;
      }));
      $("lb-empty").hidden = rows.length > 0;
      $("leaderboard").dataset.updated = String(Date.now());
    } catch (e) {
      showError($("lb-error"), e, "Leaderboard");
    }
  }

  function markOpenInList() {
    for (const b of $("recent").querySelectorAll("button[data-id]")) {
      if (b.dataset.id === view.id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
  }

  async function refreshRecent() {
    try {
      const page = await api("/api/v1/debates?limit=20");
      showError($("recent-error"), null);
      const debates = Array.isArray(page.debates) ? page.debates : [];
      $("recent").replaceChildren(...debates.map((d) => {
        const id = str(d.id) || str(d.debate_id);
        const status = str(d.status);
        const meta = [when(d.created_at)];
        if (d.verdict) meta.push(str(d.verdict).replaceAll("_", " ").toLowerCase());
        if (Array.isArray(d.agents) && d.agents.length) meta.push(d.agents.map(str).join(", "));
        const b = el("button", { className: "recent-item", attrs: { type: "button" }, data: { id, status } },
          el("span", { className: "recent-task", text: str(d.task) || "(no question)" }),
          el("span", { className: "recent-meta" }, el("span", { className: "badge", data: { status }, text: status }), ` ${meta.join(" \u00b7 ")}`));
        b.addEventListener("click", () => {
          openDebate(id);
          $("debate").focus({ preventScroll: true });
          $("debate").scrollIntoView({ behavior: "smooth", block: "start" });
        });
        return el("li", null, b);
      }));
      $("recent-empty").hidden = debates.length > 0;
      markOpenInList();
    } catch (e) {
      showError($("recent-error"), e, "Recent debates");
    }
  }

  async function loadAgentStyles() {
    try {
      const a = await api("/api/v1/agents");
      const specs = (Array.isArray(a.agents) ? a.agents : []).map((x) => str(x.spec)).filter(Boolean);
      if (!specs.length) return;
      const box = $("agent-styles");
      box.replaceChildren(" Add: ", ...specs.map((spec) => {
        const b = el("button", { className: "chip", text: spec, attrs: { type: "button", "aria-label": `add agent ${spec}` } });
        b.addEventListener("click", () => {
          const input = $("agents");
          const cur = input.value.trim().replace(/,$/, "");
          input.value = cur ? `${cur},${spec}` : spec;
          input.focus();
        });
        return b;
      }));
    } catch { /* the placeholder still shows the form of a spec */ }
  }

  // -- the form --------------------------------------------------------------------------------

  async function startDebate(ev) {
    ev.preventDefault();
    const err = $("start-error");
    showError(err, null);
    const task = $("question").value.trim();
    if (!task) {
      showError(err, { message: "Please enter a question." });
      $("question").focus();
      return;
    }
    const body = { task };
    const agents = $("agents").value.split(",").map((s) => s.trim()).filter(Boolean);
    if (agents.length) body.agents = agents;
    const rounds = $("rounds").value.trim();
    if (rounds) body.rounds = /^\d+$/.test(rounds) ? Number(rounds) : rounds;
    body.protocol = $("protocol").value;
    if ($("consensus").value) body.consensus = $("consensus").value;
    const button = $("start-button");
    button.disabled = true;
    setText(button, "Starting\u2026");
    try {
      const created = await api("/api/v1/debates", { method: "POST", body });
      const id = str(created.debate_id) || str(created.id);
      if (!id) throw new ApiError("BAD_RESPONSE", "the reply has no debate_id", 0);
      resetView(id);
      try { history.replaceState(null, "", `#debate=${enc(id)}`); } catch { /* ignore */ }
      showHeader({ task: created.task || task, agents: created.agents, rounds: created.rounds,
        protocol: created.protocol, consensus: created.consensus });
      setStatus(str(created.status) || "created");
      follow(id);
      refreshRecent();
      const d = $("debate");
      d.focus({ preventScroll: true });
      if (d.getBoundingClientRect().top > window.innerHeight * 0.6) d.scrollIntoView({ behavior: "smooth", block: "start" });
    } catch (e) {
      showError(err, e, "Could not start the debate");
    } finally {
      button.disabled = false;
      setText(button, "Start debate");
    }
  }

  // -- the token -------------------------------------------------------------------------------

  function showTokenState() {
    const has = !!token();
    setText($("token-state"), has
      ? "A token is saved for this tab (session storage). It is sent as Authorization: Bearer and on the WebSocket as ?token=."
      : "No token: fine when the server runs without tokens (loopback only).");
    $("settings").dataset.token = has ? "set" : "none";
  }

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("token").value.trim();
    try {
      if (v) sessionStorage.setItem(TOKEN_KEY, v); else sessionStorage.removeItem(TOKEN_KEY);
    } catch { /* storage disabled: nothing kept */ }
    $("token").value = "";
    showTokenState();
    refreshRecent();
    refreshLeaderboard();
  });
  $("token-clear").addEventListener("click", () => {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* nothing to forget */ }
    $("token").value = "";
    showTokenState();
  });

  // -- start -----------------------------------------------------------------------------------

  $("start").addEventListener("submit", startDebate);
  $("lb-refresh").addEventListener("click", refreshLeaderboard);
  $("recent-refresh").addEventListener("click", refreshRecent);
  showTokenState();
  loadAgentStyles();
  refreshLeaderboard();
  refreshRecent();
  // #debate=ID opens that debate (a reload, a shared link, the back button).
  const fromHash = () => {
    const m = /^#debate=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
    if (m && m[1] !== view.id) openDebate(m[1]);
  };
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
