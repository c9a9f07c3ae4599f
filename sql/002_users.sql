-- Staff accounts.  password_hash is a crypt(3) string (yescrypt "$y$").
CREATE TABLE users (
    restaurant_id   text NOT NULL REFERENCES restaurants,
    username        text NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    user_id         text NOT NULL,
    role            text NOT NULL CHECK (role IN ('ADMIN', 'MANAGER', 'WAITER', 'KITCHEN')),
    password_hash   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, username),
    UNIQUE (restaurant_id, user_id)
);
