-- The place-order transaction of lib/rop_order.c (place_tx), round trip
-- for round trip: BEGIN with the idempotency probe in one pipeline (as
-- lib/rop_db.c sends a transaction's first statement; the same
-- statement, a key that is never found), the session row lock with the
-- item prices (the same statement), order + 3 lines in one insert (the
-- same statement), the outbox event with the counter bump (the same
-- statement), COMMIT.  Differences: the lock-and-price statement returns
-- its 3 item rows folded into one (\gset needs one row; the app reads 3
-- rows and builds the lines JSON in C), and the ids come from md5()
-- instead of ULIDs.  Keys are pgbench variables, not volatile
-- expressions, so the probe can use the (restaurant, table, key) index
-- as the app's does.  Run with -M prepared, like the app.
\set r random(1, :nrest)
\set t random(1, :ntables)
\set a random(1, 13)
\set b random(14, 26)
\set c random(27, 39)
\set k random(1, 1000000000)
\startpipeline
BEGIN;
SELECT o.order_id, o.restaurant_id, o.table_id, o.session_id, o.status, o.note, o.total_cents, o.currency::text, o.version, floor(extract(epoch FROM o.created_at) * 1000)::bigint, floor(extract(epoch FROM o.accepted_at) * 1000)::bigint, floor(extract(epoch FROM o.ready_at) * 1000)::bigint, floor(extract(epoch FROM o.paid_at) * 1000)::bigint, floor(extract(epoch FROM o.cancelled_at) * 1000)::bigint, l.line_id, l.item_id, l.name, l.quantity, l.unit_price_cents, l.line_total_cents, l.notes, o.idem_hash FROM orders o LEFT JOIN order_lines l ON l.restaurant_id = o.restaurant_id AND l.order_id = o.order_id WHERE o.restaurant_id = 'bch_' || lpad(:r::int::text, 3, '0') AND o.table_id = 'tbl_' || lpad(:t::int::text, 3, '0') AND o.idem_key = 'pgb-probe-' || :client_id::int || '-' || :k::bigint ORDER BY l.line_no;
\endpipeline
WITH s AS (SELECT s.session_id, r.currency FROM table_sessions s JOIN restaurants r ON r.restaurant_id = s.restaurant_id WHERE s.restaurant_id = 'bch_' || lpad(:r::int::text, 3, '0') AND s.table_id = 'tbl_' || lpad(:t::int::text, 3, '0') AND s.status = 'OPEN' FOR UPDATE OF s) SELECT s.session_id AS sid, s.currency::text AS cur, 'ord_pgb' || md5(clock_timestamp()::text || random()::text) AS oid, json_agg(json_build_object('no', i.item_id, 'id', 'oln_' || md5(i.item_id), 'item', i.item_id, 'name', i.name, 'qty', 2, 'unit', i.price_cents, 'total', 2 * i.price_cents, 'notes', NULL))::text AS lines, sum(2 * i.price_cents) AS total FROM s LEFT JOIN menu_items i ON i.restaurant_id = 'bch_' || lpad(:r::int::text, 3, '0') AND i.item_id = ANY(ARRAY['itm_' || lpad(:a::int::text, 3, '0'), 'itm_' || lpad(:b::int::text, 3, '0'), 'itm_' || lpad(:c::int::text, 3, '0')]) GROUP BY s.session_id, s.currency \gset
WITH o AS (INSERT INTO orders (restaurant_id, order_id, table_id, session_id, status, note, total_cents, currency, created_at, idem_key, idem_hash) VALUES ('bch_' || lpad(:r::int::text, 3, '0'), :oid::text, 'tbl_' || lpad(:t::int::text, 3, '0'), :sid::text, 'PLACED', 'bench', :total::bigint, :cur::text, date_trunc('milliseconds', clock_timestamp()), 'pgb-' || :oid::text, md5(:oid::text)) RETURNING *), l AS (INSERT INTO order_lines (restaurant_id, order_id, line_no, line_id, item_id, name, quantity, unit_price_cents, line_total_cents, notes) SELECT 'bch_' || lpad(:r::int::text, 3, '0'), :oid::text, row_number() OVER (), x.id || row_number() OVER (), x.item, x.name, x.qty, x.unit, x.total, x.notes FROM json_to_recordset(:lines::text::json) AS x(no text, id text, item text, name text, qty int, unit bigint, total bigint, notes text)) SELECT floor(extract(epoch FROM o.created_at) * 1000)::bigint, o.version FROM o;
WITH c AS (UPDATE event_counters SET last_seq = last_seq + 1 WHERE restaurant_id = 'bch_' || lpad(:r::int::text, 3, '0') RETURNING last_seq) INSERT INTO events (restaurant_id, seq, event_id, event_type, table_id, envelope, created_at) SELECT 'bch_' || lpad(:r::int::text, 3, '0'), c.last_seq, gen_random_uuid(), 'order.placed', 'tbl_' || lpad(:t::int::text, 3, '0'), '{"event_id":"00000000-0000-4000-8000-000000000000","event_type":"order.placed","seq":' || c.last_seq::text || ',"occurred_at":"' || rop_ts(now()) || '","trace_id": null,"request_id":"0123456789abcdef0123456789abcdef","restaurant_id":"bch","payload":{"orderId":"' || :oid::text || '","lines":' || :lines::text || '}}', now() FROM c RETURNING seq;
COMMIT;
