-- QR table tokens carry their table's generation (SPEC §15): rotating a
-- table's QR code bumps it, and every token of an older generation is
-- refused.  Tokens issued before this migration are generation 0.
ALTER TABLE dining_tables
    ADD COLUMN qr_generation bigint NOT NULL DEFAULT 0 CHECK (qr_generation >= 0);
