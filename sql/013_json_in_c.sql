-- The response shapes (OrderResponse, Payment, TableResponse) are built
-- in C now (lib/rop_view.c, issue 15): a field change is a C change, not
-- a migration, and Postgres no longer spends its CPU on JSON.  Nothing
-- calls these any more.  rop_ts() stays: the pgbench floors of bench/
-- format their event envelopes and the menu with it.
DROP FUNCTION rop_order_json(orders);
DROP FUNCTION rop_payment_json(payments);
DROP FUNCTION rop_table_json(text, text, table_sessions);
DROP FUNCTION rop_money(bigint, text);
