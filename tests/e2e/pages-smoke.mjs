#!/usr/bin/env node
// Smoke test of the two web screens (issue 6) against a FAKE backend — no nginx, C apps or DB.
//
//   node tests/e2e/pages-smoke.mjs            (TAP on stdout, exit 1 on any failure)
//   ROP_CHROMIUM=/path/to/chromium            (default /usr/bin/chromium)
//
// One node http server on a free 127.0.0.1 port serves nginx/html exactly as nginx will
// (/kitchen/ -> kitchen/index.html, /t/{rid}/{tid} -> t/index.html, /shared/*.js, /t/table.js …)
// and mocks the API of SPEC §6 in memory. /ws speaks a minimal server→client WebSocket for staff
// channels (role=…) and refuses the upgrade for table channels, which then fall back to
// EventSource (Server-Sent Events): the kitchen exercises the WebSocket path, the table page the
// fallback. Screenshots go to tests/out/screenshots/.
//
// data-testid attributes the pages expose (for the live-stack e2e test):
//   kitchen  login-form login-rid login-username login-password login-submit login-error
//            conn-state (data-state = connecting|live|reconnecting|offline) restaurant-id who logout
//            error-banner error-text
//            column-PLACED column-ACCEPTED column-READY  count-PLACED count-ACCEPTED count-READY
//            empty-{STATUS}
//            ticket-{orderId} (data-status, data-age = ok|amber|red)  table-{orderId} age-{orderId}
//            note-{orderId}  btn-accept-{orderId} btn-ready-{orderId} btn-cancel-{orderId}
//            cancel-dialog cancel-reason cancel-confirm cancel-dismiss
//   table    conn-state table-label category-nav notice menu menu-error category-{categoryId}
//            menu-item-{itemId} (data-available) price-{itemId} add-{itemId} unavailable-{itemId}
//            cart cart-empty cart-line-{itemId} qty-{itemId} inc-{itemId} dec-{itemId} line-note-{itemId}
//            order-note cart-total order-error order-ok place-order cart-bar
//            orders order-{orderId} (data-status) order-status-{orderId} (data-status = PLACED|ACCEPTED|READY|PAID|CANCELLED)
// Kitchen query options: ?rid= (login default), ?amber=&red= (minutes).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID, createHash } from 'node:crypto';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const HTML = path.join(ROOT, 'nginx/html');
const SHOTS = path.join(ROOT, 'tests/out/screenshots');
const CHROMIUM = process.env.ROP_CHROMIUM || '/usr/bin/chromium';

// ------------------------------------------------------------------ fake backend state

const RID = 'rst_001';
const T0 = Date.now();
const iso = (ms) => new Date(ms).toISOString();
const money = (c) => ({ amountCents: c, currency: 'USD' });

function fakeJwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.fake-signature`;
}
const STAFF_TOKEN = fakeJwt({ sub: 'usr_kitchen', rid: RID, role: 'KITCHEN', iat: 1, exp: 4102444800, jti: 'j1' });
const MANAGER_TOKEN = fakeJwt({ sub: 'usr_manager', rid: RID, role: 'MANAGER', iat: 1, exp: 4102444800, jti: 'j2' });
const ROLE_OF = new Map([[STAFF_TOKEN, 'KITCHEN'], [MANAGER_TOKEN, 'MANAGER']]);
const tableToken = (tid) => `tt_${tid}`;

const MENU = {
  restaurantId: RID, menuVersion: 3, currency: 'USD', updatedAt: iso(T0),
  categories: [
    { categoryId: 'cat_starters', name: 'Starters', position: 2 },
    { categoryId: 'cat_mains', name: 'Mains', position: 1 },
    { categoryId: 'cat_drinks', name: 'Drinks', position: 3 },
  ],
  items: [
    { itemId: 'itm_001', name: 'Smash Burger', description: 'Two beef patties, cheddar, pickles, house sauce, brioche bun.', price: money(1250), isAvailable: true, categoryId: 'cat_mains' },
    { itemId: 'itm_002', name: 'Fries', description: 'Hand-cut, sea salt.', price: money(450), isAvailable: true, categoryId: 'cat_starters' },
    { itemId: 'itm_003', name: 'Lobster Bisque', description: 'Sold out tonight.', price: money(1400), isAvailable: false, categoryId: 'cat_starters' },
    { itemId: 'itm_004', name: 'Lemonade', description: '', price: money(350), isAvailable: true, categoryId: 'cat_drinks' },
    { itemId: 'itm_005', name: 'Mushroom Risotto', description: 'Carnaroli rice, porcini, parmesan, a little truffle oil <b>not bold</b>.', price: money(1690), isAvailable: true, categoryId: 'cat_mains' },
    { itemId: 'itm_006', name: 'Caesar Salad', description: 'Romaine, croutons, anchovy dressing.', price: money(990), isAvailable: true, categoryId: 'cat_starters' },
    { itemId: 'itm_007', name: 'Espresso', description: '', price: money(280), isAvailable: true, categoryId: 'cat_drinks' },
    { itemId: 'itm_008', name: 'Fish & Chips', description: 'Beer-battered cod, mushy peas.', price: money(1550), isAvailable: true, categoryId: 'cat_mains' },
  ],
};
const itemById = new Map(MENU.items.map((i) => [i.itemId, i]));

const S = {
  seq: 0,
  events: [],
  orders: new Map(),
  idem: new Map(),          // `${tid}|${key}` -> {body, orderId}
  requests: [],             // {method, path, query, headers, body}
  live: new Set(),          // subscribers: {send(text), kill(), tableId|null, transport}
  tables: { tbl_001: 'OPEN', tbl_002: 'CLOSED' },
  failNextOrderPosts: 0,
  orderPostDelayMs: 400,
  refuseWsUntil: 0,
};

let oseq = 0;
function makeOrder(tableId, lines, note, createdMs, status = 'PLACED') {
  const orderId = `ord_${String(++oseq).padStart(3, '0')}${randomUUID().slice(0, 6).toUpperCase()}`;
  const ls = lines.map((l, i) => {
    const it = itemById.get(l.itemId);
    return { lineId: `oln_${orderId}_${i}`, itemId: l.itemId, name: it.name, quantity: l.quantity,
      unitPrice: it.price, lineTotal: money(it.price.amountCents * l.quantity), notes: l.notes ?? null };
  });
  const o = { orderId, restaurantId: RID, tableId, sessionId: `ses_${tableId}`, status, lines: ls, note: note ?? null,
    total: money(ls.reduce((s, l) => s + l.lineTotal.amountCents, 0)), createdAt: iso(createdMs),
    acceptedAt: null, readyAt: null, paidAt: null, cancelledAt: null, version: 1 };
  S.orders.set(orderId, o);
  return o;
}

/** Append an event; deliver it live unless opts.live === false (simulates a lost message). */
function emit(type, payload, opts = {}) {
  const env = { event_id: randomUUID(), event_type: type, seq: ++S.seq, occurred_at: iso(Date.now()),
    trace_id: null, request_id: null, restaurant_id: RID, payload };
  S.events.push(env);
  if (opts.live !== false) deliver(env);
  return env;
}
function deliver(env) {
  for (const c of S.live) {
    if (c.tableId && c.tableId !== env.payload.tableId) continue;
    c.send(JSON.stringify(env), env.seq);
  }
}
function dropLive() { for (const c of S.live) c.kill(); S.live.clear(); }
function placedPayload(o) {
  return { orderId: o.orderId, tableId: o.tableId, sessionId: o.sessionId, lines: o.lines, total: o.total, note: o.note, createdAt: o.createdAt };
}

// Seed: three PLACED (one 25 min old, one 12 min, one 1 min), one ACCEPTED, one READY.
const seedRed = makeOrder('tbl_003', [{ itemId: 'itm_001', quantity: 2, notes: 'no pickles, extra sauce' }, { itemId: 'itm_002', quantity: 1 }], 'Birthday — bring the candle', T0 - 25 * 60e3);
const seedAmber = makeOrder('tbl_004', [{ itemId: 'itm_005', quantity: 1 }], null, T0 - 12 * 60e3);
const seedNew = makeOrder('tbl_007', [{ itemId: 'itm_008', quantity: 3 }, { itemId: 'itm_004', quantity: 3, notes: 'no ice' }], null, T0 - 60e3);
const seedAccepted = makeOrder('tbl_005', [{ itemId: 'itm_006', quantity: 1 }, { itemId: 'itm_007', quantity: 2 }], null, T0 - 4 * 60e3, 'ACCEPTED');
const seedReady = makeOrder('tbl_006', [{ itemId: 'itm_004', quantity: 4 }], null, T0 - 9 * 60e3, 'READY');
for (const o of [seedRed, seedAmber, seedNew, seedAccepted, seedReady]) emit('order.placed', placedPayload(o));

// ------------------------------------------------------------------ fake backend HTTP

function sendJson(res, status, obj, headers = {}) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': randomUUID(), ...headers });
  res.end(body);
}
const fail = (res, status, code, message, details = {}) =>
  sendJson(res, status, { error: { code, message, details }, requestId: 'req_mock' }, status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
const bearer = (req) => (/^Bearer (.+)$/.exec(req.headers.authorization || '') || [])[1];
const byNewest = (a, b) => (a.createdAt === b.createdAt ? (a.orderId < b.orderId ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

const TRANSITIONS = { accept: ['PLACED', 'ACCEPTED', 'acceptedAt', 'order.accepted'], ready: ['ACCEPTED', 'READY', 'readyAt', 'order.ready'], cancel: [null, 'CANCELLED', 'cancelledAt', 'order.cancelled'] };

async function api(req, res, url, body) {
  const p = url.pathname;
  const q = url.searchParams;
  let m;
  const role = ROLE_OF.get(bearer(req));
  const staff = !!role;

  if (p === '/v1/auth/login' && req.method === 'POST') {
    if (body && body.restaurantId === RID && body.username === 'kitchen' && body.password === 'kitchen-pass') {
      return sendJson(res, 200, { token: STAFF_TOKEN, expiresAt: iso(Date.now() + 3600e3), role: 'KITCHEN' });
    }
    if (body && body.restaurantId === RID && body.username === 'manager' && body.password === 'manager-pass') {
      return sendJson(res, 200, { token: MANAGER_TOKEN, expiresAt: iso(Date.now() + 3600e3), role: 'MANAGER' });
    }
    return fail(res, 401, 'UNAUTHORIZED', 'invalid credentials');
  }
  if (p === `/v1/restaurants/${RID}/menu` && req.method === 'GET') {
    return sendJson(res, 200, MENU, { ETag: `"menu-v${MENU.menuVersion}"` });
  }
  if (p === `/v1/restaurants/${RID}/kitchen/orders`) {
    if (!staff) return fail(res, 401, 'UNAUTHORIZED', 'missing token');
    const status = q.get('status') || 'PLACED';
    const limit = Number(q.get('limit') || 50);
    const all = [...S.orders.values()].filter((o) => status === 'ALL' || o.status === status).sort(byNewest);
    const start = q.get('cursor') ? Number(Buffer.from(q.get('cursor'), 'base64url').toString()) : 0;
    const size = Math.min(limit, 2); // tiny pages so the client's nextCursor loop is exercised
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : null;
    return sendJson(res, 200, { orders: page, nextCursor: next });
  }
  if (p === `/v1/restaurants/${RID}/events`) {
    if (!staff) return fail(res, 401, 'UNAUTHORIZED', 'missing token');
    const after = Number(q.get('after') || 0);
    const limit = Math.min(Number(q.get('limit') || 100), 3); // tiny pages: exercise the paging loop
    const evs = S.events.filter((e) => e.seq > after).slice(0, limit);
    return sendJson(res, 200, { events: evs, lastSeq: evs.length ? evs[evs.length - 1].seq : after, headSeq: S.seq });
  }
  if ((m = /^\/v1\/orders\/([A-Za-z0-9_-]+)$/.exec(p)) && req.method === 'GET') {
    const o = S.orders.get(m[1]);
    if (!o) return fail(res, 404, 'ORDER_NOT_FOUND', 'no such order');
    if (!staff && bearer(req) !== tableToken(o.tableId)) return fail(res, 401, 'UNAUTHORIZED', 'bad token');
    return sendJson(res, 200, o);
  }
  if ((m = /^\/v1\/orders\/([A-Za-z0-9_-]+)\/(accept|ready|cancel)$/.exec(p)) && req.method === 'POST') {
    if (!staff) return fail(res, 401, 'UNAUTHORIZED', 'missing token');
    const o = S.orders.get(m[1]);
    if (!o) return fail(res, 404, 'ORDER_NOT_FOUND', 'no such order');
    const [from, to, stamp, type] = TRANSITIONS[m[2]];
    if (m[2] === 'cancel' && role === 'KITCHEN') return fail(res, 403, 'FORBIDDEN', 'KITCHEN may not cancel'); // SPEC §5
    if (m[2] === 'cancel' && !(body && typeof body.reason === 'string' && body.reason.length)) {
      return fail(res, 400, 'VALIDATION_ERROR', 'reason is required', { field: 'reason' });
    }
    if (o.status === to) return sendJson(res, 200, o);
    const ok = from ? o.status === from : (o.status === 'PLACED' || o.status === 'ACCEPTED');
    if (!ok) return fail(res, 409, 'INVALID_ORDER_TRANSITION', `cannot go from ${o.status} to ${to}`, { from: o.status, to });
    o.status = to; o[stamp] = iso(Date.now()); o.version += 1;
    emit(type, { orderId: o.orderId, tableId: o.tableId, [stamp]: o[stamp], ...(m[2] === 'cancel' ? { reason: body.reason } : {}) });
    return sendJson(res, 200, o);
  }
  if ((m = new RegExp(`^/v1/restaurants/${RID}/tables/([A-Za-z0-9_-]+)/orders$`).exec(p)) && req.method === 'POST') {
    const tid = m[1];
    if (!staff && bearer(req) !== tableToken(tid)) return fail(res, 401, 'UNAUTHORIZED', 'bad table token');
    await new Promise((r) => setTimeout(r, S.orderPostDelayMs));
    if (S.failNextOrderPosts > 0) { S.failNextOrderPosts -= 1; return fail(res, 503, 'SERVICE_UNAVAILABLE', 'database unreachable'); }
    if (S.tables[tid] !== 'OPEN') return fail(res, 409, 'TABLE_NOT_OPEN', 'table is not open');
    const key = req.headers['idempotency-key'];
    const canon = JSON.stringify(body);
    if (key && S.idem.has(`${tid}|${key}`)) {
      const prev = S.idem.get(`${tid}|${key}`);
      if (prev.body !== canon) return fail(res, 409, 'IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD', 'different payload');
      return sendJson(res, 201, S.orders.get(prev.orderId), { 'Idempotent-Replayed': 'true' });
    }
    for (const l of body.lines) {
      const it = itemById.get(l.itemId);
      if (!it) return fail(res, 400, 'ITEM_NOT_FOUND', 'no such item', { itemId: l.itemId });
      if (!it.isAvailable) return fail(res, 400, 'ITEM_UNAVAILABLE', 'item unavailable', { itemId: l.itemId });
    }
    const o = makeOrder(tid, body.lines, body.note, Date.now());
    if (key) S.idem.set(`${tid}|${key}`, { body: canon, orderId: o.orderId });
    emit('order.placed', placedPayload(o));
    return sendJson(res, 201, o);
  }
  return fail(res, 404, 'NOT_FOUND', `mock has no route for ${req.method} ${p}`);
}

function liveChannel(req, res, url) {
  const q = url.searchParams;
  const tok = q.get('access_token');
  const tableId = q.get('table_id');
  if (Date.now() < S.refuseWsUntil) { res.writeHead(503); return res.end(); }
  if (!q.get('restaurant_id')) { res.writeHead(400); return res.end(); }
  if (!ROLE_OF.has(tok) && !(tableId && tok === tableToken(tableId))) { res.writeHead(401); return res.end(); }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.write(': hello\n\n');
  const c = { tableId, transport: 'eventsource', send: (t, id) => res.write(`id: ${id}\ndata: ${t}\n\n`), kill: () => res.destroy() };
  S.live.add(c);
  res.on('close', () => S.live.delete(c)); // (req 'close' fires once the request body is read)
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

// The pages' Content-Security-Policy exactly as nginx sends it (nginx/snippets/security-headers.conf),
// so a page that needs an inline script or style fails here too (SPEC §16.27).
const CSP = (() => {
  const conf = fs.readFileSync(path.join(ROOT, 'nginx/snippets/security-headers.conf'), 'utf8');
  const m = conf.match(/^add_header Content-Security-Policy "([^"]+)" always;$/m);
  if (!m) throw new Error('no Content-Security-Policy in nginx/snippets/security-headers.conf');
  return m[1];
})();
const cspViolations = [];

function serveStatic(req, res, url) {
  let rel = decodeURIComponent(url.pathname);
  if (rel === '/kitchen' ) { res.writeHead(301, { Location: '/kitchen/' }); return res.end(); }
  if (rel.endsWith('/')) rel += 'index.html';
  if (/^\/t\/[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}\/?$/.test(url.pathname)) rel = '/t/index.html'; // as nginx will
  const file = path.normalize(path.join(HTML, rel));
  if (!file.startsWith(HTML + path.sep)) { res.writeHead(403); return res.end(); }
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404, { 'Content-Type': 'text/plain' }); return res.end('not found'); }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store',
      'Content-Security-Policy': CSP });
    res.end(data);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  let raw = '';
  req.on('data', (d) => { raw += d; });
  req.on('end', async () => {
    let body;
    if (raw) { try { body = JSON.parse(raw); } catch { return fail(res, 400, 'MALFORMED_JSON', 'bad json'); } }
    if (url.pathname.startsWith('/v1/')) {
      S.requests.push({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body });
      try { await api(req, res, url, body); } catch (e) { fail(res, 500, 'MOCK_BUG', String(e && e.stack)); }
    } else if (url.pathname === '/ws') {
      S.requests.push({ method: req.method, path: url.pathname, query: url.search, headers: req.headers });
      liveChannel(req, res, url);
    } else {
      serveStatic(req, res, url);
    }
  });
});
// Minimal WebSocket (RFC 6455) for staff channels: handshake + unmasked text frames server→client.
function wsFrame(text) {
  const p = Buffer.from(text);
  let hdr;
  if (p.length < 126) hdr = Buffer.from([0x81, p.length]);
  else if (p.length < 65536) { hdr = Buffer.alloc(4); hdr[0] = 0x81; hdr[1] = 126; hdr.writeUInt16BE(p.length, 2); }
  else { hdr = Buffer.alloc(10); hdr[0] = 0x81; hdr[1] = 127; hdr.writeBigUInt64BE(BigInt(p.length), 2); }
  return Buffer.concat([hdr, p]);
}
server.on('upgrade', (req, socket) => {
  const url = new URL(req.url, 'http://x');
  const q = url.searchParams;
  S.requests.push({ method: 'UPGRADE', path: url.pathname, query: url.search, headers: req.headers });
  socket.on('error', () => {});
  const refuse = (status) => socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  if (url.pathname !== '/ws' || !q.get('role')) return refuse('400 Bad Request'); // table channels: EventSource only here
  if (Date.now() < S.refuseWsUntil) return refuse('503 Service Unavailable');
  if (!ROLE_OF.has(q.get('access_token'))) return refuse('401 Unauthorized');
  const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const c = { tableId: null, transport: 'websocket', send: (t) => socket.write(wsFrame(t)), kill: () => socket.destroy() };
  S.live.add(c);
  socket.on('data', (d) => { if ((d[0] & 0x0f) === 8) socket.destroy(); }); // client close frame
  socket.on('close', () => S.live.delete(c));
});

// ------------------------------------------------------------------ tiny TAP harness

let n = 0;
let failed = 0;
async function test(name, fn) {
  n += 1;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok ${n} - ${name}`);
    for (const line of String((e && e.stack) || e).split('\n').slice(0, 8)) console.log(`# ${line}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }
const tid = (id) => `[data-testid="${id}"]`;
const text = (page, id) => page.locator(tid(id)).first().textContent({ timeout: 5000 });
async function waitFor(page, fn, arg, timeout = 5000) { await page.waitForFunction(fn, arg, { timeout }); }
const waitTestid = (page, id, state = 'visible', timeout = 5000) => page.locator(tid(id)).first().waitFor({ state, timeout });
const waitAttr = (page, id, attr, value, timeout = 5000) => waitFor(page, ([sel, a, v]) => {
  const el = document.querySelector(sel);
  return el && el.getAttribute(a) === v;
}, [tid(id), attr, value], timeout);
const waitInside = (page, parentId, childId, timeout = 5000) => waitFor(page, ([p, c]) => !!document.querySelector(`${p} ${c}`),
  [tid(parentId), tid(childId)], timeout);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const reqs = (pred) => S.requests.filter(pred);

// ------------------------------------------------------------------ run

await new Promise((r) => server.listen(0, '127.0.0.1', r));
const BASE = `http://127.0.0.1:${server.address().port}`;
console.log(`# serving ${HTML} and a fake API on ${BASE}`);
fs.mkdirSync(SHOTS, { recursive: true });

if (!fs.existsSync(CHROMIUM)) {
  /* No silent skips in CI (STYLE): a missing browser is a failure. */
  console.log(`Bail out! no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

const pageErrors = [];
async function newPage(viewport) {
  const ctx = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  const page = await ctx.newPage();
  await page.exposeFunction('ropCspViolation', (v) => cspViolations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.ropCspViolation(`${location.pathname}: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    if (/Content-Security-Policy/.test(t)) cspViolations.push(`${page.url()}: console: ${t}`);
    // Expected noise: HTTP error answers the pages handle, and the refused WebSocket handshake.
    if (/Failed to load resource|WebSocket connection to|EventSource's response/.test(t)) return;
    pageErrors.push(`${page.url()}: console: ${t}`);
  });
  return page;
}

try {
  const kitchen = await newPage({ width: 1280, height: 800 });

  await test('kitchen: login form renders, restaurant defaults to rst_001', async () => {
    await kitchen.goto(`${BASE}/kitchen/?amber=10&red=20`);
    await waitTestid(kitchen, 'login-form');
    assert(await kitchen.locator(tid('login-rid')).inputValue() === 'rst_001', 'rid default');
    await kitchen.screenshot({ path: path.join(SHOTS, 'kitchen-login-1280x800.png') });
  });

  await test('kitchen: wrong password is refused plainly', async () => {
    await kitchen.fill(tid('login-username'), 'kitchen');
    await kitchen.fill(tid('login-password'), 'nope');
    await kitchen.click(tid('login-submit'));
    await waitTestid(kitchen, 'login-error');
    assert(/Wrong restaurant, username or password/.test(await text(kitchen, 'login-error')), 'error text');
  });

  await test('kitchen: login → board hydrated over paged REST with counts', async () => {
    await kitchen.fill(tid('login-password'), 'kitchen-pass');
    await kitchen.click(tid('login-submit'));
    await waitTestid(kitchen, 'column-PLACED');
    await waitFor(kitchen, () => document.querySelector('[data-testid="count-PLACED"]').textContent === '3');
    assert(await text(kitchen, 'count-ACCEPTED') === '1', 'ACCEPTED count');
    assert(await text(kitchen, 'count-READY') === '1', 'READY count');
    await waitInside(kitchen, 'column-ACCEPTED', `ticket-${seedAccepted.orderId}`);
    assert(reqs((r) => r.path.endsWith('/kitchen/orders') && /cursor=/.test(r.query)).length >= 1, 'followed nextCursor');
    const login = reqs((r) => r.path === '/v1/auth/login').pop();
    assert(login.body.restaurantId === 'rst_001' && login.body.username === 'kitchen', 'login body');
    assert(await kitchen.evaluate(() => !!sessionStorage.getItem('rop.kitchen.session')), 'token in sessionStorage');
  });

  await test('kitchen: ticket shows table, quantities, line notes and order note', async () => {
    const t = await text(kitchen, `ticket-${seedRed.orderId}`);
    for (const s of ['Table 003', '2×', 'Smash Burger', 'no pickles, extra sauce', 'Birthday — bring the candle']) assert(t.includes(s), `ticket has ${s}: ${t}`);
  });

  await test('kitchen: live connection over WebSocket reaches "live"', async () => {
    await waitAttr(kitchen, 'conn-state', 'data-state', 'live', 8000);
    assert(reqs((r) => r.method === 'UPGRADE' && /role=KITCHEN/.test(r.query) && /access_token=/.test(r.query)).length >= 1, '/ws subscribed with role and token');
    assert([...S.live].some((c) => c.transport === 'websocket'), 'a WebSocket subscriber');
  });

  await test('kitchen: ticket age colours (amber ≥10 min, red ≥20 min)', async () => {
    await waitAttr(kitchen, `ticket-${seedRed.orderId}`, 'data-age', 'red');
    await waitAttr(kitchen, `ticket-${seedAmber.orderId}`, 'data-age', 'amber');
    await waitAttr(kitchen, `ticket-${seedNew.orderId}`, 'data-age', 'ok');
    assert(/^\d+:\d\d$/.test((await text(kitchen, `age-${seedRed.orderId}`)).trim()), 'age text like 25:03');
  });

  let live1;
  await test('kitchen: an order.placed event appears within 2 s without reload', async () => {
    live1 = makeOrder('tbl_009', [{ itemId: 'itm_001', quantity: 1, notes: 'medium rare' }], null, Date.now());
    const t = Date.now();
    emit('order.placed', placedPayload(live1));
    await waitInside(kitchen, 'column-PLACED', `ticket-${live1.orderId}`, 2000);
    assert(Date.now() - t < 2000, 'within 2 s');
    assert(await text(kitchen, 'count-PLACED') === '4', 'count updated');
  });

  await test('kitchen: a duplicate envelope (same seq) is ignored', async () => {
    deliver(S.events[S.events.length - 1]);
    await sleep(300);
    assert(await kitchen.locator(tid(`ticket-${live1.orderId}`)).count() === 1, 'one ticket');
    assert(await text(kitchen, 'count-PLACED') === '4', 'count unchanged');
  });

  await test('kitchen: Accept calls POST /accept with the bearer token and moves the ticket', async () => {
    const before = S.requests.length;
    await kitchen.click(tid(`btn-accept-${seedNew.orderId}`));
    await waitInside(kitchen, 'column-ACCEPTED', `ticket-${seedNew.orderId}`);
    const r = S.requests.slice(before).find((x) => x.path === `/v1/orders/${seedNew.orderId}/accept`);
    assert(r && r.method === 'POST', 'accept called');
    assert(r.headers.authorization === `Bearer ${STAFF_TOKEN}`, 'bearer token');
    assert(JSON.stringify(r.body) === '{}', 'empty object body');
    assert(await text(kitchen, 'count-ACCEPTED') === '2', 'ACCEPTED count 2');
  });

  await test('kitchen: Ready moves an accepted ticket to READY', async () => {
    await kitchen.click(tid(`btn-ready-${seedAccepted.orderId}`));
    await waitInside(kitchen, 'column-READY', `ticket-${seedAccepted.orderId}`);
  });

  await test('kitchen: conflicting accept (order already READY) shows "Someone already moved this order"', async () => {
    const o = makeOrder('tbl_008', [{ itemId: 'itm_002', quantity: 2 }], null, Date.now());
    emit('order.placed', placedPayload(o));
    await waitInside(kitchen, 'column-PLACED', `ticket-${o.orderId}`);
    o.status = 'READY'; // moved on elsewhere, events not delivered yet
    await kitchen.click(tid(`btn-accept-${o.orderId}`));
    await waitTestid(kitchen, 'error-banner');
    const msg = await text(kitchen, 'error-text');
    assert(/Someone already moved this order \(READY/.test(msg), `message: ${msg}`);
    await waitInside(kitchen, 'column-READY', `ticket-${o.orderId}`);
    await kitchen.click('#banner-close');
  });

  await test('kitchen: Cancel (MANAGER on a second screen) asks for a reason and posts it; KITCHEN has no Cancel', async () => {
    // SPEC §5: KITCHEN may accept and ready but not cancel (403); MANAGER/ADMIN may.
    assert(await kitchen.locator('[data-testid^="btn-cancel-"]').count() === 0, 'no Cancel button for KITCHEN');
    const mgr = await newPage({ width: 1280, height: 800 });
    await mgr.goto(`${BASE}/kitchen/`);
    await waitTestid(mgr, 'login-form');
    await mgr.fill(tid('login-username'), 'manager');
    await mgr.fill(tid('login-password'), 'manager-pass');
    await mgr.click(tid('login-submit'));
    await waitInside(mgr, 'column-PLACED', `ticket-${live1.orderId}`);
    await mgr.click(tid(`btn-cancel-${live1.orderId}`));
    await waitTestid(mgr, 'cancel-dialog');
    await mgr.fill(tid('cancel-reason'), 'Out of buns');
    await mgr.screenshot({ path: path.join(SHOTS, 'kitchen-cancel-1280x800.png') });
    await mgr.click(tid('cancel-confirm'));
    await waitTestid(mgr, `ticket-${live1.orderId}`, 'detached');
    await waitTestid(kitchen, `ticket-${live1.orderId}`, 'detached'); // the other screen, live
    const r = reqs((x) => x.path === `/v1/orders/${live1.orderId}/cancel`).pop();
    assert(r && r.body.reason === 'Out of buns', 'reason sent');
    assert(r.headers.authorization === `Bearer ${MANAGER_TOKEN}`, 'with the manager token');
    await mgr.context().close();
  });

  await test('kitchen: a seq gap triggers /events catch-up and nothing is missed', async () => {
    const a = makeOrder('tbl_010', [{ itemId: 'itm_006', quantity: 1 }], null, Date.now());
    const b = makeOrder('tbl_010', [{ itemId: 'itm_007', quantity: 1 }], null, Date.now());
    const before = S.requests.length;
    emit('order.placed', placedPayload(a), { live: false }); // lost on the way
    emit('order.placed', placedPayload(b));
    await waitInside(kitchen, 'column-PLACED', `ticket-${b.orderId}`);
    await waitInside(kitchen, 'column-PLACED', `ticket-${a.orderId}`);
    assert(S.requests.slice(before).some((r) => r.path.endsWith('/events') && /after=\d+/.test(r.query)), 'catch-up called');
  });

  let missed;
  await test('kitchen: dropped live connection shows "reconnecting", then recovers with no missed order', async () => {
    S.refuseWsUntil = Date.now() + 1500;
    dropLive();
    await waitAttr(kitchen, 'conn-state', 'data-state', 'reconnecting', 3000);
    missed = makeOrder('tbl_001', [{ itemId: 'itm_002', quantity: 1 }], null, Date.now());
    emit('order.placed', placedPayload(missed)); // nobody is listening
    await waitAttr(kitchen, 'conn-state', 'data-state', 'live', 10000);
    await waitInside(kitchen, 'column-PLACED', `ticket-${missed.orderId}`, 3000);
  });

  await test('kitchen: browser offline shows "offline", back online recovers to "live"', async () => {
    await kitchen.context().setOffline(true);
    await waitAttr(kitchen, 'conn-state', 'data-state', 'offline', 3000);
    await kitchen.context().setOffline(false);
    await waitAttr(kitchen, 'conn-state', 'data-state', 'live', 10000);
  });

  await test('kitchen: screenshots 1280×800 and 1920×1080', async () => {
    await kitchen.screenshot({ path: path.join(SHOTS, 'kitchen-1280x800.png') });
    await kitchen.setViewportSize({ width: 1920, height: 1080 });
    await sleep(200);
    await kitchen.screenshot({ path: path.join(SHOTS, 'kitchen-1920x1080.png') });
    await kitchen.setViewportSize({ width: 1280, height: 800 });
  });

  // ---------------------------------------------------------------- table page
  const table = await newPage({ width: 390, height: 844 });
  const TURL = `${BASE}/t/${RID}/tbl_001?token=${tableToken('tbl_001')}`;

  await test('table: menu renders grouped by category position; prices; unavailable greyed', async () => {
    await table.goto(TURL);
    await waitTestid(table, 'menu-item-itm_001');
    const heads = await table.locator('.category h2').allTextContents();
    assert(JSON.stringify(heads) === JSON.stringify(['Mains', 'Starters', 'Drinks']), `order ${heads}`);
    assert(await text(table, 'price-itm_001') === '$12.50', 'price');
    assert(await table.locator(tid('menu-item-itm_003')).getAttribute('data-available') === 'false', 'unavailable flag');
    assert(await table.locator(tid('add-itm_003')).count() === 0, 'no add button on unavailable');
    assert((await text(table, 'menu-item-itm_005')).includes('<b>not bold</b>'), 'text escaped, not HTML');
    await waitAttr(table, 'conn-state', 'data-state', 'live', 8000);
    assert(reqs((r) => r.method === 'UPGRADE' && /table_id=tbl_001/.test(r.query)).length >= 1, 'tried WebSocket first');
    assert(reqs((r) => r.method === 'GET' && r.path === '/ws' && /table_id=tbl_001/.test(r.query)
      && /text\/event-stream/.test(r.headers.accept || '')).length >= 1, 'fell back to EventSource on the table channel');
  });

  let guestOrder;
  await test('table: cart + double-click "Place order" makes exactly one POST with one Idempotency-Key', async () => {
    await table.click(tid('add-itm_001'));
    await table.click(tid('add-itm_001'));
    await table.click(tid('add-itm_004'));
    assert(await text(table, 'qty-itm_001') === '2', 'qty 2');
    await table.fill(tid('line-note-itm_001'), 'no onions');
    await table.fill(tid('order-note'), 'We are in a hurry');
    assert(await text(table, 'cart-total') === '$28.50', 'total');
    const before = S.requests.length;
    await table.screenshot({ path: path.join(SHOTS, 'table-cart-390x844.png'), fullPage: false });
    await table.dblclick(tid('place-order'));
    await table.evaluate(() => document.querySelector('[data-testid="place-order"]').click()); // a third tap, bypassing disabled
    await waitTestid(table, 'order-ok');
    const posts = S.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/tables/tbl_001/orders'));
    assert(posts.length === 1, `one POST, got ${posts.length}`);
    const p = posts[0];
    assert(/^[0-9a-f-]{36}$/.test(p.headers['idempotency-key'] || ''), 'uuid key');
    assert(p.headers.authorization === `Bearer ${tableToken('tbl_001')}`, 'table token');
    assert(JSON.stringify(p.body) === JSON.stringify({ lines: [{ itemId: 'itm_001', quantity: 2, notes: 'no onions' }, { itemId: 'itm_004', quantity: 1 }], note: 'We are in a hurry' }), JSON.stringify(p.body));
    guestOrder = [...S.orders.values()].pop();
    await waitTestid(table, `order-${guestOrder.orderId}`);
    assert(await table.locator(tid(`order-status-${guestOrder.orderId}`)).getAttribute('data-status') === 'PLACED', 'PLACED');
    assert(await table.locator(tid('cart-empty')).isVisible(), 'cart cleared');
  });

  await test('table: a failed submit is retried with the same Idempotency-Key; a new cart gets a new one', async () => {
    S.failNextOrderPosts = 1;
    await table.click(tid('add-itm_007'));
    const before = S.requests.length;
    await table.click(tid('place-order'));
    await waitTestid(table, 'order-error');
    assert(/busy/.test(await text(table, 'order-error')), 'plain 503 message');
    await table.click(tid('place-order'));
    await waitTestid(table, 'order-ok');
    const posts = S.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/orders'));
    assert(posts.length === 2 && posts[0].headers['idempotency-key'] === posts[1].headers['idempotency-key'], 'same key on retry');
    await table.click(tid('add-itm_002'));
    await table.click(tid('place-order'));
    await waitFor(table, () => document.querySelectorAll('[data-testid^="order-status-"]').length === 3);
    const last = S.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/orders')).pop();
    assert(last.headers['idempotency-key'] !== posts[0].headers['idempotency-key'], 'new cart → new key');
  });

  await test('table: the new order is on the kitchen board; Accept/Ready there update the guest live', async () => {
    await waitInside(kitchen, 'column-PLACED', `ticket-${guestOrder.orderId}`, 2000);
    await kitchen.click(tid(`btn-accept-${guestOrder.orderId}`));
    await waitAttr(table, `order-status-${guestOrder.orderId}`, 'data-status', 'ACCEPTED', 2000);
    await kitchen.click(tid(`btn-ready-${guestOrder.orderId}`));
    await waitAttr(table, `order-status-${guestOrder.orderId}`, 'data-status', 'READY', 2000);
  });

  await test('table: orders survive a reload (sessionStorage) and status is re-fetched', async () => {
    await table.reload();
    await waitAttr(table, `order-status-${guestOrder.orderId}`, 'data-status', 'READY');
  });

  await test('table: screenshots 1280×800 and 1920×1080 (and phone)', async () => {
    await table.click(tid('add-itm_005'));
    await table.click(tid('add-itm_008'));
    await table.screenshot({ path: path.join(SHOTS, 'table-390x844.png') });
    await table.setViewportSize({ width: 1280, height: 800 });
    await sleep(200);
    await table.screenshot({ path: path.join(SHOTS, 'table-1280x800.png') });
    await table.setViewportSize({ width: 1920, height: 1080 });
    await sleep(200);
    await table.screenshot({ path: path.join(SHOTS, 'table-1920x1080.png') });
  });

  await test('table: TABLE_NOT_OPEN is shown as "ask your waiter"', async () => {
    const closed = await newPage({ width: 390, height: 844 });
    await closed.goto(`${BASE}/t/${RID}/tbl_002?token=${tableToken('tbl_002')}`);
    await closed.click(tid('add-itm_001'));
    await closed.click(tid('place-order'));
    await waitTestid(closed, 'order-error');
    const msg = await text(closed, 'order-error');
    assert(/This table isn.t open yet — ask your waiter/.test(msg), msg);
    await closed.context().close();
  });

  await test('kitchen: an expired session (401) returns to the login form', async () => {
    await kitchen.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem('rop.kitchen.session'));
      s.token = 'forged';
      sessionStorage.setItem('rop.kitchen.session', JSON.stringify(s));
    });
    await kitchen.reload();
    await waitTestid(kitchen, 'login-error');
    assert(/expired/.test(await text(kitchen, 'login-error')), 'expired message');
  });

  await test('screenshot files written', async () => {
    for (const f of ['kitchen-1280x800.png', 'kitchen-1920x1080.png', 'table-1280x800.png', 'table-1920x1080.png']) {
      const st = fs.statSync(path.join(SHOTS, f));
      assert(st.size > 10_000, `${f} non-trivial`);
    }
  });

  await test('the pages run under the CSP of SPEC §16.27 without a violation', async () => {
    assert(cspViolations.length === 0, cspViolations.join(' | '));
  });

  await test('no uncaught page errors', async () => {
    assert(pageErrors.length === 0, pageErrors.join(' | '));
  });
} finally {
  await browser.close();
  dropLive();
  server.close();
}

console.log(`1..${n}`);
if (failed) console.log(`# ${failed} of ${n} failed`);
process.exit(failed ? 1 : 0);
