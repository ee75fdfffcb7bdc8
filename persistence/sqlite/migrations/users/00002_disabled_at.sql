-- When an admin disabled an account (unix microseconds, NULL: enabled). A
-- disabled account cannot log in, refresh or use admin routes.

-- +goose Up
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- +goose Down
ALTER TABLE users DROP COLUMN disabled_at;
