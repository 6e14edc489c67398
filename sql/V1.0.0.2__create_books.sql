CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES authors (id),
    title VARCHAR(300) NOT NULL,
    published_year INTEGER
);

CREATE INDEX books_author_idx ON books (author_id);
