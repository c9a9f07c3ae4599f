-- Payments: written PENDING before the provider call and settled after
-- it; at most one CAPTURED payment per order.
CREATE TABLE payments (
    restaurant_id   text NOT NULL,
    payment_id      text NOT NULL,
    order_id        text NOT NULL,
    status          text NOT NULL CHECK (status IN ('PENDING', 'CAPTURED', 'FAILED')),
    method          text NOT NULL CHECK (method IN ('CARD', 'CASH')),
    amount_cents    bigint NOT NULL CHECK (amount_cents >= 0),
    tip_cents       bigint NOT NULL DEFAULT 0 CHECK (tip_cents >= 0),
    currency        char(3) NOT NULL,
    provider        text NOT NULL,
    provider_ref    text,
    card_token      text,
    decline_code    text,
    idem_key        text NOT NULL,
    idem_hash       text NOT NULL,
    created_at      timestamptz NOT NULL,
    captured_at     timestamptz,
    PRIMARY KEY (restaurant_id, payment_id),
    FOREIGN KEY (restaurant_id, order_id) REFERENCES orders,
    UNIQUE (restaurant_id, order_id, idem_key)
);
CREATE UNIQUE INDEX payments_one_captured
    ON payments (restaurant_id, order_id) WHERE status = 'CAPTURED';
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'PENDING';
