package postgres

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// Cursors are keyset positions: the sort key of the last item of a page,
// base64url-encoded so that clients treat them as opaque and cannot
// confuse them with IDs. Parts are separated by NUL, which PostgreSQL text
// cannot contain.
const cursorSep = "\x00"

func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, cursorSep)))
}

// decodeCursor returns the n parts of a cursor; an empty cursor has none.
func decodeCursor(cursor string, n int) ([]string, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.Split(string(b), cursorSep)
	if err != nil || len(parts) != n {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "cursor is invalid")
	}
	return parts, nil
}

// timeKey and parseTimeKey put a time into a cursor exactly (PostgreSQL
// keeps microseconds, RFC 3339 with nanoseconds loses none of them).
func timeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTimeKey(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, boxoffice.Errorf(boxoffice.EINVALID, "cursor is invalid")
	}
	return t, nil
}

// timeIDCursor decodes a (time, id) cursor; ok is false for the first page.
func timeIDCursor(cursor string) (t time.Time, id string, ok bool, err error) {
	parts, err := decodeCursor(cursor, 2)
	if err != nil || parts == nil {
		return time.Time{}, "", false, err
	}
	t, err = parseTimeKey(parts[0])
	return t, parts[1], err == nil, err
}

// endOfTime starts a newest-first list: every row sorts before it.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// newestFirstCursor decodes the cursor of a list sorted by (time, id)
// descending. The first page starts at endOfTime, so that one query shape
// (and one index range scan) serves every page.
func newestFirstCursor(cursor string) (time.Time, string, error) {
	t, id, ok, err := timeIDCursor(cursor)
	if err != nil || !ok {
		return endOfTime, "", err
	}
	return t, id, nil
}

// startOfTime starts an oldest-first list: every row sorts after it.
var startOfTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)

// oldestFirstCursor decodes the cursor of a list sorted by (time, id)
// ascending. The first page starts at startOfTime, so that one query shape
// serves every page.
func oldestFirstCursor(cursor string) (time.Time, string, error) {
	t, id, ok, err := timeIDCursor(cursor)
	if err != nil || !ok {
		return startOfTime, "", err
	}
	return t, id, nil
}

// newestByUser pages one user's rows of table newest first by
// (created_at, id): a user's bookings and notifications. columns are the
// ones collect scans.
func newestByUser[T any](ctx context.Context, d *db, table, columns, userID string, p boxoffice.Page,
	collect func(pgx.Rows) ([]T, error), key func(T) (time.Time, string)) ([]T, string, error) {
	ctx, cancel := d.bound(ctx)
	defer cancel()
	p = p.Normalize()
	at, id, err := newestFirstCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := d.pool.Query(ctx, `SELECT `+columns+` FROM `+table+`
		WHERE user_id = $1 AND (created_at, id) < ($2, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`,
		userID, at, id, p.Limit+1)
	if err != nil {
		return nil, "", d.translate(err)
	}
	list, err := collect(rows)
	if err != nil {
		return nil, "", d.translate(err)
	}
	list, next := boxoffice.TrimPage(list, p.Limit, func(v T) string {
		t, id := key(v)
		return encodeCursor(timeKey(t), id)
	})
	return list, next, nil
}

// utc converts an optional time read from the database to UTC.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// orEmpty makes a nil slice empty: the array columns are NOT NULL and pgx
// sends a nil slice as NULL.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
