-- +goose Up
-- A write stores each showtime's events as one row (boxoffice's packed
-- form, AppendSeatEvents): seq is the first event's, last_seq the last's.
-- Rows written before hold one event and no last_seq. The head row
-- (seat_heads) stays the fence; the primary key stays a backstop on the
-- first seq of each row. Every node writing after this migration packs:
-- upgrade all of them before they write.
ALTER TABLE seat_events ADD COLUMN last_seq bigint;

-- +goose Down
-- Only while no packed row exists: an older version would read a packed
-- row as one event and lose the others.
-- +goose StatementBegin
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM seat_events WHERE last_seq IS NOT NULL) THEN
		RAISE EXCEPTION 'seat_events holds packed rows: an older version cannot read them';
	END IF;
END $$;
-- +goose StatementEnd
ALTER TABLE seat_events DROP COLUMN last_seq;
