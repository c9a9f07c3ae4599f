-- Staff token revocation (SPEC §15, §16.24).  PostgreSQL is the truth;
-- Redis only caches each user's revocation state (lib/rop_auth.c).
--
-- tokens_revoked_ms: every token of the user issued at or before this
-- millisecond is revoked (logout-all).  A token's issue time is the
-- millisecond in its UUIDv7 jti (iat * 1000 + 999 for an older random
-- jti), and login issues at least one millisecond after the watermark,
-- so a login right after a logout-all is valid even in the same second.
-- tokens_rev counts revocations of the user: the version of the state
-- the cache holds, so an older state never overwrites a newer one.
ALTER TABLE users
    ADD COLUMN tokens_revoked_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN tokens_rev bigint NOT NULL DEFAULT 0;

-- One row per logged-out token, kept until the token expires.
CREATE TABLE revoked_tokens (
    jti             uuid PRIMARY KEY,
    restaurant_id   text NOT NULL,
    user_id         text NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (restaurant_id, user_id) REFERENCES users (restaurant_id, user_id)
);
CREATE INDEX revoked_tokens_user
    ON revoked_tokens (restaurant_id, user_id, expires_at);
