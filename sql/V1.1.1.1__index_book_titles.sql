-- Maintenance release 1.1.1: searching by title was slow.
CREATE INDEX books_title_idx ON books (title);
