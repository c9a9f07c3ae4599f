#!/usr/bin/env node
/*
 * validate.mjs: the contract test.  Every response the integration tests
 * received is checked against docs/openapi.yaml.
 *
 *   node tests/contract/validate.mjs RESPONSES.jsonl [OPENAPI.yaml]
 *
 * Each line of RESPONSES.jsonl is one response:
 *   {"method":"GET","path":"/v1/restaurants/rst_001/menu?x=1","status":200,
 *    "contentType":"application/json; charset=utf-8","body":<parsed JSON or null>}
 *
 * A line is matched to an operation by method and path (path parameters are
 * [A-Za-z0-9_-]{1,64}, the query string is ignored), then to the response
 * documented for its status (or "default"), and its body is validated with
 * ajv (JSON Schema 2020-12, formats checked).  Output is TAP: one "ok" per
 * distinct (operation, status, shape) that passed, one "not ok" per failing
 * line with the reasons as "#" diagnostics.  Exit status 1 if anything
 * failed, or if there is nothing to check: an empty run is a failure,
 * because the suite must have recorded responses.
 *
 * Special cases, all of them documented in openapi.yaml:
 *  - A path that matches no route answers 404 NOT_FOUND from nginx
 *    (components/schemas/ErrorNotRouted).
 *  - A method a path does not list answers 405; it is checked against the
 *    405 response the path's operations document.
 *  - HEAD is GET without a body.
 *  - A status documented without content (304) must come without a body;
 *    a non-JSON media type (/metrics) is checked by media type only.
 *
 * The functions are exported for tests/contract/selftest.mjs.
 */

import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import YAML from "yaml";

const HERE = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_SPEC = resolve(HERE, "../../docs/openapi.yaml");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const PATH_PARAM = "[A-Za-z0-9_-]{1,64}";
const SCHEMAS_ID = "https://rop.invalid/openapi/schemas";

/* OpenAPI keywords that are not JSON Schema (ajv strict mode rejects them). */
const OAS_ONLY = new Set(["xml", "externalDocs", "example"]);

/*
 * Rewrite a schema taken from the OpenAPI document into plain JSON Schema:
 * local component refs point into one registered schema of $defs, and
 * OpenAPI-only keywords are dropped.  Returns a new object.
 */
function toJsonSchema(node) {
	if (Array.isArray(node))
		return node.map(toJsonSchema);
	if (node === null || typeof node !== "object")
		return node;
	const out = {};
	for (const [k, v] of Object.entries(node)) {
		if (OAS_ONLY.has(k))
			continue;
		if (k === "discriminator") {
			/* ajv knows discriminator, without "mapping". */
			out.discriminator = { propertyName: v.propertyName };
			continue;
		}
		if (k === "$ref" && typeof v === "string") {
			const m = /^#\/components\/schemas\/(.+)$/.exec(v);
			if (m === null)
				throw new Error(`unsupported $ref ${v}`);
			out.$ref = `${SCHEMAS_ID}#/$defs/${m[1]}`;
			continue;
		}
		out[k] = toJsonSchema(v);
	}
	return out;
}

/* Follow a local "#/components/..." $ref of a response, parameter, etc. */
function deref(doc, node) {
	let seen = 0;
	while (node && typeof node.$ref === "string") {
		if (++seen > 16)
			throw new Error(`$ref loop at ${node.$ref}`);
		const parts = node.$ref.replace(/^#\//, "").split("/")
		    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
		let cur = doc;
		for (const p of parts) {
			cur = cur?.[p];
		}
		if (cur === undefined)
			throw new Error(`unresolved $ref ${node.$ref}`);
		node = cur;
	}
	return node;
}

function escapeRegExp(s) {
	return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/* "application/json; charset=utf-8" -> "application/json" */
function mediaBase(ct) {
	return String(ct ?? "").split(";")[0].trim().toLowerCase();
}

function isJsonMedia(ct) {
	const b = mediaBase(ct);
	return b === "application/json" || /^application\/[a-z0-9.+-]*\+json$/.test(b);
}

/*
 * Load and prepare the OpenAPI document.  Returns a context for
 * checkRecord(): the routes (regex per path template) and an ajv instance
 * holding every component schema.
 */
export function loadSpec(specPath = DEFAULT_SPEC) {
	const doc = YAML.parse(readFileSync(specPath, "utf8"));
	if (!doc || typeof doc.paths !== "object")
		throw new Error(`${specPath}: no paths`);

	const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false,
	    allowUnionTypes: true, verbose: true, discriminator: true });
	addFormats(ajv);
	/* Documentation-only formats: accept any string. */
	ajv.addFormat("password", true);
	const defs = toJsonSchema(doc.components?.schemas ?? {});
	ajv.addSchema({ $id: SCHEMAS_ID, $defs: defs });

	const routes = [];
	for (const [template, item] of Object.entries(doc.paths)) {
		const re = new RegExp("^" + template.split(/(\{[^}]+\})/).map((seg) =>
		    /^\{[^}]+\}$/.test(seg) ? PATH_PARAM : escapeRegExp(seg)).join("") + "$");
		const ops = {};
		for (const m of METHODS) {
			if (item[m])
				ops[m.toUpperCase()] = item[m];
		}
		routes.push({ template, re, ops, literal: template.replace(/\{[^}]+\}/g, "").length });
	}
	/*
	 * Prefer the most literal template when two match (none do today:
	 * ':' cannot occur in a path parameter, so ".../payments:capture"
	 * never matches "/v1/orders/{orderId}").
	 */
	routes.sort((a, b) => b.literal - a.literal);

	return { doc, ajv, routes, validators: new Map() };
}

function compiled(ctx, key, schema) {
	let v = ctx.validators.get(key);
	if (v === undefined) {
		v = ctx.ajv.compile(toJsonSchema(schema));
		ctx.validators.set(key, v);
	}
	return v;
}

function formatAjvErrors(errors) {
	return (errors ?? []).slice(0, 20).map((e) => {
		const where = e.instancePath === "" ? "(body)" : e.instancePath;
		let s = `${where} ${e.message}`;
		if (e.params && Object.keys(e.params).length > 0)
			s += ` ${JSON.stringify(e.params)}`;
		s += ` [${e.schemaPath}]`;
		return s;
	});
}

/* A short description of the body's shape for grouping passes. */
function shapeOf(body) {
	if (body && typeof body === "object" && !Array.isArray(body)) {
		if (body.error && typeof body.error === "object" && typeof body.error.code === "string")
			return body.error.code;
		if (typeof body.status === "string" && !("orderId" in body) && !("tableId" in body))
			return `status=${body.status}`;
	}
	return "";
}

/*
 * Check one recorded response.  Returns { key, ok, errors } where key
 * names the (operation, status, shape) it belongs to and errors are
 * human-readable reasons when ok is false.
 */
export function checkRecord(ctx, rec) {
	const errors = [];
	if (rec === null || typeof rec !== "object" || typeof rec.method !== "string" ||
	    typeof rec.path !== "string" || !Number.isInteger(rec.status))
		return { key: "malformed record", ok: false,
		    errors: ["record needs method (string), path (string), status (integer)"] };

	const method = rec.method.toUpperCase();
	const path = rec.path.split("?")[0].split("#")[0];
	const status = String(rec.status);
	const body = rec.body === undefined ? null : rec.body;
	const head = method === "HEAD";
	const lookup = head ? "GET" : method;
	const shape = shapeOf(body);

	/*
	 * nginx's own gateway answers (SPEC §2): any operation may get 502 or
	 * 504 when its app process dies or stalls mid-request; the body is the
	 * error envelope with SERVICE_UNAVAILABLE, and the client retries with
	 * its Idempotency-Key.  Documented once in info.description.
	 */
	if (status === "502" || status === "504") {
		const key = `${method} (gateway) ${status} ${shape}`.trim();
		if (body?.error?.code !== "SERVICE_UNAVAILABLE")
			return { key, ok: false, errors: [`a ${status} must carry SERVICE_UNAVAILABLE`] };
		return checkBody(ctx, key, "gateway", rec, head, body,
		    { description: "gateway", content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } } });
	}

	const route = ctx.routes.find((r) => r.re.test(path));
	if (route === undefined) {
		const key = `${method} (no route) ${status} ${shape}`.trim();
		if (status !== "404")
			return { key, ok: false, errors: [`${method} ${path}: no documented path matches, and only 404 is documented for unrouted paths`] };
		return checkBody(ctx, key, "unrouted 404", rec, head, body,
		    { description: "unrouted", content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorNotRouted" } } } });
	}

	let op = route.ops[lookup];
	let opName = `${method} ${route.template}`;
	if (op === undefined) {
		/* A method the path does not list: the documented 405 applies. */
		const key = `${opName} ${status} ${shape}`.trim();
		/* The body size is checked before the method (SPEC §9.16). */
		if (status === "413")
			return checkBody(ctx, key, "oversized body", rec, head, body,
			    { description: "oversized", content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } } });
		if (status !== "405")
			return { key, ok: false, errors: [`${method} ${route.template} is not a documented operation (methods: ${Object.keys(route.ops).join(", ")})`] };
		op = Object.values(route.ops).find((o) => o.responses?.["405"]);
		if (op === undefined)
			return { key, ok: false, errors: [`405 is not documented for any operation of ${route.template}`] };
		opName = `${method} ${route.template}`;
	}

	const key = `${opName} ${status} ${shape}`.trim();
	const responses = op.responses ?? {};
	let resp = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
	if (resp === undefined)
		return { key, ok: false, errors: [`status ${status} is not documented for ${lookup} ${route.template} (documented: ${Object.keys(responses).join(", ")})`] };
	resp = deref(ctx.doc, resp);
	return checkBody(ctx, key, `${lookup} ${route.template} ${status}`, rec, head, body, resp);
}

function checkBody(ctx, key, vkey, rec, head, body, resp) {
	const content = resp.content ?? {};
	const media = Object.keys(content);

	if (media.length === 0) {
		/* Documented without a body (e.g. 304). */
		if (body !== null)
			return { key, ok: false, errors: ["a body was received where the contract documents none"] };
		return { key, ok: true, errors: [] };
	}
	if (head)
		return { key, ok: true, errors: [] };

	const got = mediaBase(rec.contentType);
	const match = media.find((m) => mediaBase(m) === got);
	if (match === undefined) {
		return { key, ok: false, errors: [`Content-Type ${JSON.stringify(rec.contentType ?? null)} is not documented (documented: ${media.join(", ")})`] };
	}
	if (!isJsonMedia(match))
		return { key, ok: true, errors: [] };

	const errors = [];
	/* SPEC 4: Content-Type: application/json; charset=utf-8. */
	if (!/;\s*charset="?utf-8"?\s*(;|$)/i.test(String(rec.contentType)))
		errors.push(`Content-Type ${JSON.stringify(rec.contentType)} lacks "charset=utf-8" (SPEC 4)`);
	const schema = content[match].schema;
	if (schema !== undefined) {
		const validate = compiled(ctx, `${vkey} ${match}`, schema);
		if (!validate(body))
			errors.push(...formatAjvErrors(validate.errors));
	}
	return { key, ok: errors.length === 0, errors };
}

/* Parse JSONL text into records; a bad line becomes { parseError }. */
export function parseJsonl(text) {
	const out = [];
	text.split("\n").forEach((line, i) => {
		if (line.trim() === "")
			return;
		try {
			out.push({ lineNo: i + 1, rec: JSON.parse(line) });
		} catch (e) {
			out.push({ lineNo: i + 1, parseError: e.message });
		}
	});
	return out;
}

/*
 * Check every record and produce TAP lines.  Returns { lines, failed,
 * planned }.  Passing records are grouped by key (one "ok" each, in first
 * seen order); every failing record is its own "not ok".
 */
export function runChecks(ctx, entries) {
	const groups = new Map();
	const points = [];
	for (const ent of entries) {
		let r;
		if (ent.parseError !== undefined) {
			r = { key: "unparsable line", ok: false, errors: [`not JSON: ${ent.parseError}`] };
		} else {
			try {
				r = checkRecord(ctx, ent.rec);
			} catch (e) {
				r = { key: "internal error", ok: false, errors: [String(e?.stack ?? e)] };
			}
		}
		if (r.ok) {
			let g = groups.get(r.key);
			if (g === undefined) {
				g = { key: r.key, ok: true, count: 0 };
				groups.set(r.key, g);
				points.push(g);
			}
			g.count++;
		} else {
			points.push({ key: r.key, ok: false, lineNo: ent.lineNo, rec: ent.rec, errors: r.errors });
		}
	}

	const lines = [];
	let n = 0, failed = 0;
	for (const p of points) {
		n++;
		if (p.ok) {
			lines.push(`ok ${n} - ${p.key}${p.count > 1 ? ` (${p.count} responses)` : ""}`);
			continue;
		}
		failed++;
		lines.push(`not ok ${n} - ${p.key} (line ${p.lineNo})`);
		if (p.rec && typeof p.rec === "object")
			lines.push(`# ${p.rec.method} ${p.rec.path} -> ${p.rec.status}`);
		for (const e of p.errors)
			lines.push(`#   ${e}`);
		if (p.rec && p.rec.body !== undefined) {
			let b = JSON.stringify(p.rec.body);
			if (b.length > 400)
				b = b.slice(0, 400) + "...";
			lines.push(`#   body: ${b}`);
		}
	}
	lines.push(`1..${n}`);
	return { lines, failed, planned: n };
}

/* Validate a JSONL file; prints TAP and returns the exit status. */
export function validateFile(jsonlPath, specPath = DEFAULT_SPEC, print = console.log) {
	if (!jsonlPath || !existsSync(jsonlPath)) {
		print("1..0 # SKIP no responses recorded");
		return 1;
	}
	const entries = parseJsonl(readFileSync(jsonlPath, "utf8"));
	if (entries.length === 0) {
		print("1..0 # SKIP no responses recorded");
		return 1;
	}
	const ctx = loadSpec(specPath);
	const { lines, failed } = runChecks(ctx, entries);
	for (const l of lines)
		print(l);
	if (failed > 0)
		print(`# ${failed} response(s) broke the contract in ${specPath}`);
	return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	const [jsonl, spec] = process.argv.slice(2);
	let rc;
	try {
		rc = validateFile(jsonl, spec ?? DEFAULT_SPEC);
	} catch (e) {
		console.log(`Bail out! ${String(e?.message ?? e)}`);
		rc = 2;
	}
	process.exitCode = rc;
}
