-- A repeatable migration: re-applied whenever this file changes.
DROP VIEW IF EXISTS book_summary;
CREATE VIEW book_summary AS
    SELECT b.id, b.title, a.name AS author, b.published_year
    FROM books b JOIN authors a ON a.id = b.author_id;
