-- bench/seed.sql: the benchmark's data set, loaded by bench/run with psql
-- into its private stack.  Variables: nrest (restaurants bch_001..),
-- ntables (tables per restaurant), nitems (menu items per restaurant).
--
-- Every restaurant gets 5 categories and nitems items (the last one
-- unavailable), ntables tables, and a `manager` whose password hash is
-- the demo manager's, so the harness can log in through the API.
-- Orders are made by bench.make_orders() below, in bulk, for the
-- scenarios that need orders to exist already.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO restaurants (restaurant_id, name, currency)
SELECT format('bch_%s', lpad(r::text, 3, '0')), format('Bench %s', r), 'USD'
FROM generate_series(1, :nrest) r ON CONFLICT DO NOTHING;
INSERT INTO event_counters (restaurant_id)
SELECT format('bch_%s', lpad(r::text, 3, '0'))
FROM generate_series(1, :nrest) r ON CONFLICT DO NOTHING;
INSERT INTO menu_categories (restaurant_id, category_id, name, position)
SELECT format('bch_%s', lpad(r::text, 3, '0')), format('cat_%s', c),
    (ARRAY['Starters', 'Mains', 'Sides', 'Desserts', 'Drinks'])[c], c
FROM generate_series(1, :nrest) r, generate_series(1, 5) c
ON CONFLICT DO NOTHING;
INSERT INTO menu_items (restaurant_id, item_id, category_id, name,
    description, price_cents, is_available, position)
SELECT format('bch_%s', lpad(r::text, 3, '0')),
    format('itm_%s', lpad(i::text, 3, '0')),
    format('cat_%s', (i - 1) * 5 / :nitems + 1),
    format('House dish %s', i),
    'Seasonal, made in house from the market of the day',
    450 + 25 * i, i <> :nitems, i
FROM generate_series(1, :nrest) r, generate_series(1, :nitems) i
ON CONFLICT DO NOTHING;
INSERT INTO dining_tables (restaurant_id, table_id, label)
SELECT format('bch_%s', lpad(r::text, 3, '0')),
    format('tbl_%s', lpad(t::text, 3, '0')), format('Table %s', t)
FROM generate_series(1, :nrest) r, generate_series(1, :ntables) t
ON CONFLICT DO NOTHING;
INSERT INTO users (restaurant_id, username, user_id, role, password_hash)
SELECT format('bch_%s', lpad(r::text, 3, '0')), 'manager',
    format('usr_bench_%s', r), 'MANAGER', u.password_hash
FROM generate_series(1, :nrest) r
JOIN users u ON u.restaurant_id = 'rst_001' AND u.username = 'manager'
ON CONFLICT DO NOTHING;

CREATE SCHEMA IF NOT EXISTS bench;
-- Open every table that has no open session (when the API could not).
CREATE OR REPLACE FUNCTION bench.open_tables(nrest int, ntables int)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO table_sessions (restaurant_id, session_id, table_id,
        status, opened_at)
    SELECT format('bch_%s', lpad(r::text, 3, '0')),
        format('ses_bench_%s_%s', r, t),
        format('tbl_%s', lpad(t::text, 3, '0')), 'OPEN', now()
    FROM generate_series(1, nrest) r, generate_series(1, ntables) t
    ON CONFLICT DO NOTHING
$$;
-- "total" orders ord_<tag>_<n> with 3 lines each, in status "st": order
-- n belongs to restaurant n % nrest + 1 and table n % ntables + 1 (its
-- open session), so the harness knows every id without asking.
CREATE OR REPLACE FUNCTION bench.make_orders(tag text, total int, nrest int,
    ntables int, st text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO orders (restaurant_id, order_id, table_id, session_id,
        status, total_cents, currency, created_at, accepted_at, ready_at)
    SELECT x.rid, x.oid, x.tid, s.session_id, st, 4350, 'USD',
        date_trunc('milliseconds', now()) - (total - n) * interval '1 ms',
        CASE WHEN st IN ('ACCEPTED', 'READY') THEN now() END,
        CASE WHEN st = 'READY' THEN now() END
    FROM generate_series(1, total) n,
        LATERAL (SELECT format('bch_%s', lpad((n % nrest + 1)::text, 3, '0')) rid,
            format('tbl_%s', lpad((n % ntables + 1)::text, 3, '0')) tid,
            format('ord_%s_%s', tag, n) oid) x
    JOIN table_sessions s ON s.restaurant_id = x.rid AND s.table_id = x.tid
        AND s.status = 'OPEN';
    INSERT INTO order_lines (restaurant_id, order_id, line_no, line_id,
        item_id, name, quantity, unit_price_cents, line_total_cents)
    SELECT o.restaurant_id, o.order_id, k, format('oln_%s_%s', o.order_id, k),
        format('itm_%s', lpad(k::text, 3, '0')), format('House dish %s', k),
        2, 475 + 25 * k, 2 * (475 + 25 * k)
    FROM orders o, generate_series(1, 3) k
    WHERE o.order_id LIKE 'ord_' || tag || '\_%';
$$;
COMMIT;
