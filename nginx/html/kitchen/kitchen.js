// Kitchen display: staff login, queue hydration over REST, live events over nchan.
// Query options: ?rid=rst_001 (login default), ?amber=10&red=20 (ticket age thresholds, minutes).

import { api, ApiError, describeError, jwtClaims } from '/shared/api.js';
import { LiveConnection } from '/shared/live.js';
import { formatAge, formatClock, tableLabel } from '/shared/format.js';
import { h, setChildren, $ } from '/shared/dom.js';

const params = new URLSearchParams(location.search);
const minutes = (v, d) => (v !== null && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : d);
const AMBER_MS = minutes(params.get('amber'), 10) * 60_000;
const RED_MS = minutes(params.get('red'), 20) * 60_000;

const COLUMNS = ['PLACED', 'ACCEPTED', 'READY'];
const RANK = { PLACED: 1, ACCEPTED: 2, READY: 3, PAID: 4, CANCELLED: 4 };
const TERMINAL = new Set(['PAID', 'CANCELLED']);
const SESSION_KEY = 'rop.kitchen.session';
const FULL_RELOAD_GAP = 5000; // further behind than this: re-hydrate instead of replaying events
const CONN_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };

let session = null;          // {token, expiresAt, role, rid, username}
let live = null;
let epoch = 0;               // bumped on sign-out so late answers of the old session are ignored
let expiryTimer = null;
const orders = new Map();    // orderId -> order (only PLACED / ACCEPTED / READY)
const gone = new Set();      // orderIds known to be PAID / CANCELLED
const busy = new Set();      // orderIds with a request in flight
const fetching = new Set();  // orderIds being fetched because an event named an unknown order
const ticketCache = new Map(); // orderId -> {sig, el}

// ---------------------------------------------------------------- session

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (s && s.token && s.rid && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now())) return s;
  } catch { /* ignore */ }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

function showLogin(message) {
  $('#board-view').hidden = true;
  $('#login-view').hidden = false;
  const rid = $('#login-rid');
  if (!rid.value) rid.value = params.get('rid') || (session && session.rid) || 'rst_001';
  const err = $('#login-error');
  err.textContent = message || '';
  err.hidden = !message;
  (rid.value ? $('#login-username') : rid).focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  const btn = $('#login-submit');
  const restaurantId = $('#login-rid').value.trim();
  const username = $('#login-username').value.trim();
  const password = $('#login-password').value;
  btn.disabled = true;
  btn.textContent = 'Signing in…';
  try {
    const res = await api('/v1/auth/login', { method: 'POST', body: { restaurantId, username, password } });
    const claims = jwtClaims(res.token) || {};
    session = { token: res.token, expiresAt: res.expiresAt, role: res.role || claims.role,
      rid: claims.rid || restaurantId, username };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    $('#login-password').value = '';
    startBoard();
  } catch (e) {
    const msg = e instanceof ApiError && e.code === 'UNAUTHORIZED'
      ? 'Wrong restaurant, username or password.' : describeError(e);
    showLogin(msg);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Sign in';
  }
}

function signOut(message) {
  epoch += 1;
  if (live) live.stop();
  live = null;
  clearTimeout(expiryTimer);
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  orders.clear(); gone.clear(); busy.clear(); fetching.clear(); ticketCache.clear();
  hideBanner();
  render();
  showLogin(message);
}

/** API call with the staff token; a 401 sends the screen back to the login form. */
async function call(path, opts = {}) {
  const my = epoch;
  try {
    return await api(path, { ...opts, token: session && session.token });
  } catch (e) {
    if (my === epoch && e instanceof ApiError && e.code === 'UNAUTHORIZED') {
      signOut('Your session has expired — please sign in again.');
    }
    throw e;
  }
}

// ---------------------------------------------------------------- board lifecycle

async function startBoard() {
  const my = ++epoch;
  $('#login-view').hidden = true;
  $('#board-view').hidden = false;
  $('#restaurant-name').textContent = session.rid;
  $('#who').textContent = `${session.username || ''} · ${session.role || ''}`.replace(/^ · /, '');
  setConn('connecting');
  clearTimeout(expiryTimer);
  const left = session.expiresAt ? Date.parse(session.expiresAt) - Date.now() : NaN;
  if (Number.isFinite(left)) {
    expiryTimer = setTimeout(() => signOut('Your session has expired — please sign in again.'), Math.min(left, 2 ** 31 - 1));
  }

  for (let attempt = 0; my === epoch; attempt++) {
    try {
      const head = await call(`/v1/restaurants/${enc(session.rid)}/events?after=0&limit=1`);
      await hydrate();
      if (my !== epoch) return;
      hideBanner();
      const rid = enc(session.rid);
      live = new LiveConnection({
        url: `/ws?restaurant_id=${rid}&role=${enc(session.role || 'KITCHEN')}&access_token=${enc(session.token)}`,
        lastSeq: Number(head && head.headSeq) || 0,
        onEvent: applyEvent,
        onState: setConn,
        resync: catchUp,
      });
      live.start();
      return;
    } catch (e) {
      if (my !== epoch) return;
      setConn('offline');
      showBanner(`Cannot load the kitchen queue: ${describeError(e)} Retrying…`);
      await sleep(Math.min(8000, 500 * 2 ** attempt));
    }
  }
}

/** Load the three queues (following nextCursor) and replace the board with them. */
async function hydrate() {
  const my = epoch;
  const lists = await Promise.all(COLUMNS.map(async (status) => {
    const out = [];
    let cursor = null;
    do {
      const q = `status=${status}&limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`;
      const page = await call(`/v1/restaurants/${enc(session.rid)}/kitchen/orders?${q}`);
      out.push(...((page && page.orders) || []));
      cursor = page && page.nextCursor;
    } while (cursor);
    return out;
  }));
  if (my !== epoch) return;
  orders.clear();
  for (const o of lists.flat()) upsert(o, false);
  render();
}

/** Resync hook of the live connection: replay /events after lastSeq, page by page. */
async function catchUp(reason, conn) {
  for (;;) {
    const page = await call(`/v1/restaurants/${enc(session.rid)}/events?after=${conn.lastSeq}&limit=500`);
    const events = (page && page.events) || [];
    const head = Number(page && page.headSeq);
    if (Number.isFinite(head) && head - conn.lastSeq > FULL_RELOAD_GAP) {
      await hydrate();
      conn.lastSeq = head;
      return;
    }
    for (const env of events) conn.accept(env);
    if (!events.length || !Number.isFinite(head) || conn.lastSeq >= head) return;
  }
}

// ---------------------------------------------------------------- state

function upsert(o, doRender = true) {
  if (!o || !o.orderId || gone.has(o.orderId)) return;
  if (TERMINAL.has(o.status)) {
    forget(o.orderId);
  } else if (RANK[o.status]) {
    const cur = orders.get(o.orderId);
    if (!cur || RANK[o.status] > RANK[cur.status]) orders.set(o.orderId, { ...cur, ...o });
    else if (cur && !(cur.lines && cur.lines.length) && o.lines) orders.set(o.orderId, { ...o, ...cur, lines: o.lines });
  }
  if (doRender) scheduleRender();
}

function forget(orderId) {
  gone.add(orderId);
  orders.delete(orderId);
  ticketCache.delete(orderId);
}

function advance(orderId, status, extra) {
  if (!orderId || gone.has(orderId)) return;
  const cur = orders.get(orderId);
  if (!cur) {
    if (TERMINAL.has(status)) forget(orderId);
    else fetchOrder(orderId);
    return;
  }
  upsert({ ...cur, ...extra, status });
}

async function fetchOrder(orderId) {
  if (fetching.has(orderId)) return;
  fetching.add(orderId);
  try {
    upsert(await call(`/v1/orders/${enc(orderId)}`));
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) console.warn('kitchen: cannot fetch order', orderId, e);
  } finally {
    fetching.delete(orderId);
  }
}

function applyEvent(env) {
  const p = env.payload || {};
  switch (env.event_type) {
    case 'order.placed':
      upsert({ orderId: p.orderId, tableId: p.tableId, sessionId: p.sessionId, lines: p.lines || [],
        total: p.total, note: p.note, createdAt: p.createdAt || env.occurred_at, status: 'PLACED', fresh: true });
      break;
    case 'order.accepted': advance(p.orderId, 'ACCEPTED', { acceptedAt: p.acceptedAt }); break;
    case 'order.ready': advance(p.orderId, 'READY', { readyAt: p.readyAt }); break;
    case 'order.cancelled': advance(p.orderId, 'CANCELLED', {}); break;
    case 'payment.captured': advance(p.orderId, 'PAID', {}); break;
    default: break; // table.*, menu.updated: nothing on this screen
  }
}

// ---------------------------------------------------------------- actions

const ACTION_LABEL = { accept: 'ACCEPTED', ready: 'READY', cancel: 'CANCELLED' };

async function act(orderId, action, body = {}) {
  if (busy.has(orderId)) return;
  const order = orders.get(orderId);
  busy.add(orderId);
  scheduleRender();
  try {
    const res = await call(`/v1/orders/${enc(orderId)}/${action}`, { method: 'POST', body });
    upsert(res);
  } catch (e) {
    const who = order ? `${tableLabel(order.tableId)}: ` : '';
    if (e instanceof ApiError && e.code === 'INVALID_ORDER_TRANSITION') {
      const from = e.details.from || 'changed';
      showBanner(`${who}Someone already moved this order (${from} → can't mark it ${e.details.to || ACTION_LABEL[action]}).`);
      fetchOrder(orderId);
    } else if (e instanceof ApiError && e.code === 'FORBIDDEN') {
      showBanner(`${who}Your role (${session ? session.role : '?'}) is not allowed to do that.`);
    } else if (e instanceof ApiError && (e.code === 'ORDER_NOT_FOUND' || e.code === 'NOT_FOUND')) {
      showBanner(`${who}This order no longer exists.`);
      forget(orderId);
    } else if (!(e instanceof ApiError && e.code === 'UNAUTHORIZED')) {
      showBanner(`${who}${describeError(e)}`);
    }
  } finally {
    busy.delete(orderId);
    scheduleRender();
  }
}

let cancelTarget = null;

function askCancel(orderId) {
  const o = orders.get(orderId);
  if (!o) return;
  cancelTarget = orderId;
  $('#cancel-title').textContent = `Cancel order for ${tableLabel(o.tableId)}?`;
  $('#cancel-reason').value = '';
  $('#cancel-dialog').showModal();
  $('#cancel-reason').focus();
}

function onCancelSubmit(ev) {
  const reason = $('#cancel-reason').value.trim();
  if (!reason) { ev.preventDefault(); $('#cancel-reason').focus(); return; }
  const target = cancelTarget;
  cancelTarget = null;
  if (target) act(target, 'cancel', { reason });
}

// ---------------------------------------------------------------- rendering

let renderTimer = null;
function scheduleRender() {
  if (renderTimer === null) renderTimer = setTimeout(() => { renderTimer = null; render(); }, 0);
}

const byAge = (a, b) => (String(a.createdAt) < String(b.createdAt) ? -1 : String(a.createdAt) > String(b.createdAt) ? 1
  : a.orderId < b.orderId ? -1 : 1);

function render() {
  for (const status of COLUMNS) {
    const list = [...orders.values()].filter((o) => o.status === status).sort(byAge);
    const box = document.querySelector(`[data-list="${status}"]`);
    const els = list.map(ticket);
    if (!els.length) els.push(h('p', { class: 'empty', dataset: { testid: `empty-${status}` } }, 'Nothing here'));
    const cur = [...box.children];
    if (cur.length !== els.length || cur.some((el, i) => el !== els[i])) box.replaceChildren(...els);
    document.querySelector(`[data-testid="count-${status}"]`).textContent = String(list.length);
  }
  for (const id of ticketCache.keys()) if (!orders.has(id)) ticketCache.delete(id);
  updateAges();
}

function ticket(o) {
  const isBusy = busy.has(o.orderId);
  const sig = JSON.stringify([o.status, isBusy, o.lines, o.note, o.tableId, o.createdAt, session && session.role]);
  const cached = ticketCache.get(o.orderId);
  if (cached && cached.sig === sig) return cached.el;

  const id = o.orderId;
  const role = session ? session.role : '';
  // SPEC §5 / §9.17: accept and ready are KITCHEN, MANAGER, ADMIN; cancel is MANAGER, ADMIN
  // (PLACED or ACCEPTED) and WAITER (PLACED only) — never KITCHEN, whose cancel is a 403.
  const canCook = role === 'KITCHEN' || role === 'MANAGER' || role === 'ADMIN';
  const canCancel = (o.status === 'PLACED' && (role === 'WAITER' || role === 'MANAGER' || role === 'ADMIN')) ||
    (o.status === 'ACCEPTED' && (role === 'MANAGER' || role === 'ADMIN'));
  const buttons = [];
  if (o.status === 'PLACED' && canCook) {
    buttons.push(h('button', { type: 'button', class: 'btn btn-primary', disabled: isBusy,
      dataset: { testid: `btn-accept-${id}` }, onclick: () => act(id, 'accept') }, 'Accept'));
  }
  if (o.status === 'ACCEPTED' && canCook) {
    buttons.push(h('button', { type: 'button', class: 'btn btn-ready', disabled: isBusy,
      dataset: { testid: `btn-ready-${id}` }, onclick: () => act(id, 'ready') }, 'Ready'));
  }
  if (canCancel) {
    buttons.push(h('button', { type: 'button', class: 'btn btn-cancel', disabled: isBusy,
      dataset: { testid: `btn-cancel-${id}` }, onclick: () => askCancel(id) }, 'Cancel'));
  }
  if (o.status === 'READY') buttons.push(h('span', { class: 'waiting' }, 'Waiting for pickup'));

  const lines = (o.lines || []).map((l) => h('li', { class: 'line' },
    h('span', { class: 'qty' }, `${l.quantity}×`),
    h('span', { class: 'name' }, l.name || l.itemId || '?'),
    l.notes ? h('span', { class: 'line-note' }, l.notes) : null));

  const el = h('article', { class: `ticket${o.fresh ? ' fresh' : ''}`, dataset: { testid: `ticket-${id}`, status: o.status, orderId: id } },
    h('header', { class: 'ticket-head' },
      h('span', { class: 'table', dataset: { testid: `table-${id}` } }, tableLabel(o.tableId)),
      h('span', { class: 'age', dataset: { testid: `age-${id}`, createdAt: o.createdAt || '' } }, '')),
    h('div', { class: 'meta' }, `#${id.slice(-5)}`, o.createdAt ? ` · ${formatClock(o.createdAt)}` : ''),
    h('ul', { class: 'lines' }, lines),
    o.note ? h('p', { class: 'order-note', dataset: { testid: `note-${id}` } }, o.note) : null,
    buttons.length ? h('div', { class: 'actions' }, buttons) : null);
  if (o.fresh) setTimeout(() => el.classList.remove('fresh'), 1500);
  o.fresh = false; // highlight a new ticket once, not on every re-render
  ticketCache.set(id, { sig, el });
  return el;
}

function updateAges() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.ticket')) {
    const age = el.querySelector('.age');
    const t = Date.parse(age.dataset.createdAt);
    if (Number.isNaN(t)) continue;
    const ms = now - t;
    age.textContent = formatAge(ms);
    const level = ms >= RED_MS ? 'red' : ms >= AMBER_MS ? 'amber' : 'ok';
    if (el.dataset.age !== level) el.dataset.age = level;
  }
  $('#clock').textContent = new Date(now).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function setConn(state) {
  const el = $('#conn-state');
  el.dataset.state = state;
  el.textContent = CONN_TEXT[state] || state;
}

let bannerTimer = null;
function showBanner(text) {
  $('#banner-text').textContent = text;
  $('#banner').hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(hideBanner, 10_000);
}
function hideBanner() { $('#banner').hidden = true; }

const enc = encodeURIComponent;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- boot

$('#login-form').addEventListener('submit', onLogin);
$('#logout').addEventListener('click', () => signOut(''));
$('#banner-close').addEventListener('click', hideBanner);
$('#cancel-form').addEventListener('submit', onCancelSubmit);
$('#cancel-dismiss').addEventListener('click', () => { cancelTarget = null; $('#cancel-dialog').close(); });
$('#quick-reasons').addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-reason]');
  if (b) { $('#cancel-reason').value = b.dataset.reason; $('#cancel-reason').focus(); }
});
setInterval(updateAges, 1000);

session = loadSession();
if (session) startBoard(); else showLogin('');
