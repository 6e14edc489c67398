-- Release 1.0.0: the first schema.
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL
);
