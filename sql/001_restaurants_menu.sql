-- Restaurants (tenants), their event counter and their menus.
-- Every key starts with restaurant_id so the schema can be distributed
-- by restaurant (SPEC §2).

CREATE TABLE restaurants (
    restaurant_id   text PRIMARY KEY CHECK (restaurant_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name            text NOT NULL,
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    timezone        text NOT NULL DEFAULT 'UTC',
    opens_at        time NOT NULL DEFAULT '00:00',
    closes_at       time NOT NULL DEFAULT '24:00',
    menu_version    bigint NOT NULL DEFAULT 1 CHECK (menu_version > 0),
    menu_updated_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The per-restaurant event counter: the last seq handed out.  Kept in
-- its own narrow row because it is the hottest lock of the system and
-- is always taken last (SPEC §2 lock order).
CREATE TABLE event_counters (
    restaurant_id   text PRIMARY KEY REFERENCES restaurants,
    last_seq        bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
);

CREATE TABLE menu_categories (
    restaurant_id   text NOT NULL REFERENCES restaurants,
    category_id     text NOT NULL CHECK (category_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name            text NOT NULL,
    position        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (restaurant_id, category_id)
);

CREATE TABLE menu_items (
    restaurant_id   text NOT NULL,
    item_id         text NOT NULL CHECK (item_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    category_id     text NOT NULL,
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    price_cents     bigint NOT NULL CHECK (price_cents >= 0),
    is_available    boolean NOT NULL DEFAULT true,
    position        integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, item_id),
    FOREIGN KEY (restaurant_id, category_id) REFERENCES menu_categories
);
