-- Payments of the payments service. Times are UTC unix microseconds.

-- +goose Up
CREATE TABLE payments (
    id           TEXT    NOT NULL PRIMARY KEY,
    -- One payment per booking: a saga that runs twice cannot charge twice.
    booking_id   TEXT    NOT NULL UNIQUE,
    user_id      TEXT    NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    provider_ref TEXT    NOT NULL,
    failure      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX payments_status ON payments (status, created_at, id);

-- +goose Down
DROP TABLE payments;
