-- +goose Up
-- The journal of every showtime grain. The primary key is the fence: a
-- second activation of a showtime that writes a seq already taken fails
-- with a unique violation and stops. data is the JSON of a SeatEvent, kept
-- as bytes: the store never looks inside.
CREATE TABLE seat_events (
    showtime_id text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    data        bytea NOT NULL,
    PRIMARY KEY (showtime_id, seq)
);

-- One snapshot per showtime, the newest: loading starts from it and
-- replays only the events after it.
CREATE TABLE seat_snapshots (
    showtime_id text COLLATE "C" PRIMARY KEY,
    seq         bigint NOT NULL,
    state       bytea NOT NULL
);

-- +goose Down
DROP TABLE seat_snapshots;
DROP TABLE seat_events;
