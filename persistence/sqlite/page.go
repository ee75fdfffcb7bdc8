package sqlite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/boxoffice/boxoffice"
)

// A cursor is the sort key and the ID of the last item of a page: the next
// page starts strictly after that pair, so items with equal keys are neither
// repeated nor skipped. Clients see it as an opaque base64 string.

func encodeCursor(key, id string) string {
	b, _ := json.Marshal([2]string{key, id}) // two strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(cursor string) (key, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var pair [2]string
	if err == nil {
		err = json.Unmarshal(b, &pair)
	}
	if err != nil || pair[1] == "" {
		return "", "", boxoffice.Errorf(boxoffice.EINVALID, "cursor %q is not valid", cursor)
	}
	return pair[0], pair[1], nil
}

// encodeTimeCursor makes a cursor whose key is a time in unix microseconds.
func encodeTimeCursor(us int64, id string) string {
	return encodeCursor(strconv.FormatInt(us, 10), id)
}

func decodeTimeCursor(cursor string) (us int64, id string, err error) {
	key, id, err := decodeCursor(cursor)
	if err != nil {
		return 0, "", err
	}
	us, err = strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, "", boxoffice.Errorf(boxoffice.EINVALID, "cursor %q is not valid", cursor)
	}
	return us, id, nil
}

// newestByUser pages one user's rows of table newest first by
// (created_at, id): a user's bookings and notifications. columns are the
// ones scan reads.
func newestByUser[T any](ctx context.Context, d *db, table, columns, userID string, p boxoffice.Page,
	scan func(scanner) (T, error), key func(T) (time.Time, string)) ([]T, string, error) {
	p = p.Normalize()
	where := []string{`user_id = ?`}
	args := []any{userID}
	if p.Cursor != "" {
		created, id, err := decodeTimeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, `(created_at, id) < (?, ?)`)
		args = append(args, created, id)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+columns+` FROM `+table+whereClause(where)+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, p.Limit+1)...)
	if err != nil {
		return nil, "", translate(err, table)
	}
	list, err := collect(rows, scan)
	if err != nil {
		return nil, "", translate(err, table)
	}
	list, next := boxoffice.TrimPage(list, p.Limit, func(v T) string {
		t, id := key(v)
		return encodeTimeCursor(micros(t), id)
	})
	return list, next, nil
}
