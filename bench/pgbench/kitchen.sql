-- The kitchen queue page of lib/rop_order.c (rop_order_list, statement
-- order_list_status): the first page of PLACED orders, limit 50 (+1 to
-- know whether there is a next page), one round trip and no transaction,
-- as in the app.
\set r random(1, :nkitchen)
SELECT rop_order_json(o)::text, (extract(epoch FROM o.created_at) * 1000)::bigint, o.order_id FROM orders o WHERE o.restaurant_id = 'bch_' || lpad(:r::int::text, 3, '0') AND o.status = 'PLACED' AND (o.created_at, o.order_id) < ('epoch'::timestamptz + 253402300799999::bigint * interval '1 millisecond', ''::text) ORDER BY o.created_at DESC, o.order_id DESC LIMIT 51;
