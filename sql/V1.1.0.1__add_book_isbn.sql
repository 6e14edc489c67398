-- Release 1.1.0: books get an optional ISBN (additive, safe while 1.0.0 still runs).
ALTER TABLE books ADD COLUMN isbn VARCHAR(17);
