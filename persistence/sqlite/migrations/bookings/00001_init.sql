-- Bookings and Idempotency-Keys of the bookings service. Times are UTC unix
-- microseconds; seats are JSON text.

-- +goose Up
CREATE TABLE bookings (
    id             TEXT    NOT NULL PRIMARY KEY,
    user_id        TEXT    NOT NULL,
    showtime_id    TEXT    NOT NULL,
    hold_id        TEXT    NOT NULL,
    seats          TEXT    NOT NULL,
    total_cents    INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    failure        TEXT    NOT NULL,
    -- The payment summary; both NULL until the saga has a payment.
    payment_id     TEXT,
    payment_status TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX bookings_user ON bookings (user_id, created_at, id);
CREATE INDEX bookings_showtime ON bookings (showtime_id, created_at, id);
CREATE INDEX bookings_status ON bookings (status, created_at, id);

CREATE TABLE idempotency_keys (
    user_id      TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    booking_id   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE bookings;
