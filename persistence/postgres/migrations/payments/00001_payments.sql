-- +goose Up
-- One payment per booking: the unique booking_id is what refuses a second
-- charge when a saga runs twice.
CREATE TABLE payments (
    id           text COLLATE "C" PRIMARY KEY,
    booking_id   text COLLATE "C" NOT NULL UNIQUE,
    user_id      text COLLATE "C" NOT NULL,
    amount_cents bigint NOT NULL,
    currency     text NOT NULL,
    method       text NOT NULL,
    status       text NOT NULL,
    provider_ref text NOT NULL DEFAULT '',
    failure      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX payments_status ON payments (status, created_at, id);

-- +goose Down
DROP TABLE payments;
