-- A second wake-up for the relay that does not depend on Redis
-- (SPEC §15): every transaction that appends to the outbox sends
-- NOTIFY rop_events with the restaurant id.  Postgres delivers it at
-- commit, only if the transaction commits, and folds identical
-- notifications of one transaction into one, so a placement sends one.
-- The relay LISTENs and reads what is new from `events` itself, as it
-- does on a Redis wake-up.
--
-- A trigger, not a call in the application's INSERT, so that every
-- writer of the outbox wakes the relay.
CREATE FUNCTION events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rop_events', NEW.restaurant_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_notify();
