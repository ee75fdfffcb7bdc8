package loadtest

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
)

// bookAttemptsMax bounds how often a booking with no answer is sent again
// under the same Idempotency-Key, so that its outcome becomes known.
const bookAttemptsMax = 3

// holdRef is a hold the harness placed.
type holdRef struct {
	ID       string
	Showtime string
	Seats    []string
	Expires  time.Time
}

// bookingRef is a booking the harness made.
type bookingRef struct {
	ID   string
	Hold holdRef
}

// isError tells which outcomes count as errors in the progress line and
// the report: no answer, 5xx, back-pressure and requests the server
// found malformed or unauthorized. 404/409/410 are the expected answers of
// a contended sale and are not errors.
func isError(r Result) bool {
	if r.Err != nil || r.Status >= 500 {
		return true
	}
	switch r.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return true
	}
	return false
}

// record adds a request to the recorder, its latency counted from start.
func (w *Worker) record(op Op, r Result, start time.Time) {
	if w.noStats {
		return
	}
	w.env.rec.Record(op, r.Outcome(), isError(r), r.Done.Sub(start), r.Done.Sub(r.Sent), r.Done)
}

func (w *Worker) do(ctx context.Context, op Op, req Request, start time.Time) Result {
	r := w.env.client.Do(ctx, req)
	w.record(op, r, start)
	return r
}

// hold asks for seats. ok is true for a 201.
func (w *Worker) hold(ctx context.Context, showtime string, seats []string, start time.Time) (holdRef, Result, bool) {
	r := w.do(ctx, OpHold, Request{Method: "POST", Path: "/api/v1/showtimes/" + showtime + "/holds",
		Token: w.user.Token(ctx, w.env.client), Body: map[string][]string{"seats": seats}}, start)
	h := w.env.hist
	op := SeatOp{Kind: SeatHold, Call: h.At(r.Sent), Return: h.At(r.Done), Client: w.ID}
	var out struct {
		HoldID    string    `json:"hold_id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	switch {
	case r.Status == http.StatusCreated && r.decode(&out) == nil:
		op.Result, op.Hold, op.Expires = ResultOK, out.HoldID, h.At(out.ExpiresAt)
		h.Add(showtime, seats, op)
		return holdRef{ID: out.HoldID, Showtime: showtime, Seats: seats, Expires: out.ExpiresAt}, r, true
	case r.Status == http.StatusConflict || r.Status == http.StatusTooManyRequests && r.reason() == boxoffice.ReasonCooldown:
		// Only the seats named unavailable were surely taken; the others
		// say nothing. A hold cap refuses before any seat is taken.
		if reason := r.reason(); reason == boxoffice.ReasonSeatCap || reason == boxoffice.ReasonHoldCap || reason == boxoffice.ReasonCooldown {
			w.env.capped.Add(1)
		}
		op.Result = ResultRefused
		h.Add(showtime, r.unavailableSeats(), op)
	case r.Unknown() || r.Status == http.StatusTooManyRequests || r.Status == http.StatusCreated:
		op.Result = ResultUnknown
		h.Add(showtime, seats, op)
	}
	return holdRef{}, r, false
}

// book pays for a hold with a card that is always accepted. A request
// with no answer is sent again with the same Idempotency-Key, at most
// bookAttemptsMax times, so that its outcome becomes known.
func (w *Worker) book(ctx context.Context, hold holdRef, start time.Time) (bookingRef, bool) {
	key := w.env.idempotencyKey()
	body := map[string]any{"hold_id": hold.ID, "payment": map[string]string{"method": "card", "token": "tok_visa"}}
	var r, first Result
	for attempt := range bookAttemptsMax {
		if attempt > 0 {
			w.pause(ctx, time.Duration(attempt)*50*time.Millisecond)
			start = time.Now()
		}
		r = w.do(ctx, OpBook, Request{Method: "POST", Path: "/api/v1/bookings", Token: w.user.Token(ctx, w.env.client),
			Body: body, Key: key}, start)
		if attempt == 0 {
			first = r
		}
		if !r.Unknown() && r.Status != http.StatusTooManyRequests {
			break
		}
	}
	h := w.env.hist
	op := SeatOp{Kind: SeatConfirm, Hold: hold.ID, Call: h.At(first.Sent), Return: h.At(r.Done), Client: w.ID}
	var out struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	ok := r.Status == http.StatusCreated && r.decode(&out) == nil && out.Status == boxoffice.BookingConfirmed
	switch {
	case ok:
		op.Result = ResultOK
		w.env.acks.add(out.ID)
	case r.Status == http.StatusNotFound || r.Status == http.StatusGone:
		op.Result = ResultRefused
	default:
		op.Result = ResultUnknown
	}
	h.Add(hold.Showtime, hold.Seats, op)
	return bookingRef{ID: out.ID, Hold: hold}, ok
}

// release lets a hold go.
func (w *Worker) release(ctx context.Context, hold holdRef, start time.Time) {
	r := w.do(ctx, OpRelease, Request{Method: "DELETE", Path: "/api/v1/holds/" + hold.ID,
		Token: w.user.Token(ctx, w.env.client)}, start)
	h := w.env.hist
	op := SeatOp{Kind: SeatRelease, Hold: hold.ID, Call: h.At(r.Sent), Return: h.At(r.Done), Client: w.ID}
	switch r.Status {
	case http.StatusNoContent:
		op.Result = ResultOK
	case http.StatusNotFound, http.StatusGone:
		op.Result = ResultRefused
	default:
		op.Result = ResultUnknown
	}
	h.Add(hold.Showtime, hold.Seats, op)
}

// cancel cancels a booking (refund, seats freed).
func (w *Worker) cancel(ctx context.Context, b bookingRef, start time.Time) {
	r := w.do(ctx, OpCancel, Request{Method: "POST", Path: "/api/v1/bookings/" + b.ID + "/cancel",
		Token: w.user.Token(ctx, w.env.client)}, start)
	h := w.env.hist
	op := SeatOp{Kind: SeatCancel, Hold: b.Hold.ID, Call: h.At(r.Sent), Return: h.At(r.Done), Client: w.ID}
	var out struct {
		Status string `json:"status"`
	}
	switch {
	case r.Status == http.StatusOK && r.decode(&out) == nil && out.Status == boxoffice.BookingCancelled:
		op.Result = ResultOK
	case r.Status == http.StatusConflict:
		op.Result = ResultRefused
	default:
		op.Result = ResultUnknown
	}
	w.env.acks.cancelled(b.ID, op.Result)
	h.Add(b.Hold.Showtime, b.Hold.Seats, op)
}

// seatMapView is the public seat map.
type seatMapView struct {
	Seats []struct {
		ID     string               `json:"id"`
		Status boxoffice.SeatStatus `json:"status"`
	} `json:"seats"`
}

// seatMap reads a showtime's seat map: seat -> status, or nil.
func (w *Worker) seatMap(ctx context.Context, showtime string, start time.Time) map[string]boxoffice.SeatStatus {
	r := w.do(ctx, OpSeatMap, Request{Method: "GET", Path: "/api/v1/showtimes/" + showtime + "/seats"}, start)
	var v seatMapView
	if r.Status != http.StatusOK || r.decode(&v) != nil {
		return nil
	}
	m := make(map[string]boxoffice.SeatStatus, len(v.Seats))
	for _, s := range v.Seats {
		m[s.ID] = s.Status
	}
	w.env.hist.AddRead(showtime, m, w.env.hist.At(r.Sent), w.env.hist.At(r.Done), w.ID)
	return m
}

// listBookings reads the first page of the worker's bookings.
func (w *Worker) listBookings(ctx context.Context, start time.Time) {
	w.do(ctx, OpBookings, Request{Method: "GET", Path: "/api/v1/bookings?limit=20", Token: w.user.Token(ctx, w.env.client)}, start)
}

// health calls GET /healthz.
func (w *Worker) health(ctx context.Context, start time.Time) {
	w.do(ctx, OpHealth, Request{Method: "GET", Path: "/healthz"}, start)
}

// freeSeats lists the free seats of a map, in a stable order.
func freeSeats(m map[string]boxoffice.SeatStatus) []string {
	var out []string
	for id, st := range m {
		if st == boxoffice.SeatFree {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
