package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boxoffice/boxoffice"
)

// appendManySQL writes the appends of many showtimes in one statement: one
// round trip and one commit (autocommit), all-or-nothing per showtime. Each
// showtime's events are one row (boxoffice.AppendSeatEvents, seq..last_seq).
//
// The fence is the showtime's head row (seat_heads): an append whose first
// seq is 1 creates it (ON CONFLICT DO NOTHING: a head that exists means
// another activation wrote first), any other moves it from first-1 to its
// last seq with a conditional UPDATE. Only the showtimes whose head moved
// (won) get their events and snapshot; the others are left untouched and
// answered ECONFLICT. Appends without events (a snapshot alone) need no
// fence: a snapshot only ever moves forward.
//
// Why a stale writer always loses, even at the same moment as the winner:
// under READ COMMITTED both UPDATEs may see the head at first-1 in their
// snapshot. The first to reach the row locks it; the second waits for that
// lock. When the first commits, PostgreSQL re-evaluates the second's WHERE
// clause against the row's newest version (EvalPlanQual): the head now
// holds the winner's last seq, seq = first-1 is false, the row is skipped,
// and the second's events are not inserted. If the first rolls back
// instead, the second goes on with the unchanged row and wins. Two first
// batches race on the unique index the same way: the second INSERT waits
// for the first's transaction, then does nothing. So of two writers that
// start at one seq exactly one moves the head, and a writer whose first seq
// is not head+1 never writes: no gap and no interleaving. The primary key
// of seat_events stays as a backstop (for journals written by an older
// version without heads): its violation fails the whole statement, and
// AppendSeatsMany then writes each showtime alone.
//
// A statement never names one showtime twice (see rounds).
const appendManySQL = `
WITH batch AS MATERIALIZED (
	SELECT b.i, b.showtime_id COLLATE "C" AS showtime_id, b.first, b.last, b.events, b.snap_seq, b.snap_state
	FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bigint[], $5::bytea[], $6::bigint[], $7::bytea[])
		AS b(i, showtime_id, first, last, events, snap_seq, snap_state)
), created AS (
	INSERT INTO seat_heads (showtime_id, seq)
	SELECT showtime_id, last FROM batch WHERE first = 1
	ON CONFLICT (showtime_id) DO NOTHING
	RETURNING showtime_id
), advanced AS (
	UPDATE seat_heads AS h SET seq = b.last
	FROM batch AS b
	WHERE h.showtime_id = b.showtime_id AND b.first > 1 AND h.seq = b.first - 1
	RETURNING h.showtime_id
), won AS MATERIALIZED (
	SELECT b.i, b.showtime_id, b.first, b.last, b.events, b.snap_seq, b.snap_state FROM batch AS b
	WHERE b.first = 0
		OR b.showtime_id IN (SELECT showtime_id FROM created)
		OR b.showtime_id IN (SELECT showtime_id FROM advanced)
), events AS (
	INSERT INTO seat_events (showtime_id, seq, last_seq, data)
	SELECT showtime_id, first, last, events FROM won WHERE first > 0
), snapshots AS (
	INSERT INTO seat_snapshots AS s (showtime_id, seq, state)
	SELECT showtime_id, snap_seq, snap_state FROM won WHERE snap_seq IS NOT NULL
	ON CONFLICT (showtime_id) DO UPDATE SET seq = excluded.seq, state = excluded.state
	WHERE s.seq < excluded.seq
)
SELECT i FROM won`

// AppendSeatsMany stores the appends of many showtimes in one statement
// (see appendManySQL). If the statement fails as a whole on the server (a
// bad row, a key the heads did not foresee), each showtime is written
// alone, so that only the one at fault fails. An error of the connection
// or the deadline fails every append: writing them one by one would only
// fail again, slower.
func (s *seatStore) AppendSeatsMany(ctx context.Context, appends []boxoffice.SeatAppend) []error {
	errs := make([]error, len(appends))
	var todo []int
	for i, a := range appends {
		if err := checkAppend(a); err != nil {
			errs[i] = err
		} else if len(a.Events) > 0 || a.Snapshot != nil {
			todo = append(todo, i)
		}
	}
	for _, round := range rounds(appends, todo) {
		s.appendRound(ctx, appends, round, errs)
	}
	return errs
}

// ConcurrentWrites is how many AppendSeatsMany calls the seats pool can
// run at once while keeping a connection for loading showtimes: the
// node's journal committer keeps no more in flight.
func (s *seatStore) ConcurrentWrites() int {
	return max(1, int(s.db.pool.Config().MaxConns)-1)
}

// checkAppend asserts what the journal relies on: the events' Seqs (see
// boxoffice.ValidateSeatEvents), and a snapshot that has a seq and belongs
// to the showtime.
func checkAppend(a boxoffice.SeatAppend) error {
	if err := boxoffice.ValidateSeatEvents(a.ShowtimeID, a.Events); err != nil {
		return err
	}
	if snap := a.Snapshot; snap != nil && (snap.Seq == 0 ||
		(snap.ShowtimeID != "" && snap.ShowtimeID != a.ShowtimeID)) {
		return boxoffice.Errorf(boxoffice.EINVALID, "seat snapshot does not belong to showtime %s", a.ShowtimeID)
	}
	return nil
}

// rounds splits the appends to write into statements that name each
// showtime once: the first append of every showtime, then the second...
// Two appends of one showtime in one flush come from two activations of
// it; writing them one after the other lets the fence pick one.
func rounds(appends []boxoffice.SeatAppend, todo []int) [][]int {
	var out [][]int
	seen := map[string]int{} // showtime ID: appends of it so far
	for _, i := range todo {
		r := seen[appends[i].ShowtimeID]
		seen[appends[i].ShowtimeID] = r + 1
		if r == len(out) {
			out = append(out, nil)
		}
		out[r] = append(out[r], i)
	}
	return out
}

// appendRound writes the appends idx in one statement and sets their
// errors.
func (s *seatStore) appendRound(ctx context.Context, appends []boxoffice.SeatAppend, idx []int, errs []error) {
	won, err := s.execMany(ctx, appends, idx)
	switch {
	case err == nil:
		for _, i := range idx {
			if !won[i] {
				errs[i] = fenced(appends[i])
			}
		}
	case len(idx) > 1 && splittable(err):
		for _, i := range idx {
			s.appendRound(ctx, appends, []int{i}, errs)
		}
	case len(idx) == 1 && isUnique(err, "seat_events_pkey"):
		errs[idx[0]] = fenced(appends[idx[0]])
	default:
		err = s.db.translate(err)
		for _, i := range idx {
			errs[i] = err
		}
	}
}

// splittable reports a failed statement that writing its showtimes one by
// one may get past: the server refused it (a bad row, a key, a deadlock
// between two activations of one showtime), or a row could not be
// encoded. Not when the server is unreachable, busy or out of time.
func splittable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return !transientState(pgErr.Code) || pgErr.Code == "40P01" || pgErr.Code == "40001"
	}
	return !isConnectionError(err)
}

func fenced(a boxoffice.SeatAppend) error {
	if len(a.Events) == 0 {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "showtime %s: snapshot not stored", a.ShowtimeID)
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT,
		"showtime %s: seat journal does not end at seq %d: another activation wrote first",
		a.ShowtimeID, a.Events[0].Seq-1)
}

// execMany runs appendManySQL for the appends idx and returns those stored.
func (s *seatStore) execMany(ctx context.Context, appends []boxoffice.SeatAppend, idx []int) (map[int]bool, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var (
		ids           = make([]int32, len(idx))
		showtimes     = make([]string, len(idx))
		firsts, lasts = make([]int64, len(idx)), make([]int64, len(idx))
		events        = make([][]byte, len(idx))
		snapSeqs      = make([]*int64, len(idx))
		snapStates    = make([][]byte, len(idx))
		ends          = make([]int, len(idx)) // where each append's events end in buf
		buf           []byte
	)
	for k, i := range idx {
		a := appends[i]
		ids[k], showtimes[k] = int32(i), a.ShowtimeID
		if n := len(a.Events); n > 0 {
			firsts[k], lasts[k] = int64(a.Events[0].Seq), int64(a.Events[n-1].Seq)
			buf = boxoffice.AppendSeatEvents(buf, a.Events)
		}
		ends[k] = len(buf)
		if a.Snapshot != nil {
			seq := int64(a.Snapshot.Seq)
			snapSeqs[k], snapStates[k] = &seq, []byte(a.Snapshot.State)
			if snapStates[k] == nil {
				snapStates[k] = []byte("null")
			}
		}
	}
	// One buffer for every append, cut once it has stopped growing.
	start := 0
	for k, end := range ends {
		if end > start {
			events[k] = buf[start:end:end]
		}
		start = end
	}
	rows, err := s.db.pool.Query(ctx, appendManySQL, ids, showtimes, firsts, lasts, events, snapSeqs, snapStates)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	won := make(map[int]bool, len(idx))
	for rows.Next() {
		var i int32
		if err := rows.Scan(&i); err != nil {
			return nil, err
		}
		won[int(i)] = true
	}
	return won, rows.Err()
}
