-- +goose Up
-- The outbox. payload is json (not jsonb) so that it round-trips byte for
-- byte; the partial index serves the delivery scan, which only ever looks
-- at undelivered rows.
CREATE TABLE notifications (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL,
    kind         text NOT NULL,
    booking_id   text NOT NULL,
    channel      text NOT NULL,
    payload      json,
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    last_error   text NOT NULL DEFAULT ''
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_due ON notifications (created_at, id) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE notifications;
