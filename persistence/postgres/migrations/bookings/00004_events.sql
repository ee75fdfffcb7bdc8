-- The events outbox: each booking's events, written in the transaction
-- that changes the booking (and a showtime's cancellation), in the order
-- seq gives them. published_at is set once the brokers have them.

-- +goose Up
CREATE TABLE events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    type         text NOT NULL,
    subject      text NOT NULL,
    time         timestamptz NOT NULL,
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz,
    claimed_until timestamptz -- a publisher's claim (ClaimEvents)
);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE events;
