-- The accept/ready transaction of lib/rop_order.c
-- (rop_order_transition), round trip for round trip: BEGIN with the
-- order row lock in one pipeline (as lib/rop_db.c sends a transaction's
-- first statement), the status update returning the order row and its lines (the
-- same statement), the outbox event with the counter bump, COMMIT.  Orders
-- ord_pgbacc_<n> toggle between ACCEPTED and READY so that, as in the
-- app, every update changes the indexed status (no HOT shortcut).
\set n random(1, :npool)
\startpipeline
BEGIN;
SELECT status, table_id FROM orders WHERE restaurant_id = 'bch_' || lpad((:n::int % :nrest::int + 1)::text, 3, '0') AND order_id = 'ord_pgbacc_' || :n::int FOR UPDATE;
\endpipeline
WITH o AS (UPDATE orders SET status = CASE WHEN status = 'ACCEPTED' THEN 'READY' ELSE 'ACCEPTED' END, version = version + 1, accepted_at = CASE WHEN status <> 'ACCEPTED' THEN date_trunc('milliseconds', clock_timestamp()) ELSE accepted_at END, ready_at = CASE WHEN status = 'ACCEPTED' THEN date_trunc('milliseconds', clock_timestamp()) ELSE ready_at END, cancelled_at = cancelled_at, cancel_reason = coalesce(NULL, cancel_reason) WHERE restaurant_id = 'bch_' || lpad((:n::int % :nrest::int + 1)::text, 3, '0') AND order_id = 'ord_pgbacc_' || :n::int RETURNING *, extract(epoch FROM clock_timestamp() - created_at)::float8 AS since) SELECT o.order_id, o.restaurant_id, o.table_id, o.session_id, o.status, o.note, o.total_cents, o.currency::text, o.version, floor(extract(epoch FROM o.created_at) * 1000)::bigint, floor(extract(epoch FROM o.accepted_at) * 1000)::bigint, floor(extract(epoch FROM o.ready_at) * 1000)::bigint, floor(extract(epoch FROM o.paid_at) * 1000)::bigint, floor(extract(epoch FROM o.cancelled_at) * 1000)::bigint, l.line_id, l.item_id, l.name, l.quantity, l.unit_price_cents, l.line_total_cents, l.notes, o.since FROM o LEFT JOIN order_lines l ON l.restaurant_id = o.restaurant_id AND l.order_id = o.order_id ORDER BY l.line_no;
WITH c AS (UPDATE event_counters SET last_seq = last_seq + 1 WHERE restaurant_id = 'bch_' || lpad((:n::int % :nrest::int + 1)::text, 3, '0') RETURNING last_seq) INSERT INTO events (restaurant_id, seq, event_id, event_type, table_id, envelope, created_at) SELECT 'bch_' || lpad((:n::int % :nrest::int + 1)::text, 3, '0'), c.last_seq, gen_random_uuid(), 'order.accepted', 'tbl_001', '{"event_id":"00000000-0000-4000-8000-000000000000","event_type":"order.accepted","seq":' || c.last_seq::text || ',"occurred_at":"' || rop_ts(now()) || '","trace_id": null,"request_id":"0123456789abcdef0123456789abcdef","restaurant_id":"bch","payload":{"orderId":"ord_pgbacc_' || :n::int || '","tableId":"tbl_001","acceptedAt":"' || rop_ts(now()) || '"}}', now() FROM c RETURNING seq;
COMMIT;
