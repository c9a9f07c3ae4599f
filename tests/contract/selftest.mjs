#!/usr/bin/env node
/*
 * selftest.mjs: tests the contract test.  Responses written by hand from
 * SPEC.md must pass validate.mjs against docs/openapi.yaml, and responses
 * that break the SPEC must fail it.  Also runs the command line on a temp
 * JSONL file (valid only, mixed, empty, missing) and checks exit statuses.
 *
 *   node tests/contract/selftest.mjs        (TAP; or: prove -e node tests/contract/selftest.mjs)
 */

import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadSpec, checkRecord, runChecks, parseJsonl } from "./validate.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const VALIDATE = join(HERE, "validate.mjs");
const JSON_CT = "application/json; charset=utf-8";

/* ------------------------------------------------------------------ fixtures */

const usd = (c) => ({ amountCents: c, currency: "USD" });
const T0 = "2026-02-15T22:10:00.123Z";
const T1 = "2026-02-15T22:12:30.000Z";
const ORD = "ord_01JM3Z8Q9X0A1B2C3D4E5F6G7H";
const OLN = "oln_01JM3Z8Q9X0A1B2C3D4E5F6G7J";
const PAY = "pay_01JM3Z8Q9X0A1B2C3D4E5F6G7K";
const PAY2 = "pay_01JM3Z8Q9X0A1B2C3D4E5F6G7N";
const SES = "ses_01JM3Z8Q9X0A1B2C3D4E5F6G7M";
const RID = "4bf92f3577b34da6a3ce929d0e0e4736";

const err = (code, details = {}) =>
    ({ error: { code, message: "human text", details }, requestId: RID });

const item = { itemId: "itm_001", name: "Margherita", description: "Tomato, mozzarella",
    price: usd(1250), isAvailable: true, categoryId: "cat_001" };
const menu = { restaurantId: "rst_001", menuVersion: 7, currency: "USD",
    categories: [{ categoryId: "cat_001", name: "Pizza", position: 0 },
	{ categoryId: "cat_002", name: "Drinks", position: 1 }],
    items: [item, { ...item, itemId: "itm_002", name: "Water", description: null,
	price: usd(300), isAvailable: false, categoryId: "cat_002" }],
    updatedAt: T0 };

const line = { lineId: OLN, itemId: "itm_001", name: "Margherita", quantity: 2,
    unitPrice: usd(1250), lineTotal: usd(2500), notes: null };
const order = { orderId: ORD, restaurantId: "rst_001", tableId: "tbl_001", sessionId: SES,
    status: "PLACED", lines: [line], note: "no onions", total: usd(2500), createdAt: T0,
    acceptedAt: null, readyAt: null, paidAt: null, cancelledAt: null, version: 1 };
const accepted = { ...order, status: "ACCEPTED", acceptedAt: T1, version: 2 };
const cancelled = { ...order, status: "CANCELLED", cancelledAt: T1, version: 2 };

const openTable = { tableId: "tbl_001", restaurantId: "rst_001", status: "OPEN",
    sessionId: SES, openedAt: T0, closedAt: null };
const neverOpened = { tableId: "tbl_002", restaurantId: "rst_001", status: "CLOSED",
    sessionId: null, openedAt: null, closedAt: null };
const closedTable = { ...openTable, status: "CLOSED", closedAt: T1 };
const zeroCounts = { ordersTotal: 0, placed: 0, accepted: 0, ready: 0, paid: 0, cancelled: 0 };
const summaryNever = { tableId: "tbl_002", restaurantId: "rst_001", sessionId: null,
    status: "CLOSED", openedAt: null, closedAt: null, totals: usd(0), paid: usd(0),
    tips: usd(0), due: usd(0), counts: zeroCounts, lastOrderAt: null };
const summaryClosed = { ...summaryNever, tableId: "tbl_001", sessionId: SES, openedAt: T0,
    closedAt: T1, totals: usd(2500), paid: usd(2500), tips: usd(300), due: usd(0),
    counts: { ...zeroCounts, ordersTotal: 2, paid: 1, cancelled: 1 }, lastOrderAt: T0 };

const payment = { paymentId: PAY, orderId: ORD, status: "CAPTURED", method: "CARD",
    amount: usd(2500), tip: usd(300), providerRef: "fake_123", capturedAt: T1 };
const failedPayment = { ...payment, paymentId: PAY2, status: "FAILED", tip: usd(0),
    providerRef: null, capturedAt: null };

const env = (seq, event_type, payload) => ({ event_id: "0f8fad5b-d9cb-469f-a165-70867728950e",
    event_type, seq, occurred_at: T0, trace_id: RID, request_id: "req-1.a:b",
    restaurant_id: "rst_001", payload });
const events = [
    env(1, "table.opened", { tableId: "tbl_001", sessionId: SES, status: "OPEN", openedAt: T0 }),
    env(2, "order.placed", { orderId: ORD, tableId: "tbl_001", sessionId: SES, lines: [line],
	total: usd(2500), note: null, createdAt: T0 }),
    env(3, "order.accepted", { orderId: ORD, tableId: "tbl_001", acceptedAt: T1 }),
    env(4, "order.ready", { orderId: ORD, tableId: "tbl_001", readyAt: T1 }),
    env(5, "payment.captured", { orderId: ORD, tableId: "tbl_001", paymentId: PAY,
	amount: usd(2500), capturedAt: T1 }),
    env(6, "order.cancelled", { orderId: ORD, tableId: "tbl_001", reason: "guest left",
	cancelledAt: T1 }),
    env(7, "table.closed", { tableId: "tbl_001", sessionId: SES, status: "CLOSED", closedAt: T1 }),
    { ...env(8, "menu.updated", { menuVersion: 8 }), trace_id: null, request_id: null },
];

const R = (method, path, status, body, contentType = JSON_CT) =>
    ({ method, path, status, contentType, body });

const VALID = [
    ["health live", R("GET", "/health/live", 200, { status: "ok" })],
    ["health ready ok", R("GET", "/health/ready", 200,
	{ status: "ok", checks: { postgres: "ok", redis: "ok", migrations: "ok" } })],
    ["health ready degraded", R("GET", "/health/ready", 200,
	{ status: "degraded", checks: { postgres: "ok", redis: "down", migrations: "ok" } })],
    ["health ready 503 checks", R("GET", "/health/ready", 503,
	{ status: "unavailable", checks: { postgres: "ok", redis: "ok", migrations: "behind" } })],
    ["health ready 503 envelope", R("GET", "/health/ready", 503, err("SERVICE_UNAVAILABLE"))],
    ["metrics text", R("GET", "/metrics", 200, null, "text/plain; version=0.0.4; charset=utf-8")],
    ["login", R("POST", "/v1/auth/login", 200,
	{ token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", expiresAt: T1, role: "WAITER" })],
    ["login refused", R("POST", "/v1/auth/login", 401, err("UNAUTHORIZED"))],
    ["login bad json", R("POST", "/v1/auth/login", 400, err("MALFORMED_JSON"))],
    ["menu", R("GET", "/v1/restaurants/rst_001/menu?lang=en", 200, menu)],
    ["menu 304", R("GET", "/v1/restaurants/rst_001/menu", 304, null, null)],
    ["menu HEAD", R("HEAD", "/v1/restaurants/rst_001/menu", 200, null)],
    ["menu unknown restaurant", R("GET", "/v1/restaurants/rst_999/menu", 404, err("RESTAURANT_NOT_FOUND"))],
    ["patch item", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_001", 200,
	{ ...item, isAvailable: false })],
    ["patch unknown item", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_999", 404, err("NOT_FOUND"))],
    ["patch 403", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_001", 403, err("FORBIDDEN"))],
    ["patch unknown field", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_001", 400,
	err("VALIDATION_ERROR", { field: "colour" }))],
    ["patch 415", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_001", 415, err("UNSUPPORTED_MEDIA_TYPE"))],
    ["patch 413", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_001", 413, err("PAYLOAD_TOO_LARGE"))],
    ["tables", R("GET", "/v1/restaurants/rst_001/tables", 200, { tables: [openTable, neverOpened] })],
    ["table", R("GET", "/v1/restaurants/rst_001/tables/tbl_002", 200, neverOpened)],
    ["table 401", R("GET", "/v1/restaurants/rst_001/tables", 401, err("UNAUTHORIZED"))],
    ["open", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/open", 200, openTable)],
    ["open unknown", R("POST", "/v1/restaurants/rst_001/tables/tbl_999/open", 404, err("TABLE_NOT_FOUND"))],
    ["close", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/close", 200,
	{ table: closedTable, summary: summaryClosed })],
    ["close blocked", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/close", 409,
	err("TABLE_CLOSE_BLOCKED", { reason: "HAS_NON_READY_ORDERS", counts: { placed: 1, accepted: 0 } }))],
    ["close not open", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/close", 409, err("TABLE_NOT_OPEN"))],
    ["summary never opened", R("GET", "/v1/restaurants/rst_001/tables/tbl_002/summary", 200, summaryNever)],
    ["table orders", R("GET", "/v1/restaurants/rst_001/tables/tbl_001/orders?status=ALL", 200,
	{ orders: [accepted, order], nextCursor: null })],
    ["qr", R("GET", "/v1/restaurants/rst_001/tables/tbl_001/qr", 200,
	{ token: "tt.abc_DEF-1", url: "https://rop.example.org/t/rst_001/tbl_001?token=tt.abc_DEF-1" })],
    ["place", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/orders", 201, order)],
    ["place unavailable", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/orders", 400,
	err("ITEM_UNAVAILABLE", { itemId: "itm_002" }))],
    ["place not open", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/orders", 409, err("TABLE_NOT_OPEN"))],
    ["place bad key", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/orders", 400,
	err("VALIDATION_ERROR", { field: "Idempotency-Key" }))],
    ["get order", R("GET", `/v1/orders/${ORD}`, 200, order)],
    ["get order other table", R("GET", `/v1/orders/${ORD}`, 403, err("FORBIDDEN"))],
    ["get order unknown", R("GET", "/v1/orders/ord_nope", 404, err("ORDER_NOT_FOUND"))],
    ["accept", R("POST", `/v1/orders/${ORD}/accept`, 200, accepted)],
    ["accept past", R("POST", `/v1/orders/${ORD}/accept`, 409,
	err("INVALID_ORDER_TRANSITION", { from: "READY", to: "ACCEPTED" }))],
    ["ready", R("POST", `/v1/orders/${ORD}/ready`, 200,
	{ ...accepted, status: "READY", readyAt: T1, version: 3 })],
    ["cancel", R("POST", `/v1/orders/${ORD}/cancel`, 200, cancelled)],
    ["capture", R("POST", `/v1/orders/${ORD}/payments:capture`, 201, payment)],
    ["capture declined", R("POST", `/v1/orders/${ORD}/payments:capture`, 402,
	err("PAYMENT_DECLINED", { paymentId: PAY2 }))],
    ["capture no key", R("POST", `/v1/orders/${ORD}/payments:capture`, 400, err("IDEMPOTENCY_KEY_REQUIRED"))],
    ["capture paid", R("POST", `/v1/orders/${ORD}/payments:capture`, 409, err("ORDER_ALREADY_PAID"))],
    ["payments", R("GET", `/v1/orders/${ORD}/payments`, 200, { payments: [failedPayment, payment] })],
    ["kitchen", R("GET", "/v1/restaurants/rst_001/kitchen/orders?limit=1", 200,
	{ orders: [order], nextCursor: "MjAyNi0wMi0xNVQyMjoxMDowMC4xMjNa_b3JkXzAx" })],
    ["kitchen bad limit", R("GET", "/v1/restaurants/rst_001/kitchen/orders?limit=0", 400, err("INVALID_LIMIT"))],
    ["events", R("GET", "/v1/restaurants/rst_001/events?after=0", 200,
	{ events, lastSeq: 8, headSeq: 8 })],
    ["events none", R("GET", "/v1/restaurants/rst_001/events?after=8", 200,
	{ events: [], lastSeq: 8, headSeq: 8 })],
    ["events bad after", R("GET", "/v1/restaurants/rst_001/events?after=x", 400,
	err("VALIDATION_ERROR", { field: "after" }))],
    ["rate limited", R("GET", "/v1/restaurants/rst_001/menu", 429, err("RATE_LIMITED"))],
    ["db down", R("GET", "/v1/restaurants/rst_001/tables", 503, err("SERVICE_UNAVAILABLE"))],
    ["unrouted", R("GET", "/v1/orders/" + "x".repeat(65), 404, err("NOT_FOUND"))],
    ["method not allowed", R("DELETE", `/v1/orders/${ORD}`, 405, err("METHOD_NOT_ALLOWED"))],
];

const INVALID = [
    ["float money", R("GET", "/v1/restaurants/rst_001/menu", 200,
	{ ...menu, items: [{ ...item, price: { amountCents: 12.5, currency: "USD" } }] })],
    ["unknown order field", R("GET", `/v1/orders/${ORD}`, 200, { ...order, extra: 1 })],
    ["order missing version", R("GET", `/v1/orders/${ORD}`, 200,
	Object.fromEntries(Object.entries(order).filter(([k]) => k !== "version")))],
    ["ACCEPTED without acceptedAt", R("POST", `/v1/orders/${ORD}/accept`, 200,
	{ ...order, status: "ACCEPTED" })],
    ["time without milliseconds", R("GET", `/v1/orders/${ORD}`, 200,
	{ ...order, createdAt: "2026-02-15T22:10:00Z" })],
    ["order id not a ULID", R("GET", `/v1/orders/${ORD}`, 200, { ...order, orderId: "ord_1" })],
    ["wrong code for status", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/orders", 409,
	err("INVALID_ORDER_TRANSITION", { from: "PLACED", to: "ACCEPTED" }))],
    ["undocumented status", R("GET", "/v1/restaurants/rst_001/menu", 201, menu)],
    ["undocumented operation", R("DELETE", `/v1/orders/${ORD}`, 200, order)],
    ["unrouted 200", R("GET", "/v1/nothing/here", 200, { ok: true })],
    ["login unknown role", R("POST", "/v1/auth/login", 200,
	{ token: "a.b.c", expiresAt: T1, role: "CHEF" })],
    ["login 404", R("POST", "/v1/auth/login", 404, err("RESTAURANT_NOT_FOUND"))],
    ["summary without tips", R("GET", "/v1/restaurants/rst_001/tables/tbl_002/summary", 200,
	Object.fromEntries(Object.entries(summaryNever).filter(([k]) => k !== "tips")))],
    ["OPEN table without session", R("GET", "/v1/restaurants/rst_001/tables/tbl_001", 200,
	{ ...openTable, sessionId: null })],
    ["events without headSeq", R("GET", "/v1/restaurants/rst_001/events", 200,
	{ events, lastSeq: 8 })],
    ["payload of another type", R("GET", "/v1/restaurants/rst_001/events", 200,
	{ events: [env(3, "order.accepted", { orderId: ORD, tableId: "tbl_001", readyAt: T1 })],
	    lastSeq: 3, headSeq: 3 })],
    ["unknown event type", R("GET", "/v1/restaurants/rst_001/events", 200,
	{ events: [env(9, "order.eaten", { orderId: ORD })], lastSeq: 9, headSeq: 9 })],
    ["envelope in camelCase", R("GET", "/v1/restaurants/rst_001/events", 200,
	{ events: [{ ...env(8, "menu.updated", { menuVersion: 8 }), eventId: "x" }], lastSeq: 8, headSeq: 8 })],
    ["error without details", R("GET", `/v1/orders/${ORD}`, 404,
	{ error: { code: "ORDER_NOT_FOUND", message: "no" }, requestId: RID })],
    ["error without requestId", R("GET", `/v1/orders/${ORD}`, 404,
	{ error: { code: "ORDER_NOT_FOUND", message: "no", details: {} } })],
    ["VALIDATION_ERROR without field", R("POST", `/v1/orders/${ORD}/cancel`, 400, err("VALIDATION_ERROR"))],
    ["transition without from/to", R("POST", `/v1/orders/${ORD}/ready`, 409, err("INVALID_ORDER_TRANSITION"))],
    ["close blocked without counts", R("POST", "/v1/restaurants/rst_001/tables/tbl_001/close", 409,
	err("TABLE_CLOSE_BLOCKED", { reason: "HAS_NON_READY_ORDERS" }))],
    ["HTML error page", R("GET", "/v1/restaurants/rst_001/menu", 404, null, "text/html")],
    ["JSON without charset", R("GET", "/health/live", 200, { status: "ok" }, "application/json")],
    ["304 with a body", R("GET", "/v1/restaurants/rst_001/menu", 304, menu)],
    ["health check value", R("GET", "/health/ready", 503,
	{ status: "unavailable", checks: { postgres: "broken", redis: "ok", migrations: "ok" } })],
    ["health ok but down", R("GET", "/health/ready", 200,
	{ status: "ok", checks: { postgres: "ok", redis: "down", migrations: "ok" } })],
    ["capture answers PENDING", R("POST", `/v1/orders/${ORD}/payments:capture`, 201,
	{ ...payment, status: "PENDING" })],
    ["qr with extra key", R("GET", "/v1/restaurants/rst_001/tables/tbl_001/qr", 200,
	{ token: "t", url: "https://h/t/rst_001/tbl_001?token=t", expiresAt: T1 })],
    ["qr url of another shape", R("GET", "/v1/restaurants/rst_001/tables/tbl_001/qr", 200,
	{ token: "t", url: "https://h/tables/tbl_001" })],
    ["kitchen cursor not URL-safe", R("GET", "/v1/restaurants/rst_001/kitchen/orders", 200,
	{ orders: [], nextCursor: "a/b+c" })],
    ["kitchen without nextCursor", R("GET", "/v1/restaurants/rst_001/kitchen/orders", 200, { orders: [] })],
    ["negative money", R("GET", "/v1/restaurants/rst_001/tables/tbl_002/summary", 200,
	{ ...summaryNever, due: usd(-1) })],
    ["currency lower case", R("PATCH", "/v1/restaurants/rst_001/menu/items/itm_001", 200,
	{ ...item, price: { amountCents: 1, currency: "usd" } })],
    ["null body", R("GET", "/v1/restaurants/rst_001/tables", 200, null)],
];

/* ------------------------------------------------------------------ TAP */

let n = 0, failed = 0;
function ok(cond, name, diag = []) {
	n++;
	if (!cond)
		failed++;
	console.log(`${cond ? "ok" : "not ok"} ${n} - ${name}`);
	if (!cond)
		for (const d of diag)
			console.log(`#   ${d}`);
}

const ctx = loadSpec();

for (const [name, rec] of VALID) {
	const r = checkRecord(ctx, rec);
	ok(r.ok, `valid: ${name} (${rec.method} ${rec.path} ${rec.status})`, r.errors);
}
for (const [name, rec] of INVALID) {
	const r = checkRecord(ctx, rec);
	ok(!r.ok && r.errors.length > 0, `invalid: ${name} is refused`,
	    r.ok ? ["passed validation but must not"] : []);
}

/* Grouping: passes collapse per (operation, status, shape); every failure is its own point. */
{
	const entries = parseJsonl([
		JSON.stringify(VALID[0][1]), JSON.stringify(VALID[0][1]), "not json",
		JSON.stringify(INVALID[0][1]), JSON.stringify(INVALID[0][1])].join("\n"));
	const { lines, failed: f, planned } = runChecks(ctx, entries);
	ok(planned === 4 && f === 3, "runChecks: 2 equal passes give one point, 3 failures three",
	    lines);
	ok(lines.at(-1) === "1..4", "runChecks: plan at the end");
}

/* The command line. */
const dir = mkdtempSync(join(tmpdir(), "rop-contract-"));
try {
	const run = (file) => spawnSync(process.execPath, [VALIDATE, file], { encoding: "utf8" });
	const validFile = join(dir, "valid.jsonl");
	writeFileSync(validFile, VALID.map(([, r]) => JSON.stringify(r)).join("\n") + "\n");
	let p = run(validFile);
	ok(p.status === 0, "cli: valid responses exit 0", [p.stdout, p.stderr]);
	ok(/^1\.\.\d+$/m.test(p.stdout) && !/^not ok/m.test(p.stdout), "cli: valid responses print a plan and no failures");

	const mixedFile = join(dir, "mixed.jsonl");
	writeFileSync(mixedFile, [...VALID, ...INVALID].map(([, r]) => JSON.stringify(r)).join("\n") + "\n");
	p = run(mixedFile);
	const notOk = (p.stdout.match(/^not ok /mg) ?? []).length;
	ok(p.status === 1 && notOk === INVALID.length,
	    `cli: mixed responses exit 1 with ${INVALID.length} failures`, [`exit ${p.status}, ${notOk} not ok`]);
	ok(/^#\s+\S/m.test(p.stdout), "cli: failures carry # diagnostics");

	const emptyFile = join(dir, "empty.jsonl");
	writeFileSync(emptyFile, "");
	p = run(emptyFile);
	ok(p.status === 1 && p.stdout.trim() === "1..0 # SKIP no responses recorded",
	    "cli: empty file is a failure with 1..0 # SKIP", [p.stdout]);

	p = run(join(dir, "missing.jsonl"));
	ok(p.status === 1 && p.stdout.trim() === "1..0 # SKIP no responses recorded",
	    "cli: missing file is a failure with 1..0 # SKIP", [p.stdout]);
} finally {
	rmSync(dir, { recursive: true, force: true });
}

console.log(`1..${n}`);
process.exitCode = failed > 0 ? 1 : 0;
