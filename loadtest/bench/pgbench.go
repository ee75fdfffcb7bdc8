package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The plain-SQL baselines of issue 11, run with pgbench on the server the
// node uses, in a database of their own. The schema is what a team would
// write without the showtime grain: a seats table with a status per seat,
// bookings and payments tables. holds and booking_id let the bench prove
// afterwards that every transaction pgbench counted did its writes (a
// conditional UPDATE that matches no row is cheaper and would flatter SQL).
const pgbenchSchema = `
CREATE TABLE seats (
	showtime_id int NOT NULL,
	seat_id     int NOT NULL,
	status      text NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'held', 'booked')),
	hold_id     text,
	owner       text,
	expires_at  timestamptz,
	booking_id  text,
	holds       bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (showtime_id, seat_id)
);
CREATE TABLE bookings (
	id          text PRIMARY KEY,
	showtime_id int NOT NULL,
	seat_id     int NOT NULL,
	user_id     text NOT NULL,
	total_cents int NOT NULL,
	status      text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE payments (
	id           text PRIMARY KEY,
	booking_id   text NOT NULL REFERENCES bookings (id),
	amount_cents int NOT NULL,
	status       text NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now()
);`

// holdReleaseScript is one durable 1-seat hold and its release, each an
// autocommitted conditional UPDATE, the work of one HTTP hold-release
// step. The showtime is drawn at random among :showtimes; the seat is the
// client's own (seat :client_id of every showtime), so no client ever
// waits for another's row or finds its seat taken. Each hold has its own
// hold ID (:n counts the client's transactions).
const holdReleaseScript = `\set n :n + 1
\set st random(1, :showtimes)
UPDATE seats SET status = 'held', hold_id = :client_id || '-' || :n, owner = 'u' || :client_id, expires_at = now() + interval '10 minutes', holds = holds + 1 WHERE showtime_id = :st AND seat_id = :client_id AND status = 'free';
UPDATE seats SET status = 'free', hold_id = NULL, owner = NULL, expires_at = NULL WHERE showtime_id = :st AND seat_id = :client_id AND hold_id = :client_id || '-' || :n;
`

// bookingScript is one plain SQL booking in one transaction: the
// conditional UPDATE of a free seat, the booking and its payment. Client
// c books the seats c*:k+1, c*:k+2, ... in turn (seats of its own, never
// booked twice: a random seat would sometimes be taken already, and a
// transaction that writes nothing would count as a booking), each on
// showtime 1000 + seat mod :showtimes + 1, so the bookings spread over
// :showtimes showtimes.
const bookingScript = `\set n :n + 1
\set seat :client_id * :k + :n
\set st 1000 + :seat % :showtimes + 1
BEGIN;
UPDATE seats SET status = 'booked', booking_id = 'b' || :client_id || '-' || :n WHERE showtime_id = :st AND seat_id = :seat AND status = 'free';
INSERT INTO bookings (id, showtime_id, seat_id, user_id, total_cents, status) VALUES ('b' || :client_id || '-' || :n, :st, :seat, 'u' || :client_id, 1200, 'confirmed');
INSERT INTO payments (id, booking_id, amount_cents, status) VALUES ('p' || :client_id || '-' || :n, 'b' || :client_id || '-' || :n, 1200, 'captured');
END;
`

// Sizes of the baselines' data.
const (
	sqlHoldShowtimes    = 100 // hold-release: showtimes 1..100, seats 0..clients-1 on each
	sqlBookingShowtimes = 50
	bookingShowtimeBase = 1000 // booking seats are on showtimes 1001..1050
	// bookingsPerSecondMax bounds the baseline's bookings per second
	// (about 5x the fastest seen): each client gets a range of seats for
	// its share of that over the run. A client that books past its range
	// would find its next seats taken, which the checks after the run catch.
	bookingsPerSecondMax = 20_000
)

// pgbenchResult is what pgbench printed for one run.
type pgbenchResult struct {
	TPS          float64 // without the initial connection time
	LatencyAvgMs float64
	Processed    int64
	Failed       int64
}

var (
	rePgProcessed = regexp.MustCompile(`(?m)^number of transactions actually processed: (\d+)`)
	rePgFailed    = regexp.MustCompile(`(?m)^number of failed transactions: (\d+)`)
	rePgLatency   = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
	rePgTPS       = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
)

// parsePgbench reads the summary pgbench prints at the end of a run.
func parsePgbench(out string) (pgbenchResult, error) {
	var r pgbenchResult
	m := rePgProcessed.FindStringSubmatch(out)
	t := rePgTPS.FindStringSubmatch(out)
	l := rePgLatency.FindStringSubmatch(out)
	if m == nil || t == nil || l == nil {
		return r, fmt.Errorf("pgbench printed no summary (processed, latency average, tps):\n%s", tail(out, 2000))
	}
	r.Processed, _ = strconv.ParseInt(m[1], 10, 64)
	r.TPS, _ = strconv.ParseFloat(t[1], 64)
	r.LatencyAvgMs, _ = strconv.ParseFloat(l[1], 64)
	if f := rePgFailed.FindStringSubmatch(out); f != nil {
		r.Failed, _ = strconv.ParseInt(f[1], 10, 64)
	}
	if strings.Contains(out, "aborted in command") {
		return r, fmt.Errorf("a pgbench client aborted:\n%s", tail(out, 2000))
	}
	return r, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// sqlBench runs the baselines in database name of the server at url.
type sqlBench struct {
	bin      string // pgbench
	url      string // the baseline database
	adminURL string // the server's maintenance database, to create and drop it
	name     string
	dir      string // scripts
	clients  int
	duration time.Duration
	pool     *pgxpool.Pool
}

// openSQLBench creates the baseline database and its tables.
func openSQLBench(ctx context.Context, bin, serverURL, name, dir string, clients int, d time.Duration) (*sqlBench, error) {
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return nil, err
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", cfg.Host, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return nil, err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, err
	}
	s := &sqlBench{bin: bin, adminURL: serverURL, name: name, dir: dir, clients: clients, duration: d}
	if s.url, err = withDatabase(serverURL, name); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(s.url)
	if err != nil {
		return nil, err
	}
	pcfg.MaxConns = 2
	if s.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, pgbenchSchema); err != nil {
		s.close(ctx)
		return nil, fmt.Errorf("baseline schema: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO seats (showtime_id, seat_id)
		SELECT st, seat FROM generate_series(1, $1::int) st, generate_series(0, $2::int - 1) seat`, sqlHoldShowtimes, clients); err != nil {
		s.close(ctx)
		return nil, err
	}
	for name, script := range map[string]string{"hold-release.sql": holdReleaseScript, "booking.sql": bookingScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o644); err != nil {
			s.close(ctx)
			return nil, err
		}
	}
	return s, nil
}

// withDatabase is the connection string with its database replaced by
// name: a URL's path, or a dbname added to a keyword/value string (the
// last dbname wins).
func withDatabase(conn, name string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return conn + " dbname=" + name, nil
}

// close drops the baseline database.
func (s *sqlBench) close(ctx context.Context) {
	if s.pool != nil {
		s.pool.Close()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, s.adminURL); err == nil {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.name}.Sanitize()+" WITH (FORCE)")
		c.Close(ctx)
	}
}

// run runs pgbench with a script and variables, and returns its summary
// and the command line (with the database URL as $DATABASE_URL).
func (s *sqlBench) run(ctx context.Context, script string, vars ...string) (pgbenchResult, string, error) {
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(s.clients), "-j", "2",
		"-T", strconv.Itoa(int(s.duration.Round(time.Second) / time.Second)), "-f", filepath.Join(s.dir, script)}
	for _, v := range vars {
		args = append(args, "-D", v)
	}
	line := "pgbench " + strings.Join(args, " ") + " $DATABASE_URL"
	line = strings.ReplaceAll(line, s.dir+string(filepath.Separator), "") // the scripts are printed with the figures
	ctx, cancel := context.WithTimeout(ctx, s.duration+2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, s.bin, append(args, s.url)...).CombinedOutput()
	if err != nil {
		return pgbenchResult{}, line, fmt.Errorf("%s: %w\n%s", line, err, tail(string(out), 2000))
	}
	r, err := parsePgbench(string(out))
	if err == nil && r.Failed > 0 {
		err = fmt.Errorf("%s: %d failed transactions", line, r.Failed)
	}
	return r, line, err
}

// holdRelease runs the hold-release baseline over showtimes 1..n and
// checks that every counted transaction held a seat and released it.
func (s *sqlBench) holdRelease(ctx context.Context, showtimes int) (pgbenchResult, string, error) {
	var before int64
	if err := s.pool.QueryRow(ctx, `SELECT sum(holds) FROM seats WHERE showtime_id <= $1`, sqlHoldShowtimes).Scan(&before); err != nil {
		return pgbenchResult{}, "", err
	}
	r, line, err := s.run(ctx, "hold-release.sql", "n=0", fmt.Sprintf("showtimes=%d", showtimes))
	if err != nil {
		return r, line, err
	}
	var after, notFree int64
	err = s.pool.QueryRow(ctx, `SELECT sum(holds), count(*) FILTER (WHERE status <> 'free') FROM seats WHERE showtime_id <= $1`,
		sqlHoldShowtimes).Scan(&after, &notFree)
	if err != nil {
		return r, line, err
	}
	return r, line, checkHoldRelease(r.Processed, after-before, notFree)
}

// checkHoldRelease: each transaction did a hold that matched its row (the
// holds counter) and a release (no seat left held).
func checkHoldRelease(processed, holds, notFree int64) error {
	switch {
	case holds != processed:
		return fmt.Errorf("hold-release baseline: %d transactions but %d seats held", processed, holds)
	case notFree != 0:
		return fmt.Errorf("hold-release baseline: %d seats left held (releases that matched no row)", notFree)
	}
	return nil
}

// booking runs the booking baseline on fresh seats and checks that each
// counted transaction booked one free seat and wrote its booking and
// payment.
func (s *sqlBench) booking(ctx context.Context) (pgbenchResult, string, error) {
	// k is not a multiple of the showtimes, so that the clients, which
	// book in step, are on different showtimes at any moment.
	k := (bookingsPerSecondMax/s.clients+1)*max(1, int(s.duration.Seconds())) + 7
	_, err := s.pool.Exec(ctx, `TRUNCATE payments, bookings;
		DELETE FROM seats WHERE showtime_id > `+strconv.Itoa(bookingShowtimeBase))
	if err == nil {
		// Seat c*k+i (i in 1..k) of client c is on showtime
		// base + (c*k+i) mod showtimes + 1; the script adds the base.
		_, err = s.pool.Exec(ctx, `INSERT INTO seats (showtime_id, seat_id)
			SELECT $1::int + seat % $2::int + 1, seat FROM generate_series(1, $3::int * $4::int) seat`,
			bookingShowtimeBase, sqlBookingShowtimes, s.clients, k)
	}
	if err == nil {
		_, err = s.pool.Exec(ctx, `VACUUM ANALYZE seats`)
	}
	if err != nil {
		return pgbenchResult{}, "", fmt.Errorf("booking baseline seats: %w", err)
	}
	r, line, err := s.run(ctx, "booking.sql", "n=0", fmt.Sprintf("k=%d", k), fmt.Sprintf("showtimes=%d", sqlBookingShowtimes))
	if err != nil {
		return r, line, err
	}
	var bookings, payments, booked, matched, showtimes int64
	err = s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM bookings), (SELECT count(*) FROM payments),
		(SELECT count(*) FROM seats WHERE status = 'booked'),
		(SELECT count(*) FROM bookings b JOIN seats s ON s.showtime_id = b.showtime_id AND s.seat_id = b.seat_id AND s.booking_id = b.id),
		(SELECT count(DISTINCT showtime_id) FROM bookings)`).Scan(&bookings, &payments, &booked, &matched, &showtimes)
	if err != nil {
		return r, line, err
	}
	return r, line, checkBooking(r.Processed, bookings, payments, booked, matched, showtimes, int64(s.clients))
}

// checkBooking: as many bookings, payments and booked seats as counted
// transactions, each booking's seat booked by that booking, and the
// bookings spread over every showtime once each client has booked as many
// times as there are showtimes.
func checkBooking(processed, bookings, payments, booked, matched, showtimes, clients int64) error {
	if bookings != processed || payments != processed || booked != processed || matched != processed {
		return fmt.Errorf("booking baseline: %d transactions, but %d bookings, %d payments, %d booked seats, %d bookings holding their seat",
			processed, bookings, payments, booked, matched)
	}
	if processed >= clients*sqlBookingShowtimes && showtimes != sqlBookingShowtimes {
		return fmt.Errorf("booking baseline: %d bookings on %d showtimes, want %d", processed, showtimes, sqlBookingShowtimes)
	}
	return nil
}
