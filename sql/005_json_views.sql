-- JSON shapes of SPEC §6 built where the data is: one round trip gives
-- a finished response, and every endpoint shows an order, a table or a
-- money value the same way.

CREATE FUNCTION rop_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION rop_money(cents bigint, cur text) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('amountCents', cents, 'currency', cur)
$$;

-- OrderResponse.
CREATE FUNCTION rop_order_json(o orders) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'orderId', o.order_id,
        'restaurantId', o.restaurant_id,
        'tableId', o.table_id,
        'sessionId', o.session_id,
        'status', o.status,
        'lines', (SELECT coalesce(json_agg(json_build_object(
                'lineId', l.line_id,
                'itemId', l.item_id,
                'name', l.name,
                'quantity', l.quantity,
                'unitPrice', rop_money(l.unit_price_cents, o.currency),
                'lineTotal', rop_money(l.line_total_cents, o.currency),
                'notes', l.notes) ORDER BY l.line_no), '[]'::json)
            FROM order_lines l
            WHERE l.restaurant_id = o.restaurant_id AND l.order_id = o.order_id),
        'note', o.note,
        'total', rop_money(o.total_cents, o.currency),
        'createdAt', rop_ts(o.created_at),
        'acceptedAt', rop_ts(o.accepted_at),
        'readyAt', rop_ts(o.ready_at),
        'paidAt', rop_ts(o.paid_at),
        'cancelledAt', rop_ts(o.cancelled_at),
        'version', o.version)
$$;

-- TableResponse from a table and its current or last session (NULLs
-- for a table never opened).
CREATE FUNCTION rop_table_json(rid text, tid text, s table_sessions) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'tableId', tid,
        'restaurantId', rid,
        'status', coalesce(s.status, 'CLOSED'),
        'sessionId', s.session_id,
        'openedAt', rop_ts(s.opened_at),
        'closedAt', rop_ts(s.closed_at))
$$;
