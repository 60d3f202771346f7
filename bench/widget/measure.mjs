#!/usr/bin/env node
// Cold-load timing harness for `cargo xtask bench widget`: Chromium headless
// driven over the Chrome DevTools Protocol (via --remote-debugging-pipe, no npm
// dependencies; Node >= 18). Adapted from the team's ../shared/bench/measure.mjs
// (same method, so its figures compare with the peer figures in DESIGN.md);
// differences: `{run}` in the URL, the wasm memory metric, and the output is
// always the {config, median, runs} form.
//
// Usage:
//   node measure.mjs URL CSS_SELECTOR [options]
// `{run}` in URL is replaced by the run number (1, 2, …): every cold run can
// then use a fresh order id, e.g. http://HOST/demo?order=BENCH-T{run}.
// Options:
//   --runs N            number of cold runs (fresh browser + fresh profile each), default 1
//   --throttle          apply CPU + network throttling (defaults below)
//   --cpu R             Emulation.setCPUThrottlingRate rate when throttled (default 4)
//   --down-kbps K       download throughput, kbit/s (default 400)
//   --up-kbps K         upload throughput, kbit/s (default 150)
//   --latency-ms L      added request latency, ms (default 150)
//   --timeout-ms T      give up waiting for the selector after T ms (default 60000)
//   --idle-ms I         after the selector is visible, wait until no request has been
//                       in flight for I ms (default 1000) before reading totals
//   --chromium PATH     browser binary (default /usr/bin/chromium or $CHROMIUM)
//   --click SEL         optional: after measuring, click SEL (repeatable: clicked in order,
//   --expect SEL2       one animation frame apart) and report the time from the first
//                       click until SEL2 is visible (interaction check, e.g. conditional
//                       question).
//   --viewport WxH[@dpr]  optional Emulation.setDeviceMetricsOverride (mobile: true), e.g. 360x640@2
//   --verbose           print per-request log to stderr (CHROMIUM_STDERR=1 shows browser stderr)
//
// Output (stdout): one JSON object {config, median:{...}, runs:[...], resources_first_run}
// (also for --runs 1). Per run fields (a failed run has `error`):
//   selector_in_dom_ms     navigation start -> selector first matches in the DOM
//   selector_visible_ms    navigation start -> selector matches AND is visible
//                          (checkVisibility + non-zero box), checked on every DOM
//                          mutation and every animation frame
//   next_frame_after_visible_ms  first requestAnimationFrame after visible (~ paint)
//   fcp_ms, dcl_ms, load_ms      paint / navigation timing from the page
//   bytes_at_visible       bytes on the wire when the page reported the selector visible:
//                          finished responses count encodedDataLength (incl. headers),
//                          unfinished ones the encoded bytes Chromium has reported so far
//                          (Network.responseReceived/dataReceived encodedDataLength; Chromium
//                          may report 0 for body chunks until loadingFinished)
//   bytes_total            same, after network idle
//   body_bytes_total       decoded (uncompressed) response body bytes, after idle
//   requests               number of requests
//   js_heap_used_bytes     Performance.getMetrics JSHeapUsedSize (no forced GC)
//   js_heap_used_after_gc_bytes  Runtime.getHeapUsage after HeapProfiler.collectGarbage
//   wasm_memory_bytes      total size of the WebAssembly memories the page instantiated
//                          (WebAssembly.instantiate/instantiateStreaming are wrapped before
//                          any page script runs): linear memory is not part of the JS heap
//   calib_loop_ms          best-of-3 time of a fixed busy loop evaluated in the page after
//                          the measurement: shows that CPU throttling is really applied
//   resources              per-URL wire/body bytes, Content-Encoding, and start_ms/end_ms
//                          (request sent / finished, wall clock from navigation, as seen by CDP)
//
// Flags always passed to Chromium (as requested):
//   --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
//   --disable-background-networking --disable-component-update --disable-sync
//   --user-data-dir=<fresh mkdtemp per run>  (+ --remote-debugging-pipe, about:blank)

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function parseArgs(argv) {
  const o = {
    runs: 1, throttle: false, cpu: 4, downKbps: 400, upKbps: 150, latencyMs: 150,
    timeoutMs: 60000, idleMs: 1000, chromium: process.env.CHROMIUM || "/usr/bin/chromium",
    click: [], expect: null, verbose: false, viewport: null, pos: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case "--runs": o.runs = +next(); break;
      case "--throttle": o.throttle = true; break;
      case "--no-throttle": o.throttle = false; break;
      case "--cpu": o.cpu = +next(); break;
      case "--down-kbps": o.downKbps = +next(); break;
      case "--up-kbps": o.upKbps = +next(); break;
      case "--latency-ms": o.latencyMs = +next(); break;
      case "--timeout-ms": o.timeoutMs = +next(); break;
      case "--idle-ms": o.idleMs = +next(); break;
      case "--chromium": o.chromium = next(); break;
      case "--click": o.click.push(next()); break;
      case "--expect": o.expect = next(); break;
      case "--verbose": o.verbose = true; break;
      case "--viewport": { const m = /^(\d+)x(\d+)(?:@([\d.]+))?$/.exec(next() || "");
        if (!m) { console.error("--viewport WxH[@dpr]"); process.exit(2); }
        o.viewport = { width: +m[1], height: +m[2], deviceScaleFactor: m[3] ? +m[3] : 1, mobile: true }; break; }
      case "-h": case "--help":
        console.log("usage: node measure.mjs URL CSS_SELECTOR [--runs N] [--throttle] [--cpu 4] [--down-kbps 400] [--up-kbps 150] [--latency-ms 150] [--click SEL --expect SEL]");
        process.exit(0);
      default: o.pos.push(a);
    }
  }
  if (o.pos.length < 2) { console.error("need URL and CSS selector"); process.exit(2); }
  [o.url, o.selector] = o.pos;
  return o;
}

const CHROME_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// Injected before any page script (Page.addScriptToEvaluateOnNewDocument).
function observerSource(selector) {
  return `(() => {
  if (window.top !== window) return;
  const SEL = ${JSON.stringify(selector)};
  const deepQuery = (root, sel) => { const el = root.querySelector(sel); if (el) return el; for (const h of root.querySelectorAll('*')) { if (h.shadowRoot) { const f = deepQuery(h.shadowRoot, sel); if (f) return f; } } return null; };
  const st = { calib_loop_ms: null, in_dom: null, visible: null, next_frame: null, fcp: null };
  window.__perfState = st;
  // Keep every WebAssembly memory the page instantiates (linear memory is outside the JS heap).
  const mems = window.__wasmMemories = [];
  const keep = (r) => { try { const inst = r && (r.instance || r); const ex = inst && inst.exports;
    if (ex) for (const v of Object.values(ex)) if (v instanceof WebAssembly.Memory && !mems.includes(v)) mems.push(v); } catch (e) {} return r; };
  if (typeof WebAssembly === "object") for (const k of ["instantiate", "instantiateStreaming"]) {
    const f = WebAssembly[k];
    if (typeof f === "function") WebAssembly[k] = function (...a) { return f.apply(this, a).then(keep); };
  }
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === "first-contentful-paint" && st.fcp == null) st.fcp = e.startTime; })
      .observe({ type: "paint", buffered: true });
  } catch (e) {}
  const isVis = (el) => {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) return false;
    if (el.checkVisibility) return el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    const cs = getComputedStyle(el); return cs.visibility !== "hidden" && cs.display !== "none" && cs.opacity !== "0";
  };
  let done = false;
  const report = () => { try { window.__perfReport(JSON.stringify(st)); } catch (e) {} };
  const check = () => {
    if (done) return;
    const el = deepQuery(document, SEL);
    if (!el) return;
    const t = performance.now();
    if (st.in_dom == null) st.in_dom = t;
    if (isVis(el)) {
      st.visible = t; done = true;
      requestAnimationFrame(() => { st.next_frame = performance.now(); report(); });
    }
  };
  const mo = new MutationObserver(check);
  const start = () => { mo.observe(document, { childList: true, subtree: true, attributes: true, characterData: false }); check(); };
  start();
  const raf = () => { if (!done) { check(); requestAnimationFrame(raf); } };
  requestAnimationFrame(raf);
})();`;
}

class CDP {
  constructor(proc) {
    this.proc = proc; this.id = 0; this.pending = new Map(); this.handlers = [];
    this.buf = "";
    proc.stdio[4].on("data", (chunk) => {
      this.buf += chunk.toString("utf8");
      let idx;
      while ((idx = this.buf.indexOf("\0")) >= 0) {
        const msg = this.buf.slice(0, idx); this.buf = this.buf.slice(idx + 1);
        if (!msg) continue;
        const m = JSON.parse(msg);
        if (m.id !== undefined && this.pending.has(m.id)) {
          const { resolve, reject, method } = this.pending.get(m.id); this.pending.delete(m.id);
          if (m.error) reject(new Error(`${method}: ${m.error.message}`)); else resolve(m.result);
        } else if (m.method) {
          for (const h of this.handlers) h(m);
        }
      }
    });
  }
  // If the browser dies, fail every pending command instead of hanging.
  watchExit() {
    this.proc.on("exit", (code, signal) => {
      for (const { reject, method } of this.pending.values()) reject(new Error(`${method}: browser exited (${code ?? signal})`));
      this.pending.clear();
    });
    this.proc.on("error", (err) => { for (const { reject } of this.pending.values()) reject(err); this.pending.clear(); });
  }
  send(method, params = {}, sessionId) {
    const id = ++this.id;
    const msg = { id, method, params }; if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.proc.stdio[3].write(JSON.stringify(msg) + "\0");
    });
  }
  on(fn) { this.handlers.push(fn); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function oneRun(o, run) {
  const url = o.url.replaceAll("{run}", String(run));
  const udd = mkdtempSync(join(tmpdir(), "bench-udd-"));
  const args = [...CHROME_FLAGS, `--user-data-dir=${udd}`, "--remote-debugging-pipe", "about:blank"];
  const proc = spawn(o.chromium, args, { stdio: ["ignore", "ignore", process.env.CHROMIUM_STDERR ? "inherit" : "ignore", "pipe", "pipe"] });
  const cdp = new CDP(proc);
  cdp.watchExit();
  const res = {};
  try {
    const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId: s } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
    const reqs = new Map(); // requestId -> info
    let inflight = 0, lastNetActivity = Date.now();
    let perfReport = null, loadFired = false, tNav = Date.now();
    cdp.on((m) => {
      if (m.sessionId !== s) return;
      const p = m.params;
      switch (m.method) {
        case "Network.requestWillBeSent":
          if (!reqs.has(p.requestId)) { inflight++; }
          reqs.set(p.requestId, { url: p.request.url, wire: 0, recv: 0, body: 0, enc: null, status: null, done: false, tStart: Date.now(), tEnd: null });
          lastNetActivity = Date.now(); break;
        case "Network.responseReceived": {
          const r = reqs.get(p.requestId); if (!r) break;
          const h = Object.fromEntries(Object.entries(p.response.headers || {}).map(([k, v]) => [k.toLowerCase(), v]));
          r.enc = h["content-encoding"] || "identity"; r.status = p.response.status; r.mime = p.response.mimeType;
          r.recv += p.response.encodedDataLength || 0;
          lastNetActivity = Date.now(); break; }
        case "Network.dataReceived": {
          const r = reqs.get(p.requestId); if (r) { r.body += p.dataLength; r.recv += p.encodedDataLength || 0; } lastNetActivity = Date.now(); break; }
        case "Network.loadingFinished": {
          const r = reqs.get(p.requestId); if (r && !r.done) { r.wire = p.encodedDataLength; r.done = true; r.tEnd = Date.now(); inflight--; }
          lastNetActivity = Date.now(); break; }
        case "Network.loadingFailed": {
          const r = reqs.get(p.requestId); if (r && !r.done) { r.done = true; r.failed = p.errorText; r.tEnd = Date.now(); inflight--; }
          lastNetActivity = Date.now(); break; }
        case "Runtime.bindingCalled":
          if (p.name === "__perfReport") {
            perfReport = JSON.parse(p.payload); perfReport.__wall = Date.now();
            // Snapshot when the page reported "visible": finished responses count fully
            // (wire bytes incl. headers), unfinished ones with what has arrived so far.
            perfReport.__bytes = [...reqs.values()].reduce((a, r) => a + (r.done ? r.wire : r.recv), 0);
          }
          break;
        case "Page.loadEventFired": loadFired = true; break;
      }
    });
    await cdp.send("Page.enable", {}, s);
    await cdp.send("Network.enable", {}, s);
    await cdp.send("Runtime.enable", {}, s);
    await cdp.send("Performance.enable", {}, s);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true }, s);
    await cdp.send("Runtime.addBinding", { name: "__perfReport" }, s);
    await cdp.send("Page.addScriptToEvaluateOnNewDocument", { source: observerSource(o.selector) }, s);
    if (o.viewport) await cdp.send("Emulation.setDeviceMetricsOverride", o.viewport, s);
    if (o.throttle) {
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: o.cpu }, s);
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false, latency: o.latencyMs,
        downloadThroughput: (o.downKbps * 1000) / 8, uploadThroughput: (o.upKbps * 1000) / 8,
      }, s);
    }
    tNav = Date.now();
    await cdp.send("Page.navigate", { url }, s);
    // Wait for the selector to be visible (fail fast if the document itself is an HTTP error).
    while (!perfReport && Date.now() - tNav < o.timeoutMs) {
      const doc = [...reqs.values()][0];
      if (doc && doc.status >= 400) { res.error = `document HTTP ${doc.status}`; break; }
      await sleep(20);
    }
    if (!perfReport && !res.error) {
      const st = await cdp.send("Runtime.evaluate", { expression: "JSON.stringify(window.__perfState||null)", returnByValue: true }, s).catch(() => null);
      res.error = `selector not visible within ${o.timeoutMs} ms`; res.state = st && st.result && st.result.value;
    }
    const bytesAtVisible = perfReport ? perfReport.__bytes : null;
    // Wait for load + network idle.
    while (Date.now() - tNav < o.timeoutMs + 30000) {
      if (loadFired && inflight <= 0 && Date.now() - lastNetActivity >= o.idleMs) break;
      await sleep(50);
    }
    // Calibration (after the measurement, so it does not delay the page): fixed busy
    // loop, best of 3; shows that the CPU throttling rate is really in effect.
    const nav = await cdp.send("Runtime.evaluate", {
      expression: `(() => { const n = performance.getEntriesByType("navigation")[0] || {}; const s = window.__perfState || {};
        let best = Infinity, x = 0;
        for (let k = 0; k < 3; k++) { const t0 = performance.now(); for (let i = 0; i < 2e6; i++) x = (x + i * 7) % 1000003; best = Math.min(best, performance.now() - t0); }
        window.__calibSink = x;
        const wasm = (window.__wasmMemories || []).reduce((a, m) => a + m.buffer.byteLength, 0);
        return JSON.stringify({ dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, fcp: s.fcp, calib: best, wasm }); })()`,
      returnByValue: true }, s);
    const navv = JSON.parse(nav.result.value);
    const metrics = await cdp.send("Performance.getMetrics", {}, s);
    const mm = Object.fromEntries(metrics.metrics.map((x) => [x.name, x.value]));
    let heapAfterGc = null;
    try { await cdp.send("HeapProfiler.collectGarbage", {}, s); heapAfterGc = (await cdp.send("Runtime.getHeapUsage", {}, s)).usedSize; } catch (e) {}
    const resources = [...reqs.values()].map((r) => ({ url: r.url, status: r.status, enc: r.enc, wire: r.wire, body: r.body, failed: r.failed,
      start_ms: r.tStart - tNav, end_ms: r.tEnd == null ? null : r.tEnd - tNav }));
    Object.assign(res, {
      url,
      selector_in_dom_ms: perfReport ? round(perfReport.in_dom) : null,
      selector_visible_ms: perfReport ? round(perfReport.visible) : null,
      next_frame_after_visible_ms: perfReport ? round(perfReport.next_frame) : null,
      fcp_ms: round(navv.fcp), dcl_ms: round(navv.dcl), load_ms: round(navv.load),
      bytes_at_visible: bytesAtVisible,
      bytes_total: resources.reduce((a, r) => a + (r.wire || 0), 0),
      body_bytes_total: resources.reduce((a, r) => a + (r.body || 0), 0),
      requests: resources.length,
      js_heap_used_bytes: mm.JSHeapUsedSize, js_heap_total_bytes: mm.JSHeapTotalSize,
      js_heap_used_after_gc_bytes: heapAfterGc,
      wasm_memory_bytes: navv.wasm,
      calib_loop_ms: round(navv.calib),
      resources,
    });
    if (o.click.length && o.expect && perfReport) {
      // Interaction check: click, then time until `expect` is visible (rAF polling in page).
      const expr = `new Promise(async (resolve) => { const sels = ${JSON.stringify(o.click)};
        const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
        const deepQuery = (root, sel) => { const el = root.querySelector(sel); if (el) return el; for (const h of root.querySelectorAll('*')) { if (h.shadowRoot) { const f = deepQuery(h.shadowRoot, sel); if (f) return f; } } return null; };
        let t0 = null;
        for (const sel of sels) {
          let el = null;
          for (let k = 0; k < 300 && !el; k++) { el = deepQuery(document, sel); if (!el) await frame(); }
          if (!el) return resolve(JSON.stringify({ error: "click target not found: " + sel }));
          if (t0 === null) t0 = performance.now();
          el.click(); await frame();
        }
        const vis = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && (!e.checkVisibility || e.checkVisibility({ visibilityProperty: true })); };
        const poll = () => { const x = deepQuery(document, ${JSON.stringify(o.expect)});
          if (x && vis(x)) return resolve(JSON.stringify({ ms: performance.now() - t0 }));
          if (performance.now() - t0 > 10000) return resolve(JSON.stringify({ error: "expect not visible in 10 s" }));
          requestAnimationFrame(poll); };
        poll(); })`;
      const r = await cdp.send("Runtime.evaluate", { expression: expr, awaitPromise: true, returnByValue: true }, s);
      const v = JSON.parse(r.result.value);
      res.click_to_expect_visible_ms = v.ms != null ? round(v.ms) : null; if (v.error) res.click_error = v.error;
    }
  } finally {
    try { await Promise.race([cdp.send("Browser.close"), sleep(2000)]); } catch (e) {}
    try { proc.kill("SIGKILL"); } catch (e) {}
    await sleep(100);
    try { rmSync(udd, { recursive: true, force: true }); } catch (e) {}
  }
  if (o.verbose) for (const r of res.resources || []) console.error(`${r.status} ${r.enc} wire=${r.wire} body=${r.body} ${r.url}`);
  return res;
}

function round(x) { return x == null || Number.isNaN(x) ? null : Math.round(x * 10) / 10; }
function median(xs) {
  const v = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const o = parseArgs(process.argv.slice(2));
const runs = [];
for (let i = 0; i < o.runs; i++) runs.push(await oneRun(o, i + 1));
const config = {
  url: o.url, selector: o.selector, runs: o.runs, throttle: o.throttle,
  ...(o.throttle ? { cpu_throttling_rate: o.cpu, down_kbps: o.downKbps, up_kbps: o.upKbps, latency_ms: o.latencyMs } : {}),
  ...(o.viewport ? { viewport: o.viewport } : {}),
  chromium: o.chromium, flags: CHROME_FLAGS,
};
{
  const keys = ["selector_in_dom_ms", "selector_visible_ms", "next_frame_after_visible_ms", "fcp_ms", "dcl_ms", "load_ms",
    "bytes_at_visible", "bytes_total", "body_bytes_total", "requests", "js_heap_used_bytes", "js_heap_used_after_gc_bytes",
    "wasm_memory_bytes", "calib_loop_ms", "click_to_expect_visible_ms"];
  const med = {};
  for (const k of keys) med[k] = median(runs.map((r) => r[k]));
  const slim = runs.map(({ resources, ...rest }) => rest);
  console.log(JSON.stringify({ config, median: med, runs: slim, resources_first_run: runs[0].resources }, null, 2));
}
