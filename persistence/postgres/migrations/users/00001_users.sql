-- +goose Up
-- Accounts. Emails are stored normalized (lowercase, trimmed) by the
-- caller, so a plain unique index is enough to refuse a second account.
CREATE TABLE users (
    id            text COLLATE "C" PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text NOT NULL,
    role          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

-- Refresh tokens: only the hash is kept. A family is one login; reusing a
-- used token revokes the whole family, hence the index on family.
CREATE TABLE refresh_tokens (
    hash       text COLLATE "C" PRIMARY KEY,
    user_id    text NOT NULL,
    family     text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE users;
