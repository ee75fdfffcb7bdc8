-- Showtimes whose cancellation began and has not finished (status
-- 'cancelling'), which recovery lists to finish them: a small partial index.

-- +goose Up
CREATE INDEX showtimes_cancelling ON showtimes (id) WHERE status = 'cancelling';

-- +goose Down
DROP INDEX showtimes_cancelling;
