-- When an admin disabled an account (NULL: enabled). A disabled account
-- cannot log in, refresh or use admin routes.

-- +goose Up
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- Role changes, password changes and disabling revoke every token of a
-- user: find them by user.
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- +goose Down
DROP INDEX refresh_tokens_user;
ALTER TABLE users DROP COLUMN disabled_at;
