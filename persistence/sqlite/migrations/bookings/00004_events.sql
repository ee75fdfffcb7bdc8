-- The events outbox: each booking's events, written in the transaction
-- that changes the booking (and a showtime's cancellation), in the order
-- seq gives them. Times are UTC unix microseconds; data is JSON text.
-- published_at is set once the brokers have them.

-- +goose Up
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    time         INTEGER NOT NULL,
    data         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    published_at  INTEGER,
    claimed_until INTEGER -- a publisher's claim (ClaimEvents)
) STRICT;
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE events;
