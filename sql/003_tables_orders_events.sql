-- Tables, their sessions, orders with their lines, and the event outbox.

CREATE TABLE dining_tables (
    restaurant_id   text NOT NULL REFERENCES restaurants,
    table_id        text NOT NULL CHECK (table_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    label           text NOT NULL DEFAULT '',
    PRIMARY KEY (restaurant_id, table_id)
);

-- An open table has exactly one OPEN session; orders belong to it.
CREATE TABLE table_sessions (
    restaurant_id   text NOT NULL,
    session_id      text NOT NULL,
    table_id        text NOT NULL,
    status          text NOT NULL CHECK (status IN ('OPEN', 'CLOSED')),
    opened_at       timestamptz NOT NULL,
    closed_at       timestamptz,
    PRIMARY KEY (restaurant_id, session_id),
    FOREIGN KEY (restaurant_id, table_id) REFERENCES dining_tables,
    CHECK ((status = 'OPEN') = (closed_at IS NULL))
);
CREATE UNIQUE INDEX table_sessions_one_open
    ON table_sessions (restaurant_id, table_id) WHERE status = 'OPEN';
CREATE INDEX table_sessions_latest
    ON table_sessions (restaurant_id, table_id, opened_at DESC);

CREATE TABLE orders (
    restaurant_id   text NOT NULL,
    order_id        text COLLATE "C" NOT NULL,
    table_id        text NOT NULL,
    session_id      text NOT NULL,
    status          text NOT NULL CHECK (status IN ('PLACED', 'ACCEPTED', 'READY', 'PAID', 'CANCELLED')),
    note            text,
    total_cents     bigint NOT NULL CHECK (total_cents >= 0),
    currency        char(3) NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,   -- millisecond precision
    accepted_at     timestamptz,
    ready_at        timestamptz,
    paid_at         timestamptz,
    cancelled_at    timestamptz,
    cancel_reason   text,
    idem_key        text,
    idem_hash       text,
    PRIMARY KEY (restaurant_id, order_id),
    FOREIGN KEY (restaurant_id, session_id) REFERENCES table_sessions,
    UNIQUE (restaurant_id, table_id, idem_key)
);
-- Keyset paging of the kitchen queue and of a session's orders.
CREATE INDEX orders_kitchen ON orders (restaurant_id, status, created_at DESC, order_id DESC);
CREATE INDEX orders_all ON orders (restaurant_id, created_at DESC, order_id DESC);
CREATE INDEX orders_session ON orders (restaurant_id, session_id, created_at DESC, order_id DESC);

CREATE TABLE order_lines (
    restaurant_id    text NOT NULL,
    order_id         text NOT NULL,
    line_no          integer NOT NULL,
    line_id          text NOT NULL,
    item_id          text NOT NULL,
    name             text NOT NULL,
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
    line_total_cents bigint NOT NULL CHECK (line_total_cents >= 0),
    notes            text,
    PRIMARY KEY (restaurant_id, order_id, line_no),
    FOREIGN KEY (restaurant_id, order_id) REFERENCES orders ON DELETE CASCADE
);

-- The outbox: every state change appends its event here in the same
-- transaction, with the restaurant's next gapless seq.
CREATE TABLE events (
    restaurant_id   text NOT NULL,
    seq             bigint NOT NULL CHECK (seq > 0),
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    table_id        text,
    envelope        text NOT NULL,          -- the exact bytes published
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, seq)
);
