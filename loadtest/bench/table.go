package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// tableRow is one ratio of issue 11's table: its samples run by run, its
// target, and the measured figures it is made of.
type tableRow struct {
	figure  string
	samples []float64
	target  target
	detail  string // the figures it divides, median and range
}

// table is the bench's result.
type table struct{ rows []tableRow }

func (b *bench) table() table {
	f := func(key, unit string) string { return b.spreadOf(key).format("%.0f") + unit }
	ms := func(key string) string { return b.spreadOf(key).format("%.2f") + " ms" }
	spreadN := int(b.spreadOf(fEngineShowtimes).Median)
	rows := []tableRow{
		{"durable 1-seat holds via HTTP over 100 showtimes / pgbench hold-release (conditional UPDATE to hold, to release) over 100 showtimes",
			b.ratios(fHTTPHolds(100), fSQLHold100), target{true, 1.5},
			"HTTP " + f(fHTTPHolds(100), " holds/s") + "; SQL " + f(fSQLHold100, " tps")},
		{"the same HTTP figure over 1000 showtimes / over 10 showtimes",
			b.ratios(fHTTPHolds(1000), fHTTPHolds(10)), target{true, 0.8},
			"1000: " + f(fHTTPHolds(1000), "/s") + "; 10: " + f(fHTTPHolds(10), "/s")},
		{"refused hold attempts on a sold-out set / GET /healthz, same client",
			b.ratios(fRefusedRPS, fHealthzRPS), target{true, 0.7},
			"refused " + f(fRefusedRPS, "/s") + "; healthz " + f(fHealthzRPS, "/s")},
		{"flash sale, one showtime, hold-release via HTTP / pgbench hold-release on one showtime",
			b.ratios(fHTTPHolds(1), fSQLHold1), target{true, 2},
			"HTTP " + f(fHTTPHolds(1), " holds/s") + "; SQL " + f(fSQLHold1, " tps")},
		{"hold p99 at half the node's max rate, open loop / GET /healthz p99 at the same rate",
			b.ratios(fOpenHoldP99, fOpenHealthzP99), target{false, 2},
			"rate " + f(fOpenRate, "/s") + "; hold p99 " + ms(fOpenHoldP99) + "; healthz p99 " + ms(fOpenHealthzP99)},
		{"confirmed bookings/s via HTTP (steady, 50 showtimes, hold then book) / pgbench booking transaction (UPDATE seat, INSERT booking, INSERT payment)",
			b.ratios(fPGBookings, fSQLBooking), target{true, 1},
			"HTTP " + f(fPGBookings, "/s") + "; SQL " + f(fSQLBooking, " tps")},
		{"book p50 via HTTP / the SQL booking transaction's mean latency",
			b.ratios(fPGBookP50, fSQLBookingMs), target{false, 1},
			"book p50 " + ms(fPGBookP50) + "; SQL mean " + ms(fSQLBookingMs)},
		{"the same bookings/s on the embedded SQLite store / on PostgreSQL",
			b.ratios(fSQLiteBookings, fPGBookings), target{true, 1},
			"SQLite " + f(fSQLiteBookings, "/s") + " (book p50 " + ms(fSQLiteBookP50) + "); PostgreSQL " + f(fPGBookings, "/s")},
		{"engine alone (no HTTP), flash sale: grain / conditional UPDATE (BenchmarkHoldsOnPostgres, showtimes=1)",
			b.samples(fEngineRatio1), target{true, 10},
			"grain " + f(fEngineGrain1, " holds/s") + "; SQL " + f(fEngineSQL1, " holds/s")},
		{fmt.Sprintf("engine alone (no HTTP), spread: grain / conditional UPDATE (BenchmarkHoldsOnPostgres, showtimes=%d)", spreadN),
			b.samples(fEngineRatio100), target{true, 5},
			"grain " + f(fEngineGrain100, " holds/s") + "; SQL " + f(fEngineSQL100, " holds/s")},
	}
	if spreadN != 100 {
		rows[len(rows)-1].detail += "; this tree has no showtimes=100 case, so the widest it has"
	}
	return table{rows: rows}
}

// writeText prints the table for the terminal: one block per ratio.
func (t table) writeText(w io.Writer) {
	fmt.Fprintln(w, "\nIssue 11's table (ratio: median (min-max, runs); target; verdict on the median):")
	for _, r := range t.rows {
		s := spreadOf(r.samples)
		fmt.Fprintf(w, "\n  %s\n    %s   target %s   %s\n    %s\n", r.figure, s.format("%.2f"), r.target, strings.ToUpper(r.target.verdict(s)), r.detail)
	}
	fmt.Fprintln(w)
}

// writeMarkdown writes the table as Markdown.
func (t table) writeMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| figure (same run) | ratio: median (min-max) | target | verdict | measured: median (min-max) |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range t.rows {
		s := spreadOf(r.samples)
		v := r.target.verdict(s)
		if v == "miss" {
			v = "**miss**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.figure, s.format("%.2f"), r.target, v, r.detail)
	}
}

// Markers of the bench's section in BENCHMARKS.md.
const (
	sectionBegin = "<!-- make bench: begin (written by loadtest/bench; edits between these markers are overwritten) -->"
	sectionEnd   = "<!-- make bench: end -->"
)

// markdown is the bench's whole section.
func (b *bench) markdown(t table, svg string) string {
	var w strings.Builder
	fmt.Fprintln(&w, "## Issue 11's table, measured by `make bench`")
	fmt.Fprintln(&w)
	fmt.Fprintf(&w, "Taken %s, %d run(s), %s of load per figure (the scale scenario: %s per number of showtimes), %d HTTP connections and %d pgbench clients, on one PostgreSQL %s server for the SQL baselines and the node.\n\n",
		b.started.UTC().Format("2006-01-02 15:04 MST"), len(b.runs), b.o.duration, b.o.duration, b.o.connections, b.o.connections, b.pgServer)
	fmt.Fprintf(&w, "Machine: %s. The node, PostgreSQL, pgbench and the load generator share it; other work ran on it too, so compare ratios within a run rather than absolute figures.\n\n", b.machine)
	t.writeMarkdown(&w)
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "Each ratio is taken within one run (both sides measured minutes apart on the same server) and the table gives its median over the runs and their range; the verdict judges the median.")
	if svg != "" {
		fmt.Fprintf(&w, "\n![durable holds/s via HTTP by the number of showtimes they are spread over](%s)\n", svg)
	}
	fmt.Fprintln(&w, "\n### How each figure is taken")
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "- SQL baselines: pgbench with its own database on the same server (`-M prepared`, 64 clients, `-T` seconds). Hold-release: two autocommitted conditional UPDATEs per transaction (hold where `status = 'free'`, release where the hold ID matches), a random showtime among 100 (or the one showtime) and the client's own seat. Booking: one transaction of a conditional UPDATE of a free seat, an INSERT into bookings and one into payments (foreign key), each client on seats of its own spread over 50 showtimes. After each run the bench checks the rows: as many seats held (a counter the hold increments) as transactions and none left held; as many bookings, payments and booked seats as transactions, each booking holding its seat.")
	fmt.Fprintln(&w, "- HTTP: a local node on the same server (databases of its own, dropped afterwards), `BOXOFFICE_HOLD_CAPS=off BOXOFFICE_RATE_LIMITS=off`. A hold's 201 is sent after its event is committed to the seat journal and a release's 204 after the release is, so holds/s counts durable holds. `scale` holds then releases one seat (each connection its own seat) on a random showtime among 1, 10, 100, then 1000, all loaded before the clock starts. `hold-contention` alternates one-second phases of hold attempts on a sold-out showtime (all 409) and of `GET /healthz` on the same client. The open loop sends a fixed arrival rate, half the closed-loop holds/s over 100 showtimes of the same run, and counts latency from each arrival's intended send time. `steady` holds one or two seats then books them (card `tok_visa`), over 50 showtimes.")
	fmt.Fprintln(&w, "- Engine alone: `BenchmarkHoldsOnPostgres` (actors/), the grain through its in-process cluster API against the conditional UPDATE in process, 64 clients.")
	fmt.Fprintln(&w, "\n### Commands")
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "```sh")
	fmt.Fprintln(&w, "# all of it:")
	fmt.Fprintf(&w, "BOXOFFICE_TEST_DATABASE_URL=$DATABASE_URL make bench   # go run ./loadtest/bench --runs %d --duration %s ...\n", len(b.runs), b.o.duration)
	fmt.Fprintln(&w, "# each figure (the node: BOXOFFICE_HOLD_CAPS=off BOXOFFICE_RATE_LIMITS=off boxoffice serve --database-url $DATABASE_URL; the admin env set for loadtest):")
	keys := make([]string, 0, len(b.commands))
	for k := range b.commands {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&w, "# %s\n%s\n", k, b.commands[k])
	}
	fmt.Fprintln(&w, "```")
	fmt.Fprintln(&w, "\nThe pgbench scripts (`-D` sets their variables; `:client_id` is pgbench's own):")
	for _, sc := range []struct{ name, text string }{{"hold-release.sql", holdReleaseScript}, {"booking.sql", bookingScript}} {
		fmt.Fprintf(&w, "\n`%s`:\n\n```sql\n%s```\n", sc.name, sc.text)
	}
	if len(b.notes) > 0 {
		fmt.Fprintln(&w, "\n### Notes of this run")
		fmt.Fprintln(&w)
		for _, n := range b.notes {
			fmt.Fprintln(&w, "- "+n)
		}
	}
	return w.String()
}

// replaceSection puts section between the markers of doc, or appends it
// with its markers when doc has none.
func replaceSection(doc, section string) string {
	block := sectionBegin + "\n" + strings.TrimRight(section, "\n") + "\n" + sectionEnd + "\n"
	i := strings.Index(doc, sectionBegin)
	j := strings.Index(doc, sectionEnd)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc = strings.TrimRight(doc, "\n") + "\n\n"
		}
		return doc + block
	}
	rest := doc[j+len(sectionEnd):]
	rest = strings.TrimPrefix(rest, "\n")
	return doc[:i] + block + rest
}

// updateMarkdown rewrites the bench's section of the file at path.
func updateMarkdown(path, section string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(path, []byte(replaceSection(string(doc), section)), 0o644)
}
