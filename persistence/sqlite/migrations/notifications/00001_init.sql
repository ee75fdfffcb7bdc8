-- The notification outbox. Times are UTC unix microseconds.

-- +goose Up
CREATE TABLE notifications (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    booking_id   TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    payload      BLOB, -- JSON, NULL when there is none
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    attempts     INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    last_error   TEXT    NOT NULL
) STRICT;

-- The delivery scan only looks at what is still undelivered.
CREATE INDEX notifications_due ON notifications (created_at, id) WHERE delivered_at IS NULL;
CREATE INDEX notifications_user ON notifications (user_id, created_at, id);

-- +goose Down
DROP TABLE notifications;
