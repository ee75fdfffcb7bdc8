-- +goose Up
-- The head of every showtime's journal: the last seq stored. A write that
-- carries many showtimes advances each head with a conditional update
-- (seq = its first seq - 1) and inserts the events of the showtimes whose
-- head moved only, so that a stale activation of one showtime fails alone
-- and never leaves events between the winner's. The primary key of
-- seat_events stays as a backstop. Every node writing after this
-- migration must move the heads: upgrade all of them before they write.
CREATE TABLE seat_heads (
    showtime_id text COLLATE "C" PRIMARY KEY,
    seq         bigint NOT NULL
);

INSERT INTO seat_heads (showtime_id, seq)
SELECT showtime_id, max(seq) FROM seat_events GROUP BY showtime_id;

-- +goose Down
DROP TABLE seat_heads;
