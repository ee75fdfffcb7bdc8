-- The seat journal of the seats service: events per showtime numbered by seq,
-- and snapshots of the seat map. The primary key (showtime_id, seq) is the
-- fence between two activations of one showtime: the second write at a seq
-- fails.

-- +goose Up
CREATE TABLE seat_events (
    showtime_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    data        TEXT    NOT NULL, -- JSON of boxoffice.SeatEvent
    PRIMARY KEY (showtime_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE seat_snapshots (
    showtime_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    state       BLOB    NOT NULL, -- opaque to the store (JSON of boxoffice.SeatMap)
    PRIMARY KEY (showtime_id, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE seat_snapshots;
DROP TABLE seat_events;
