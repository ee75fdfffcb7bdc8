-- The retention sweep deletes idempotency keys past their retention,
-- oldest first.

-- +goose Up
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP INDEX idempotency_keys_created;
