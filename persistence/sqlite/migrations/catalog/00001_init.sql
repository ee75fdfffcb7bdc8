-- Movies, cinemas with halls, and showtimes of the catalog service. Times are
-- UTC unix microseconds; lists (genres, rows, prices) are JSON text.

-- +goose Up
CREATE TABLE movies (
    id               TEXT    NOT NULL PRIMARY KEY,
    title            TEXT    NOT NULL,
    -- title_fold is the lowercased title, folded in Go because SQLite's
    -- lower() only knows ASCII: the title search is case-insensitive.
    title_fold       TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    genres           TEXT    NOT NULL,
    duration_minutes INTEGER NOT NULL,
    rating           TEXT    NOT NULL,
    release_date     TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX movies_title ON movies (title, id);

CREATE TABLE cinemas (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    city       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE halls (
    id        TEXT    NOT NULL PRIMARY KEY,
    cinema_id TEXT    NOT NULL REFERENCES cinemas (id) ON DELETE CASCADE,
    -- position keeps the halls in the order the cinema was created with.
    position  INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    seat_rows TEXT    NOT NULL
) STRICT;

CREATE INDEX halls_cinema ON halls (cinema_id, position);

-- movie_id has no foreign key on purpose: a movie whose showtimes are all
-- past or cancelled may be deleted, and those showtimes stay for history.
CREATE TABLE showtimes (
    id         TEXT    NOT NULL PRIMARY KEY,
    movie_id   TEXT    NOT NULL,
    cinema_id  TEXT    NOT NULL,
    hall_id    TEXT    NOT NULL REFERENCES halls (id),
    starts_at  INTEGER NOT NULL,
    prices     TEXT    NOT NULL,
    currency   TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX showtimes_starts ON showtimes (starts_at, id);
CREATE INDEX showtimes_movie ON showtimes (movie_id, starts_at, id);
CREATE INDEX showtimes_cinema ON showtimes (cinema_id, starts_at, id);

-- +goose Down
DROP TABLE showtimes;
DROP TABLE halls;
DROP TABLE cinemas;
DROP TABLE movies;
