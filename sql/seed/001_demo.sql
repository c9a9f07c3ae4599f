-- Demo data of SPEC §8 (dev and tests only).  Idempotent.
INSERT INTO restaurants (restaurant_id, name, currency) VALUES
    ('rst_001', 'Demo Bistro', 'USD'),
    ('rst_002', 'Second Kitchen', 'EUR')
ON CONFLICT DO NOTHING;
INSERT INTO event_counters (restaurant_id) VALUES ('rst_001'), ('rst_002')
ON CONFLICT DO NOTHING;

INSERT INTO menu_categories (restaurant_id, category_id, name, position) VALUES
    ('rst_001', 'cat_starters', 'Starters', 1),
    ('rst_001', 'cat_mains', 'Mains', 2),
    ('rst_001', 'cat_desserts', 'Desserts', 3),
    ('rst_001', 'cat_drinks', 'Drinks', 4),
    ('rst_002', 'cat_plates', 'Plates', 1),
    ('rst_002', 'cat_drinks', 'Drinks', 2)
ON CONFLICT DO NOTHING;

INSERT INTO menu_items (restaurant_id, item_id, category_id, name, description, price_cents, is_available, position) VALUES
    ('rst_001', 'itm_001', 'cat_mains', 'Margherita Pizza', 'Tomato, mozzarella, basil', 1250, true, 1),
    ('rst_001', 'itm_002', 'cat_mains', 'Cheeseburger', 'Beef, cheddar, pickles, fries', 1450, true, 2),
    ('rst_001', 'itm_003', 'cat_mains', 'Mushroom Risotto', 'Arborio, porcini, parmesan', 1600, true, 3),
    ('rst_001', 'itm_004', 'cat_starters', 'Tomato Soup', 'With sourdough croutons', 650, true, 1),
    ('rst_001', 'itm_005', 'cat_starters', 'Caesar Salad', 'Romaine, anchovy, parmesan', 900, true, 2),
    ('rst_001', 'itm_006', 'cat_desserts', 'Tiramisu', 'Mascarpone, espresso, cocoa', 750, true, 1),
    ('rst_001', 'itm_007', 'cat_desserts', 'Lemon Tart', 'Seasonal — sold out today', 700, false, 2),
    ('rst_001', 'itm_008', 'cat_drinks', 'Lemonade', 'House-made', 400, true, 1),
    ('rst_001', 'itm_009', 'cat_drinks', 'Espresso', 'Double shot', 300, true, 2),
    ('rst_001', 'itm_010', 'cat_drinks', 'Sparkling Water', '500 ml', 350, true, 3),
    ('rst_002', 'itm_001', 'cat_plates', 'Schnitzel', 'With potato salad', 1800, true, 1),
    ('rst_002', 'itm_002', 'cat_plates', 'Käsespätzle', 'Cheese noodles, crispy onions', 1500, true, 2),
    ('rst_002', 'itm_003', 'cat_drinks', 'Apfelschorle', '0.4 l', 450, true, 1)
ON CONFLICT DO NOTHING;

INSERT INTO dining_tables (restaurant_id, table_id, label)
SELECT 'rst_001', format('tbl_%s', lpad(n::text, 3, '0')), format('Table %s', n)
FROM generate_series(1, 10) AS n
ON CONFLICT DO NOTHING;
INSERT INTO dining_tables (restaurant_id, table_id, label) VALUES ('rst_002', 'tbl_001', 'Table 1')
ON CONFLICT DO NOTHING;
