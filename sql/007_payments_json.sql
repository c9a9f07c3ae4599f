-- The Payment shape of SPEC §6 (capture answer and list item), built
-- where the data is, like rop_order_json.  providerRef is null when the
-- provider gave none (CASH, FAILED, PENDING); capturedAt is null until
-- CAPTURED.
CREATE FUNCTION rop_payment_json(p payments) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'paymentId', p.payment_id,
        'orderId', p.order_id,
        'status', p.status,
        'method', p.method,
        'amount', rop_money(p.amount_cents, p.currency),
        'tip', rop_money(p.tip_cents, p.currency),
        'providerRef', p.provider_ref,
        'capturedAt', rop_ts(p.captured_at))
$$;

-- The reconciler's scan (PENDING older than N seconds) already has
-- payments_pending; listing an order's payments oldest first uses the
-- (restaurant_id, order_id, idem_key) unique index's leading columns.
