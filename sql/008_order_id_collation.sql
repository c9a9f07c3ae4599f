-- order_lines and payments join orders on order_id, which is COLLATE "C"
-- (the keyset sort key); with the default collation here the join
-- could not use the primary keys and every order read scanned all of
-- its restaurant's lines (bench/RESULTS.md, bottleneck 1).
ALTER TABLE order_lines ALTER COLUMN order_id TYPE text COLLATE "C";
ALTER TABLE payments ALTER COLUMN order_id TYPE text COLLATE "C";
