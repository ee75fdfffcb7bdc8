-- +goose Up
CREATE TABLE bookings (
    id             text COLLATE "C" PRIMARY KEY,
    user_id        text COLLATE "C" NOT NULL,
    showtime_id    text COLLATE "C" NOT NULL,
    hold_id        text NOT NULL,
    seats          text[] NOT NULL,
    total_cents    bigint NOT NULL,
    currency       text NOT NULL,
    status         text NOT NULL,
    failure        text NOT NULL DEFAULT '',
    payment_id     text,
    payment_status text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX bookings_user ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_showtime ON bookings (showtime_id, status);
CREATE INDEX bookings_status ON bookings (status, created_at, id);

-- Which booking a user's Idempotency-Key created, with the request hash
-- so that a different body under the same key is refused.
CREATE TABLE idempotency_keys (
    user_id      text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    request_hash text NOT NULL,
    booking_id   text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE bookings;
