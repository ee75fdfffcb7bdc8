-- Events are stored in boxoffice's compact binary form (AppendSeatEvent)
-- rather than JSON: data becomes a BLOB. Rows written before keep their
-- JSON bytes, which the decoder still reads.

-- +goose Up
CREATE TABLE seat_events_blob (
    showtime_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    data        BLOB    NOT NULL, -- boxoffice.AppendSeatEvent, or the JSON of an older version
    PRIMARY KEY (showtime_id, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO seat_events_blob (showtime_id, seq, data)
SELECT showtime_id, seq, CAST(data AS BLOB) FROM seat_events;
DROP TABLE seat_events;
ALTER TABLE seat_events_blob RENAME TO seat_events;

-- +goose Down
CREATE TABLE seat_events_text (
    showtime_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (showtime_id, seq)
) STRICT, WITHOUT ROWID;
-- Every row is kept: an older version fails loudly on a binary one rather
-- than load a journal with a hole in it.
INSERT INTO seat_events_text (showtime_id, seq, data)
SELECT showtime_id, seq, CAST(data AS TEXT) FROM seat_events;
DROP TABLE seat_events;
ALTER TABLE seat_events_text RENAME TO seat_events;
