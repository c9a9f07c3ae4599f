#!/usr/bin/env node
// End-to-end test of the two web screens (issue 6) against the REAL stack:
// a private rop-stack (Postgres, Redis, every FastCGI app, nginx + nchan, the relay) on free
// loopback ports, driven by headless Chromium through playwright-core.
//
//   node tests/e2e/live.mjs             TAP on stdout, exit 1 on any failure
//   ROP_BIN=build-san/bin               binaries to run (default build/bin)
//   ROP_CHROMIUM=/path/to/chromium      (default /usr/bin/chromium)
//   ROP_TEST_KEEP=1                     keep the stack's directory (logs) after the run
//
// What it checks: a guest orders from the table page opened from the table's QR url (a double
// click makes exactly one order); the order is on the kitchen screen within 2 s without reload;
// Accept and Ready on the kitchen screen reach the guest page live within 2 s; an order committed
// while the relay is dead reaches the screen once it restarts; stopping nginx shows
// "reconnecting", and after nginx is back the screen is live again and shows the order placed
// while it was reconnecting (no missed order, no duplicate ticket).
// Screenshots: tests/out/screenshots/live-{kitchen,table}-{1280x800,1920x1080}.png.
// Bounded: every wait has a timeout, and a watchdog ends the run after 110 s.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SHOTS = path.join(ROOT, 'tests/out/screenshots');
const CHROMIUM = process.env.ROP_CHROMIUM || '/usr/bin/chromium';
const BIN = path.resolve(ROOT, process.env.ROP_BIN || 'build/bin');
const STACK = path.join(ROOT, 'scripts/rop-stack');
const RID = 'rst_001';
const T_START = Date.now();
const WATCHDOG_MS = 110_000;
const LIVE_MS = 2000; // SPEC §7: every event reaches live subscribers within 2 s

// ------------------------------------------------------------------ TAP

let n = 0;
let failed = 0;
let bailed = false;
async function test(name, fn) {
  n += 1;
  if (bailed) { console.log(`not ok ${n} - ${name} # skipped: an earlier step failed`); failed += 1; return false; }
  const t = Date.now();
  try {
    const note = await fn();
    console.log(`ok ${n} - ${name}${note ? ` (${note})` : ''}`);
    return true;
  } catch (e) {
    failed += 1;
    console.log(`not ok ${n} - ${name}`);
    for (const line of String((e && e.stack) || e).split('\n').slice(0, 10)) console.log(`# ${line}`);
    console.log(`# after ${Date.now() - t} ms`);
    return false;
  }
}
/** A step the following ones cannot do without: on failure the rest is reported as not ok. */
async function must(name, fn) { if (!(await test(name, fn))) bailed = true; }
function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ the private stack

let stackDir = null;
let stackStarting = null;
let browser = null;
let cleanedUp = false;

function stopStack() {
  if (!stackDir || cleanedUp) return;
  cleanedUp = true;
  if (stackStarting && stackStarting.exitCode === null) { try { stackStarting.kill('SIGTERM'); } catch { /* gone */ } }
  spawnSync(STACK, ['stop', '--dir', stackDir], { stdio: 'ignore', timeout: 30_000 });
  if (process.env.ROP_TEST_KEEP) console.log(`# stack kept in ${stackDir}`);
  else fs.rmSync(stackDir, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`# ${sig}: stopping the stack`);
    stopStack();
    process.exit(130);
  });
}
process.on('exit', stopStack); // last resort (synchronous)

const watchdog = setTimeout(async () => {
  console.log(`not ok ${n + 1} - watchdog: the run took longer than ${WATCHDOG_MS / 1000} s`);
  console.log(`1..${n + 1}`);
  try { if (browser) await Promise.race([browser.close(), sleep(3000)]); } catch { /* ignore */ }
  stopStack();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function run(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const p = spawn(STACK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (args[0] === 'start') stackStarting = p;
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { p.kill('SIGTERM'); reject(new Error(`rop-stack ${args.join(' ')}: timed out\n${out}`)); }, timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`rop-stack ${args.join(' ')}: exit ${code}\n${out}`));
    });
  });
}
const svc = (action, name) => run(['svc', '--dir', stackDir, action, name], 30_000);

function tailLogs() {
  if (!stackDir) return;
  for (const f of ['nginx-error.log', 'relay.log', 'auth.log', 'orders.log']) {
    const p = path.join(stackDir, 'log', f);
    if (!fs.existsSync(p)) continue;
    const lines = fs.readFileSync(p, 'utf8').trim().split('\n').slice(-5);
    for (const l of lines) console.log(`# ${f}: ${l.slice(0, 300)}`);
  }
}

// ------------------------------------------------------------------ API client

let BASE = '';
async function api(method, p, { token, body, headers = {}, timeout = 10_000 } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(BASE + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}
async function ok(method, p, opts, want = [200, 201]) {
  const r = await api(method, p, opts);
  assert(want.includes(r.status), `${method} ${p}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}
async function login(username) {
  const j = await ok('POST', '/v1/auth/login', { body: { restaurantId: RID, username, password: `${username}-pass` } }, [200]);
  assert(typeof j.token === 'string' && j.role, `login ${username}: token and role`);
  return j.token;
}
async function placeByApi(token, tableId, lines, note) {
  return ok('POST', `/v1/restaurants/${RID}/tables/${tableId}/orders`,
    { token, body: note ? { lines, note } : { lines }, headers: { 'Idempotency-Key': randomUUID() } }, [201]);
}
async function allOrders(token) {
  const out = [];
  let cursor = null;
  do {
    const j = await ok('GET', `/v1/restaurants/${RID}/kitchen/orders?status=ALL&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token }, [200]);
    out.push(...j.orders);
    cursor = j.nextCursor;
  } while (cursor);
  return out;
}

// ------------------------------------------------------------------ page helpers

const sel = (id) => `[data-testid="${id}"]`;
async function waitFn(page, fn, arg, timeout) { await page.waitForFunction(fn, arg, { timeout, polling: 50 }); }
const waitAttr = (page, id, attr, value, timeout) => waitFn(page, ([s, a, v]) => {
  const el = document.querySelector(s);
  return !!el && el.getAttribute(a) === v;
}, [sel(id), attr, value], timeout);
const waitInside = (page, parent, child, timeout) => waitFn(page, ([p, c]) => !!document.querySelector(`${p} ${c}`),
  [sel(parent), sel(child)], timeout);
const text = (page, id) => page.locator(sel(id)).first().textContent({ timeout: 5000 });
const connState = (page) => page.locator(sel('conn-state')).getAttribute('data-state', { timeout: 5000 });

/** Every data-state the conn-state element takes, with a timestamp, kept in window.__conn. */
async function recordConn(page) {
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid="conn-state"]');
    window.__conn = [{ s: el.dataset.state, t: Date.now() }];
    new MutationObserver(() => {
      const last = window.__conn[window.__conn.length - 1];
      if (last.s !== el.dataset.state) window.__conn.push({ s: el.dataset.state, t: Date.now() });
    }).observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });
}
const connHistory = (page) => page.evaluate(() => window.__conn.map((x) => x.s));
const ticketIds = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid^="ticket-"]')].map((e) => e.dataset.orderId));

// ------------------------------------------------------------------ run

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    /* No silent skips in CI (STYLE): a missing browser is a failure. */
    console.log(`Bail out! no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
    return 1;
  }
  if (!fs.existsSync(path.join(BIN, 'rop-health'))) {
    console.log(`Bail out! no binaries in ${BIN} (run make)`);
    return 1;
  }
  fs.mkdirSync(SHOTS, { recursive: true });

  const http = await freePort();
  let https = await freePort();
  while (https === http) https = await freePort();
  let internal = await freePort();
  while (internal === http || internal === https) internal = await freePort();
  stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rop-e2e.'));
  fs.chmodSync(stackDir, 0o755);
  BASE = `http://127.0.0.1:${http}`;

  let manager, waiter, qr, guestOrder;
  const apiOrders = {};
  const pageErrors = [];
  // SPEC §16.27: every page is served with exactly this policy, and none of it is violated.
  const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
  const cspViolations = [];
  const cspHeaders = new Map(); // page URL -> the Content-Security-Policy it came with

  await must('private stack starts on free ports', async () => {
    await run(['start', '--dir', stackDir, '--bin', BIN, '--http', String(http), '--https', String(https),
      '--internal', String(internal), '--quiet'], 60_000);
    const env = fs.readFileSync(path.join(stackDir, 'rop.env'), 'utf8');
    assert(env.includes(`ROP_HTTP_PORT='${http}'`), 'rop.env has our port');
    const r = await api('GET', '/health/ready');
    assert(r.status === 200, `ready: ${r.status}`);
    return `${BASE}, ${((Date.now() - T_START) / 1000).toFixed(1)} s`;
  });

  await must('manager and waiter log in; waiter opens tbl_001 (and tbl_002, tbl_003); manager gets the QR url', async () => {
    manager = await login('manager');
    waiter = await login('waiter');
    for (const t of ['tbl_001', 'tbl_002', 'tbl_003']) {
      const tb = await ok('POST', `/v1/restaurants/${RID}/tables/${t}/open`, { token: waiter }, [200]);
      assert(tb.status === 'OPEN' && tb.sessionId, `${t} open`);
    }
    qr = await ok('GET', `/v1/restaurants/${RID}/tables/tbl_001/qr`, { token: manager }, [200]);
    assert(qr.token && qr.url, 'qr has token and url');
    const u = new URL(qr.url);
    assert(u.pathname === `/${['t', RID, 'tbl_001'].join('/')}` && u.searchParams.get('token') === qr.token,
      `qr url is <base>/t/${RID}/tbl_001?token=…: ${qr.url}`);
    return qr.url.replace(/token=.*/, 'token=…');
  });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const newPage = async (viewport) => {
    const ctx = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    const page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    await page.exposeFunction('ropCspViolation', (v) => cspViolations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.ropCspViolation(`${location.pathname}: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    page.on('response', (r) => {
      if (r.request().resourceType() === 'document') cspHeaders.set(new URL(r.url()).pathname, r.headers()['content-security-policy']);
    });
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const t = m.text();
      // Expected while nginx is down: failed requests and refused connections.
      if (/Content-Security-Policy/.test(t)) cspViolations.push(`${page.url()}: console: ${t}`);
      if (/Failed to load resource|WebSocket connection to|EventSource|net::ERR_/.test(t)) return;
      pageErrors.push(`${page.url()}: console: ${t}`);
    });
    return page;
  };

  const kitchen = await newPage({ width: 1280, height: 800 });
  let kitchenLoads = 0;
  kitchen.on('load', () => { kitchenLoads += 1; });
  const kitchenSockets = [];
  kitchen.on('websocket', (ws) => kitchenSockets.push(ws.url()));

  await must('kitchen: /kitchen/ login as kitchen → board hydrated, connection "live"', async () => {
    await kitchen.goto(`${BASE}/kitchen/`, { timeout: 10_000 });
    await kitchen.locator(sel('login-form')).waitFor({ state: 'visible', timeout: 5000 });
    await kitchen.fill(sel('login-rid'), RID);
    await kitchen.fill(sel('login-username'), 'kitchen');
    await kitchen.fill(sel('login-password'), 'kitchen-pass');
    await kitchen.click(sel('login-submit'));
    await kitchen.locator(sel('column-PLACED')).waitFor({ state: 'visible', timeout: 5000 });
    await waitAttr(kitchen, 'conn-state', 'data-state', 'live', 8000);
    assert((await text(kitchen, 'who')).includes('KITCHEN'), 'role shown');
    assert(await text(kitchen, 'count-PLACED') === '0', 'no orders yet');
    assert(kitchenSockets.some((u) => /\/ws\?restaurant_id=rst_001&role=KITCHEN&access_token=/.test(u)), `live over WebSocket: ${kitchenSockets}`);
    await recordConn(kitchen);
  });

  const table = await newPage({ width: 1280, height: 800 });
  let tableLoads = 0;
  table.on('load', () => { tableLoads += 1; });
  const orderPosts = [];
  table.on('request', (r) => {
    if (r.method() === 'POST' && /\/tables\/tbl_001\/orders$/.test(r.url())) orderPosts.push(r.headers()['idempotency-key']);
  });

  await must('table: the QR url opens the menu (categories, prices, unavailable greyed) and goes live', async () => {
    await table.goto(qr.url, { timeout: 10_000 });
    await table.locator(sel('menu-item-itm_001')).waitFor({ state: 'visible', timeout: 5000 });
    assert((await text(table, 'table-label')).includes('001'), 'table label');
    const cats = await table.locator('[data-testid^="category-cat_"]').count();
    assert(cats >= 3, `≥ 3 categories, got ${cats}`);
    assert((await text(table, 'price-itm_001')) === '$12.50', `price of itm_001: ${await text(table, 'price-itm_001')}`);
    const unavailable = await table.locator('[data-testid^="menu-item-"][data-available="false"]').count();
    assert(unavailable >= 1, 'an unavailable item is marked');
    await waitAttr(table, 'conn-state', 'data-state', 'live', 8000);
    await recordConn(table);
  });

  await must('table: guest adds items and places the order with a double click → exactly one order', async () => {
    await table.click(sel('add-itm_001'));
    await table.click(sel('add-itm_001'));
    await table.click(sel('add-itm_008'));
    await table.fill(sel('line-note-itm_001'), 'no basil');
    await table.fill(sel('order-note'), 'window seat, starters first');
    assert(await text(table, 'qty-itm_001') === '2', 'qty 2');
    assert(await text(table, 'cart-total') === '$29.00', `total: ${await text(table, 'cart-total')}`);
    const resp = table.waitForResponse((r) => r.request().method() === 'POST' && /\/tables\/tbl_001\/orders$/.test(r.url()), { timeout: 10_000 });
    await table.dblclick(sel('place-order'));
    const r = await resp;
    assert(r.status() === 201, `POST status ${r.status()}`);
    guestOrder = await r.json();
    guestOrder.placedAt = Date.now();
    await table.locator(sel('order-ok')).waitFor({ state: 'visible', timeout: 5000 });
    await table.locator(sel(`order-${guestOrder.orderId}`)).waitFor({ state: 'visible', timeout: 5000 });
    await sleep(300); // a second POST (if any) would be on its way by now
    const all = await allOrders(manager);
    assert(all.length === 1, `exactly one order in the kitchen queue (ALL), got ${all.length}`);
    assert(all[0].orderId === guestOrder.orderId, 'it is the guest’s order');
    assert(new Set(orderPosts).size === 1, `one Idempotency-Key for the submit, got ${JSON.stringify(orderPosts)}`);
    const o = all[0];
    assert(o.status === 'PLACED' && o.lines.length === 2, 'PLACED with 2 lines');
    assert(o.note === 'window seat, starters first', `order note: ${o.note}`);
    assert(o.lines.some((l) => l.itemId === 'itm_001' && l.quantity === 2 && l.notes === 'no basil'), 'line 1 with note');
    assert(o.total.amountCents === 2900, `total ${o.total.amountCents}`);
    assert(await table.locator(sel('cart-empty')).isVisible(), 'cart emptied');
    return `${orderPosts.length} POST(s), 1 order`;
  });

  await test(`kitchen: the guest's order appears within ${LIVE_MS / 1000} s without reload, with table, lines and notes`, async () => {
    await waitInside(kitchen, 'column-PLACED', `ticket-${guestOrder.orderId}`, LIVE_MS);
    const ms = Date.now() - guestOrder.placedAt;
    assert(ms <= LIVE_MS, `took ${ms} ms`);
    const t = await text(kitchen, `ticket-${guestOrder.orderId}`);
    for (const s of ['Table 001', '2×', 'Margherita Pizza', 'no basil', '1×', 'Lemonade', 'window seat, starters first']) {
      assert(t.includes(s), `ticket has "${s}": ${t}`);
    }
    assert(await text(kitchen, 'count-PLACED') === '1', 'PLACED count 1');
    assert(await kitchen.locator(sel(`btn-accept-${guestOrder.orderId}`)).isVisible(), 'Accept button');
    assert(await kitchen.locator(sel(`btn-cancel-${guestOrder.orderId}`)).count() === 0, 'no Cancel for KITCHEN (SPEC §5: 403)');
    assert(kitchenLoads === 1, `no reload (loads: ${kitchenLoads})`);
    return `${ms} ms`;
  });

  for (const [action, status, column] of [['accept', 'ACCEPTED', 'ACCEPTED'], ['ready', 'READY', 'READY']]) {
    await test(`kitchen: ${action === 'accept' ? 'Accept' : 'Ready'} → ticket moves; guest page shows ${status} live within ${LIVE_MS / 1000} s`, async () => {
      const id = guestOrder.orderId;
      const resp = kitchen.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/v1/orders/${id}/${action}`), { timeout: 5000 });
      await kitchen.click(sel(`btn-${action}-${id}`), { timeout: 5000 });
      const r = await resp;
      assert(r.status() === 200, `${action}: ${r.status()} ${await r.text()}`);
      const t0 = Date.now();
      await waitAttr(table, `order-status-${id}`, 'data-status', status, LIVE_MS);
      const ms = Date.now() - t0;
      await waitInside(kitchen, `column-${column}`, `ticket-${id}`, 2000);
      assert(await text(kitchen, `count-${column}`) === '1', `${column} count`);
      assert(tableLoads === 1 && kitchenLoads === 1, 'no reloads');
      return `guest saw it ${ms} ms after the answer`;
    });
  }

  await test('kitchen: an order committed while the relay is dead shows up once the relay restarts', async () => {
    await svc('kill', 'relay');
    apiOrders.relay = await placeByApi(waiter, 'tbl_002', [{ itemId: 'itm_003', quantity: 1, notes: 'extra parmesan' }]);
    await sleep(500);
    const early = await kitchen.locator(sel(`ticket-${apiOrders.relay.orderId}`)).count();
    const t0 = Date.now();
    await svc('start', 'relay');
    await waitInside(kitchen, 'column-PLACED', `ticket-${apiOrders.relay.orderId}`, 5000);
    assert(await connState(kitchen) === 'live', 'still live');
    return early ? 'already shown before the restart' : `${Date.now() - t0} ms after the relay restarted`;
  });

  await test('kitchen: nginx stopped → "reconnecting"; an order placed right after nginx is back is shown; live again', async () => {
    await svc('stop', 'nginx');
    await waitFn(kitchen, () => ['reconnecting', 'offline'].includes(document.querySelector('[data-testid="conn-state"]').dataset.state), null, 5000);
    const shown = await text(kitchen, 'conn-state');
    assert(/reconnecting/i.test(shown), `conn-state text: ${shown}`);
    await sleep(1000);
    await svc('start', 'nginx');
    // Place right away: the screen is still reconnecting (backoff), so this one is not delivered
    // to it live — it must come from the catch-up (or nchan's buffer) on reconnect.
    let placed = null;
    for (let i = 0; i < 40 && !placed; i++) {
      try {
        placed = await placeByApi(waiter, 'tbl_003', [{ itemId: 'itm_002', quantity: 2 }, { itemId: 'itm_009', quantity: 1 }], 'allergy: nuts');
      } catch (e) { await sleep(100); }
    }
    assert(placed, 'order placed after nginx restart');
    apiOrders.nginx = placed;
    const wasLive = await connState(kitchen) === 'live';
    await waitAttr(kitchen, 'conn-state', 'data-state', 'live', 15_000);
    await waitInside(kitchen, 'column-PLACED', `ticket-${placed.orderId}`, 5000);
    const hist = await connHistory(kitchen);
    assert(hist.includes('reconnecting'), `history ${hist.join(' → ')}`);
    assert(hist[hist.length - 1] === 'live', `ends live: ${hist.join(' → ')}`);
    assert(kitchenLoads === 1, 'no reload');
    return `${hist.join(' → ')}${wasLive ? ' (already live when placed)' : ''}`;
  });

  await test('table: the guest page also recovers to "live" after the nginx restart', async () => {
    await waitAttr(table, 'conn-state', 'data-state', 'live', 15_000);
    const hist = await connHistory(table);
    assert(hist.includes('reconnecting'), `history ${hist.join(' → ')}`);
    return hist.join(' → ');
  });

  await test(`kitchen: after recovery a new order still arrives live within ${LIVE_MS / 1000} s`, async () => {
    const t0 = Date.now();
    apiOrders.after = await placeByApi(waiter, 'tbl_002', [{ itemId: 'itm_005', quantity: 1 }, { itemId: 'itm_010', quantity: 2 }]);
    await waitInside(kitchen, 'column-PLACED', `ticket-${apiOrders.after.orderId}`, LIVE_MS);
    return `${Date.now() - t0} ms`;
  });

  await test('kitchen: no missed and no duplicated order — the board equals the API', async () => {
    await sleep(1500); // let a restarted relay's re-deliveries (progress saved once a second) arrive
    const all = await allOrders(manager);
    const open = all.filter((o) => ['PLACED', 'ACCEPTED', 'READY'].includes(o.status)).map((o) => o.orderId).sort();
    const board = await ticketIds(kitchen);
    assert(board.length === new Set(board).size, `duplicate tickets: ${board.join(',')}`);
    assert(JSON.stringify([...board].sort()) === JSON.stringify(open), `board ${board.sort().join(',')} vs API ${open.join(',')}`);
    for (const s of ['PLACED', 'ACCEPTED', 'READY']) {
      const want = all.filter((o) => o.status === s).length;
      assert(await text(kitchen, `count-${s}`) === String(want), `count-${s} ${want}`);
    }
    return `${board.length} tickets`;
  });

  await test('kitchen: a MANAGER screen on EventSource (no WebSocket) cancels with a reason; both screens drop the ticket', async () => {
    const mgr = await newPage({ width: 1280, height: 800 });
    await mgr.addInitScript(() => { delete window.WebSocket; }); // force the EventSource fallback
    let es = 0;
    mgr.on('request', (r) => { if (r.url().includes('/ws?') && r.headers().accept === 'text/event-stream') es += 1; });
    try {
      await mgr.goto(`${BASE}/kitchen/`, { timeout: 10_000 });
      await mgr.fill(sel('login-username'), 'manager');
      await mgr.fill(sel('login-password'), 'manager-pass');
      await mgr.click(sel('login-submit'));
      await waitAttr(mgr, 'conn-state', 'data-state', 'live', 8000);
      assert(es >= 1, 'subscribed with EventSource');
      const o = apiOrders.after;
      await waitInside(mgr, 'column-PLACED', `ticket-${o.orderId}`, 5000);
      // Live over EventSource: a new order reaches this screen too.
      const fresh = await placeByApi(waiter, 'tbl_003', [{ itemId: 'itm_008', quantity: 1 }]);
      const t0 = Date.now();
      await waitInside(mgr, 'column-PLACED', `ticket-${fresh.orderId}`, LIVE_MS);
      const esMs = Date.now() - t0;
      apiOrders.fresh = fresh;
      await mgr.click(sel(`btn-cancel-${o.orderId}`));
      await mgr.locator(sel('cancel-dialog')).waitFor({ state: 'visible', timeout: 2000 });
      await mgr.fill(sel('cancel-reason'), 'Out of Caesar dressing');
      const resp = mgr.waitForResponse((r) => r.url().endsWith(`/v1/orders/${o.orderId}/cancel`), { timeout: 5000 });
      await mgr.click(sel('cancel-confirm'));
      const r = await resp;
      assert(r.status() === 200, `cancel: ${r.status()} ${await r.text()}`);
      assert(JSON.parse(r.request().postData()).reason === 'Out of Caesar dressing', 'reason sent');
      await waitFn(mgr, (id) => !document.querySelector(`[data-testid="ticket-${id}"]`), o.orderId, LIVE_MS);
      await waitFn(kitchen, (id) => !document.querySelector(`[data-testid="ticket-${id}"]`), o.orderId, LIVE_MS);
      const got = await ok('GET', `/v1/orders/${o.orderId}`, { token: manager }, [200]);
      assert(got.status === 'CANCELLED', `status ${got.status}`);
      return `EventSource delivery ${esMs} ms`;
    } finally {
      await mgr.context().close();
    }
  });

  await test('kitchen: a conflict is shown plainly — Accept on an order someone else just cancelled', async () => {
    const id = apiOrders.relay.orderId;
    // The manager cancels it over the API just before the screen's Accept reaches the server.
    await kitchen.route(`**/v1/orders/${id}/accept`, async (route) => {
      await ok('POST', `/v1/orders/${id}/cancel`, { token: manager, body: { reason: 'guest left' } }, [200]);
      await route.continue();
    });
    try {
      const resp = kitchen.waitForResponse((r) => r.url().endsWith(`/v1/orders/${id}/accept`), { timeout: 5000 });
      await kitchen.click(sel(`btn-accept-${id}`), { timeout: 5000 });
      const r = await resp;
      const j = await r.json();
      assert(r.status() === 409 && j.error.code === 'INVALID_ORDER_TRANSITION', `accept on CANCELLED: ${r.status()} ${JSON.stringify(j)}`);
      await kitchen.locator(sel('error-banner')).waitFor({ state: 'visible', timeout: 2000 });
      const msg = await text(kitchen, 'error-text');
      assert(/Table 002/.test(msg) && /already/i.test(msg) && /CANCELLED/.test(msg), `banner: ${msg}`);
      await waitFn(kitchen, (oid) => !document.querySelector(`[data-testid="ticket-${oid}"]`), id, LIVE_MS);
      return msg;
    } finally {
      await kitchen.unroute(`**/v1/orders/${id}/accept`);
    }
  });

  await test('screenshots of both pages at 1280×800 and 1920×1080', async () => {
    // Fill the board a little so the screenshots show every column.
    const more = await placeByApi(waiter, 'tbl_003', [{ itemId: 'itm_006', quantity: 2, notes: 'one with two spoons' }, { itemId: 'itm_009', quantity: 2 }]);
    await ok('POST', `/v1/orders/${more.orderId}/accept`, { token: manager }, [200]);
    const last = await placeByApi(waiter, 'tbl_002', [{ itemId: 'itm_004', quantity: 3 }]);
    await waitInside(kitchen, 'column-ACCEPTED', `ticket-${more.orderId}`, LIVE_MS);
    await waitInside(kitchen, 'column-PLACED', `ticket-${last.orderId}`, LIVE_MS);
    await sleep(1700); // the "fresh" highlight fades after 1.5 s
    if (await kitchen.locator(sel('error-banner')).isVisible()) await kitchen.click('#banner-close');
    await table.evaluate(() => window.scrollTo(0, 0));
    const files = [];
    for (const [w, hgt] of [[1280, 800], [1920, 1080]]) {
      for (const [name, page] of [['kitchen', kitchen], ['table', table]]) {
        await page.setViewportSize({ width: w, height: hgt });
        await sleep(150);
        const f = path.join(SHOTS, `live-${name}-${w}x${hgt}.png`);
        await page.screenshot({ path: f, timeout: 10_000 });
        assert(fs.statSync(f).size > 10_000, `${f} written`);
        files.push(path.basename(f));
      }
    }
    return files.join(', ');
  });

  await test('the API reference (/docs/) renders under the same CSP', async () => {
    const docs = await newPage({ width: 1280, height: 800 });
    await docs.goto(`${BASE}/docs/`);
    await docs.locator('h1').first().waitFor({ timeout: 20_000 });
    const sections = await docs.locator('h2').count();
    assert(sections >= 5, `Redoc rendered the sections: ${sections} h2`);
    const w = await docs.evaluate(() => getComputedStyle(document.querySelector('.menu-content')).width);
    assert(w !== 'auto' && parseInt(w, 10) > 100 && parseInt(w, 10) < 600, `Redoc's styles apply (sidebar ${w})`);
    // Search runs in Redoc's worker (started from /docs/redoc-search.worker.js, not a blob:).
    await docs.locator('input[placeholder="Search..."]').fill('login');
    const hits = docs.locator('[data-role="search:results"]');
    await hits.filter({ hasText: /login/i }).first().waitFor({ timeout: 10_000 });
    await docs.context().close();
    return `${sections} sections, sidebar ${w}, search finds "login"`;
  });

  await test('every page came with exactly the CSP of SPEC §16.27, and nothing violated it', async () => {
    const pages = [...cspHeaders.keys()];
    for (const want of ['/kitchen/', '/docs/']) assert(pages.includes(want), `${want} loaded: ${pages.join(' ')}`);
    assert(pages.some((p) => p.startsWith('/t/')), `a table page loaded: ${pages.join(' ')}`);
    for (const [p, h] of cspHeaders) assert(h === CSP, `${p}: Content-Security-Policy ${h}`);
    assert(cspViolations.length === 0, cspViolations.join('\n'));
    return pages.join(' ');
  });

  await test('no uncaught page errors', async () => {
    assert(pageErrors.length === 0, pageErrors.join('\n'));
  });
  return failed ? 1 : 0;
}

let rc = 1;
try {
  rc = await main();
} catch (e) {
  failed += 1;
  n += 1;
  console.log(`not ok ${n} - unexpected error`);
  for (const line of String((e && e.stack) || e).split('\n').slice(0, 12)) console.log(`# ${line}`);
  rc = 1;
} finally {
  if (failed) tailLogs();
  try { if (browser) await Promise.race([browser.close(), sleep(5000)]); } catch { /* ignore */ }
  stopStack();
  clearTimeout(watchdog);
}
if (n) console.log(`1..${n}`);
console.log(`# wall time ${((Date.now() - T_START) / 1000).toFixed(1)} s`);
process.exit(rc);
