// Table page: what a table's QR code opens — /t/{rid}/{tid}?token=<table token>.
// Menu (public), cart, idempotent order placement, and the guest's orders with live status.

import { api, ApiError, describeError, uuid } from '/shared/api.js';
import { LiveConnection } from '/shared/live.js';
import { formatMoney, formatClock, tableLabel } from '/shared/format.js';
import { h, setChildren, $ } from '/shared/dom.js';

const params = new URLSearchParams(location.search);
const { rid, tid } = parseLocation();
const STORE = `rop.table.${rid}.${tid}`;
const token = params.get('token') || sessionStorage.getItem(`${STORE}.token`) || '';
if (params.get('token')) sessionStorage.setItem(`${STORE}.token`, token);

const RANK = { PLACED: 1, ACCEPTED: 2, READY: 3, PAID: 4, CANCELLED: 4 };
const STATUS_TEXT = { PLACED: 'Sent to kitchen', ACCEPTED: 'Being prepared', READY: 'Ready', PAID: 'Paid', CANCELLED: 'Cancelled', UNKNOWN: 'Checking…' };
const CONN_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };
const MAX_QTY = 99;
const MAX_LINES = 50;

let menu = null;
const items = new Map();       // itemId -> menu item
const cart = new Map();        // itemId -> {quantity, notes}
const cartEls = new Map();     // itemId -> cart <li>
const myOrders = new Map();    // orderId -> OrderResponse (+ reason from events)
let pending = null;            // {key, body}: one Idempotency-Key per cart submission, reused on retry
let inFlight = false;
let live = null;
let connectedOnce = false;

function parseLocation() {
  const parts = location.pathname.split('/').filter(Boolean);
  const i = parts.indexOf('t');
  if (i >= 0 && parts.length >= i + 3 && parts[i + 2] !== 'index.html') {
    return { rid: decodeURIComponent(parts[i + 1]), tid: decodeURIComponent(parts[i + 2]) };
  }
  return { rid: params.get('rid') || '', tid: params.get('tid') || '' }; // /t/index.html?rid=…&tid=… for local use
}

const enc = encodeURIComponent;
const currency = () => (menu && menu.currency) || 'USD';

// ---------------------------------------------------------------- notices

function notice(text) {
  const el = $('#notice');
  el.textContent = text || '';
  el.hidden = !text;
}

function orderError(text) {
  const el = $('#order-error');
  el.textContent = text || '';
  el.hidden = !text;
}

let okTimer = null;
function orderOk(text) {
  const el = $('#order-ok');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(okTimer);
  okTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

function guestMessage(e) {
  if (!(e instanceof ApiError)) return describeError(e);
  const d = e.details || {};
  const itemName = d.itemId && items.get(d.itemId) ? items.get(d.itemId).name : 'An item in your order';
  switch (e.code) {
    case 'TABLE_NOT_OPEN': return 'This table isn’t open yet — ask your waiter.';
    case 'ITEM_UNAVAILABLE': return `Sorry, ${itemName} is no longer available — please remove it and try again.`;
    case 'ITEM_NOT_FOUND': return `${itemName} is no longer on the menu — please remove it and try again.`;
    case 'UNAUTHORIZED': return 'This table link has expired — please scan the QR code on your table again.';
    case 'FORBIDDEN': return 'This QR code belongs to another table — please scan the code on your table.';
    case 'TABLE_NOT_FOUND': case 'RESTAURANT_NOT_FOUND': return 'We can’t find this table — please scan the QR code again.';
    case 'RATE_LIMITED': return 'Too many tries — please wait a moment and try again.';
    case 'NETWORK_ERROR': return 'Couldn’t reach the restaurant — check your connection and tap “Place order” again.';
    case 'SERVICE_UNAVAILABLE': return 'The restaurant’s system is busy — tap “Place order” again in a moment.';
    case 'IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD': return 'Your order changed while it was being sent — please tap “Place order” again.';
    case 'VALIDATION_ERROR': return `Please check your order: ${e.message || 'something is not valid'}.`;
    default: return describeError(e);
  }
}

// ---------------------------------------------------------------- menu

async function loadMenu() {
  const box = $('#menu');
  try {
    menu = await api(`/v1/restaurants/${enc(rid)}/menu`);
  } catch (e) {
    box.setAttribute('aria-busy', 'false');
    if (menu) return; // keep showing the menu we have
    setChildren(box, h('div', { class: 'card menu-error', dataset: { testid: 'menu-error' } },
      h('p', {}, e instanceof ApiError && e.code === 'RESTAURANT_NOT_FOUND'
        ? 'We can’t find this restaurant — please scan the QR code again.'
        : `The menu could not be loaded. ${describeError(e)}`),
      h('button', { type: 'button', class: 'btn', onclick: () => loadMenu() }, 'Try again')));
    return;
  }
  items.clear();
  for (const it of menu.items || []) items.set(it.itemId, it);
  renderMenu();
  renderCart();
}

function renderMenu() {
  const box = $('#menu');
  box.setAttribute('aria-busy', 'false');
  const cats = [...(menu.categories || [])].sort((a, b) => (a.position - b.position) || String(a.name).localeCompare(b.name));
  const known = new Set(cats.map((c) => c.categoryId));
  const groups = cats.map((c) => ({ ...c, items: (menu.items || []).filter((i) => i.categoryId === c.categoryId) }));
  const orphans = (menu.items || []).filter((i) => !known.has(i.categoryId));
  if (orphans.length) groups.push({ categoryId: '_other', name: 'More', items: orphans });

  const sections = groups.filter((g) => g.items.length).map((g) => h('section',
    { class: 'category', id: `cat-${g.categoryId}`, dataset: { testid: `category-${g.categoryId}` } },
    h('h2', {}, g.name),
    h('div', { class: 'items' }, g.items.map(menuItem))));
  setChildren(box, sections.length ? sections : h('p', { class: 'muted' }, 'The menu is empty right now.'));

  setChildren($('#cats'), groups.filter((g) => g.items.length).map((g) =>
    h('a', { href: `#cat-${g.categoryId}`, class: 'cat-link' }, g.name)));
}

function menuItem(it) {
  const available = it.isAvailable !== false;
  const inCart = cart.get(it.itemId);
  return h('article', { class: `item${available ? '' : ' unavailable'}`,
    dataset: { testid: `menu-item-${it.itemId}`, available: String(available) } },
  h('div', { class: 'item-text' },
    h('h3', {}, it.name),
    it.description ? h('p', { class: 'desc' }, it.description) : null),
  h('div', { class: 'item-side' },
    h('span', { class: 'price', dataset: { testid: `price-${it.itemId}` } }, formatMoney(it.price, currency())),
    available
      ? h('button', { type: 'button', class: 'btn btn-add', 'aria-label': `Add ${it.name}`,
        dataset: { testid: `add-${it.itemId}` }, onclick: () => addToCart(it.itemId) },
      inCart ? `Add · ${inCart.quantity}` : 'Add')
      : h('span', { class: 'unavail-label', dataset: { testid: `unavailable-${it.itemId}` } }, 'Unavailable')));
}

// ---------------------------------------------------------------- cart

function addToCart(itemId) {
  const it = items.get(itemId);
  if (!it || it.isAvailable === false) return;
  const line = cart.get(itemId);
  if (line) line.quantity = Math.min(MAX_QTY, line.quantity + 1);
  else if (cart.size >= MAX_LINES) { orderError(`An order can have at most ${MAX_LINES} different dishes.`); return; }
  else cart.set(itemId, { quantity: 1, notes: '' });
  orderError('');
  cartChanged();
}

function setQty(itemId, q) {
  const line = cart.get(itemId);
  if (!line) return;
  if (q <= 0) cart.delete(itemId);
  else line.quantity = Math.min(MAX_QTY, q);
  cartChanged();
}

function cartChanged() {
  renderCart();
  if (menu) renderMenu();
}

function cartLine(itemId) {
  let li = cartEls.get(itemId);
  if (li) return li;
  const it = items.get(itemId) || { name: itemId };
  const notes = h('input', { type: 'text', class: 'line-notes', maxlength: '200', placeholder: 'Add a note (optional)',
    'aria-label': `Note for ${it.name}`, dataset: { testid: `line-note-${itemId}` } });
  notes.addEventListener('input', () => {
    const line = cart.get(itemId);
    if (line) line.notes = notes.value;
  });
  li = h('li', { class: 'cart-line', dataset: { testid: `cart-line-${itemId}` } },
    h('div', { class: 'cart-line-main' },
      h('span', { class: 'cart-name' }, it.name),
      h('span', { class: 'cart-price', dataset: { role: 'price' } }, '')),
    h('div', { class: 'cart-line-ctrl' },
      h('button', { type: 'button', class: 'btn btn-qty', 'aria-label': `One less ${it.name}`,
        dataset: { testid: `dec-${itemId}` }, onclick: () => setQty(itemId, (cart.get(itemId)?.quantity || 0) - 1) }, '−'),
      h('span', { class: 'qty', dataset: { testid: `qty-${itemId}`, role: 'qty' } }, ''),
      h('button', { type: 'button', class: 'btn btn-qty', 'aria-label': `One more ${it.name}`,
        dataset: { testid: `inc-${itemId}` }, onclick: () => setQty(itemId, (cart.get(itemId)?.quantity || 0) + 1) }, '+'),
      notes),
    h('p', { class: 'cart-warn', dataset: { role: 'warn' } }, ''));
  cartEls.set(itemId, li);
  return li;
}

function cartBody() {
  const note = $('#order-note').value.trim();
  const body = {
    lines: [...cart].map(([itemId, l]) => (l.notes.trim()
      ? { itemId, quantity: l.quantity, notes: l.notes.trim() } : { itemId, quantity: l.quantity })),
  };
  if (note) body.note = note;
  return body;
}

function renderCart() {
  const list = $('#cart-lines');
  for (const id of cartEls.keys()) if (!cart.has(id)) cartEls.delete(id);
  const els = [...cart.keys()].map(cartLine);
  const cur = [...list.children];
  if (cur.length !== els.length || cur.some((el, i) => el !== els[i])) list.replaceChildren(...els);

  let total = 0;
  let count = 0;
  let blocked = false;
  for (const [itemId, line] of cart) {
    const it = items.get(itemId);
    const li = cartEls.get(itemId);
    const price = it && it.price ? it.price.amountCents * line.quantity : 0;
    total += price;
    count += line.quantity;
    li.querySelector('[data-role="qty"]').textContent = String(line.quantity);
    li.querySelector('[data-role="price"]').textContent = formatMoney({ amountCents: price, currency: currency() });
    const unavailable = !it || it.isAvailable === false;
    blocked = blocked || unavailable;
    li.classList.toggle('blocked', unavailable);
    li.querySelector('[data-role="warn"]').textContent = unavailable ? 'No longer available — please remove it.' : '';
  }
  const empty = cart.size === 0;
  $('#cart-empty').hidden = !empty;
  $('#order-note-label').hidden = empty;
  $('#cart-total-row').hidden = empty;
  $('#cart-total').textContent = formatMoney({ amountCents: total, currency: currency() });

  const btn = $('#place-order');
  btn.disabled = empty || inFlight || blocked || !token;
  btn.textContent = inFlight ? 'Placing order…' : 'Place order';
  btn.setAttribute('aria-busy', String(inFlight));

  const bar = $('#cart-bar');
  bar.hidden = empty;
  bar.textContent = `View order · ${count} item${count === 1 ? '' : 's'} · ${formatMoney({ amountCents: total, currency: currency() })}`;
}

async function placeOrder() {
  if (inFlight || cart.size === 0 || !token) return;
  inFlight = true; // set before any await: a second tap returns above
  const body = cartBody();
  const bodyText = JSON.stringify(body);
  if (!pending || pending.body !== bodyText) pending = { key: uuid(), body: bodyText };
  orderError('');
  $('#order-ok').hidden = true;
  renderCart();
  try {
    const order = await api(`/v1/restaurants/${enc(rid)}/tables/${enc(tid)}/orders`, {
      method: 'POST', token, body, headers: { 'Idempotency-Key': pending.key },
    });
    pending = null;
    cart.clear();
    $('#order-note').value = '';
    rememberOrder(order);
    orderOk('Thank you! Your order was sent to the kitchen.');
  } catch (e) {
    orderError(guestMessage(e));
    if (e instanceof ApiError) {
      if (e.code === 'IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD') pending = null;
      if (e.code === 'ITEM_UNAVAILABLE' || e.code === 'ITEM_NOT_FOUND') {
        if (e.details && e.details.itemId && items.has(e.details.itemId)) items.get(e.details.itemId).isAvailable = false;
        loadMenu();
      }
    }
  } finally {
    inFlight = false;
    cartChanged();
  }
}

// ---------------------------------------------------------------- your orders

function storedIds() {
  try { return JSON.parse(sessionStorage.getItem(`${STORE}.orders`) || '[]').filter((x) => typeof x === 'string'); } catch { return []; }
}

function storeIds() {
  sessionStorage.setItem(`${STORE}.orders`, JSON.stringify([...myOrders.keys()]));
}

function rememberOrder(order) {
  if (!order || !order.orderId) return;
  const cur = myOrders.get(order.orderId);
  if (!cur || (RANK[order.status] || 0) >= (RANK[cur.status] || 0)) myOrders.set(order.orderId, { ...cur, ...order });
  storeIds();
  renderOrders();
}

/** (Re)load every order this device placed at this table: the guest's catch-up. */
async function refreshOrders() {
  const ids = [...new Set([...storedIds(), ...myOrders.keys()])];
  await Promise.all(ids.map(async (id) => {
    try {
      const o = await api(`/v1/orders/${enc(id)}`, { token });
      const cur = myOrders.get(id);
      myOrders.set(id, { ...cur, ...o });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403)) myOrders.delete(id);
      else if (!myOrders.has(id)) myOrders.set(id, { orderId: id, status: 'UNKNOWN', lines: [] });
      if (e instanceof ApiError && e.code === 'UNAUTHORIZED') notice(guestMessage(e));
    }
  }));
  storeIds();
  renderOrders();
}

function renderOrders() {
  const list = [...myOrders.values()].sort((a, b) => String(b.createdAt || '').localeCompare(String(a.createdAt || '')));
  $('#orders').hidden = list.length === 0;
  setChildren($('#order-list'), list.map((o) => h('li', { class: 'order', dataset: { testid: `order-${o.orderId}`, status: o.status } },
    h('div', { class: 'order-head' },
      h('span', { class: 'order-time' }, o.createdAt ? `Ordered ${formatClock(o.createdAt)}` : 'Order'),
      h('span', { class: 'status-badge', dataset: { testid: `order-status-${o.orderId}`, status: o.status } },
        STATUS_TEXT[o.status] || o.status)),
    h('ul', { class: 'order-lines' }, (o.lines || []).map((l) => h('li', {},
      `${l.quantity}× ${l.name || (items.get(l.itemId) || {}).name || l.itemId}`,
      l.notes ? h('span', { class: 'muted' }, ` — ${l.notes}`) : null))),
    o.reason ? h('p', { class: 'muted' }, `Reason: ${o.reason}`) : null,
    o.total ? h('div', { class: 'order-total' }, h('span', {}, 'Total'), h('strong', {}, formatMoney(o.total, currency()))) : null)));
}

// ---------------------------------------------------------------- live

function onEvent(env) {
  const p = env.payload || {};
  if (p.tableId && p.tableId !== tid) return;
  const set = (status, extra) => {
    const cur = myOrders.get(p.orderId);
    if (!cur || (RANK[status] || 0) < (RANK[cur.status] || 0)) return;
    myOrders.set(p.orderId, { ...cur, ...extra, status });
    renderOrders();
  };
  switch (env.event_type) {
    case 'order.accepted': set('ACCEPTED', { acceptedAt: p.acceptedAt }); break;
    case 'order.ready': set('READY', { readyAt: p.readyAt }); break;
    case 'order.cancelled': set('CANCELLED', { cancelledAt: p.cancelledAt, reason: p.reason }); break;
    case 'payment.captured': set('PAID', { paidAt: p.capturedAt }); break;
    case 'table.opened':
      if (/isn’t open yet/.test($('#order-error').textContent)) orderError('');
      notice('');
      break;
    case 'table.closed': notice('This table has been closed — thank you for visiting!'); break;
    default: break;
  }
}

function setConn(state) {
  const el = $('#conn-state');
  el.dataset.state = state;
  el.textContent = CONN_TEXT[state] || state;
}

async function resync() {
  await refreshOrders();
  if (connectedOnce) await loadMenu(); // menu.updated is not sent on table channels
  connectedOnce = true;
}

// ---------------------------------------------------------------- boot

$('#place-order').addEventListener('click', placeOrder);
$('#table-label').textContent = tid ? tableLabel(tid) : '';

if (!rid || !tid) {
  notice('This link is incomplete — please scan the QR code on your table again.');
  setConn('offline');
  $('#menu').setAttribute('aria-busy', 'false');
  setChildren($('#menu'));
} else {
  if (!token) notice('To order, please scan the QR code on your table.');
  loadMenu();
  renderCart();
  if (token) {
    refreshOrders();
    live = new LiveConnection({
      url: `/ws?restaurant_id=${enc(rid)}&table_id=${enc(tid)}&access_token=${enc(token)}`,
      checkGaps: false, // seq is per restaurant; a table channel legitimately skips other tables' seqs
      onEvent,
      onState: setConn,
      resync,
    });
    live.start();
  } else {
    setConn('offline');
  }
}
