-- +goose Up
-- Titles sort byte-wise (COLLATE "C") so that the order, and the keyset
-- cursors built on it, do not depend on the server's locale.
CREATE TABLE movies (
    id               text COLLATE "C" PRIMARY KEY,
    title            text COLLATE "C" NOT NULL,
    description      text NOT NULL,
    genres           text[] NOT NULL,
    duration_minutes integer NOT NULL,
    rating           text NOT NULL,
    release_date     date,
    created_at       timestamptz NOT NULL
);
CREATE INDEX movies_title ON movies (title, id);

CREATE TABLE cinemas (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    city       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- A hall's rows are one value (its fixed layout), so they live in jsonb;
-- position keeps the halls in the order the cinema was created with.
CREATE TABLE halls (
    id        text COLLATE "C" PRIMARY KEY,
    cinema_id text COLLATE "C" NOT NULL REFERENCES cinemas (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    name      text NOT NULL,
    rows      jsonb NOT NULL
);
CREATE INDEX halls_cinema ON halls (cinema_id, position);

-- No foreign key to movies: a movie whose showtimes are all past or
-- cancelled may be deleted, and its old showtimes stay for the record.
CREATE TABLE showtimes (
    id         text COLLATE "C" PRIMARY KEY,
    movie_id   text COLLATE "C" NOT NULL,
    cinema_id  text COLLATE "C" NOT NULL,
    hall_id    text COLLATE "C" NOT NULL,
    starts_at  timestamptz NOT NULL,
    prices     jsonb NOT NULL,
    currency   text NOT NULL,
    status     text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX showtimes_starts ON showtimes (starts_at, id);
CREATE INDEX showtimes_movie ON showtimes (movie_id, starts_at, id);
CREATE INDEX showtimes_cinema ON showtimes (cinema_id, starts_at, id);

-- +goose Down
DROP TABLE showtimes;
DROP TABLE halls;
DROP TABLE cinemas;
DROP TABLE movies;
