-- The retention sweep deletes expired refresh tokens, oldest first.

-- +goose Up
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- +goose Down
DROP INDEX refresh_tokens_expires;
