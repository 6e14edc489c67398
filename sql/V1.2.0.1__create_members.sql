-- Release 1.2.0: lending.
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    email VARCHAR(320) NOT NULL UNIQUE
);
