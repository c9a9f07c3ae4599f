-- How far each relay (one per nginx host) has delivered each
-- restaurant's events to its nchan, so a restarted relay resumes
-- exactly where it stopped.
CREATE TABLE relay_progress (
    relay_id        text NOT NULL,
    restaurant_id   text NOT NULL,
    last_seq        bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relay_id, restaurant_id)
);
