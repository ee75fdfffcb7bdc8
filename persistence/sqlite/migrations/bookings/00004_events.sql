-- The events outbox: each booking's events, written in the transaction
-- that changes the booking (and a showtime's cancellation), in the order
-- seq gives them. Times are UTC unix microseconds; data is JSON text.
-- published_at is set once a broker has them.

-- +goose Up
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    time         INTEGER NOT NULL,
    data         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
) STRICT;
CREATE INDEX events_created ON events (created_at);

-- +goose Down
DROP TABLE events;
