package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/boxoffice/boxoffice"
)

// Audit bounds: how long bookings may take to settle (sagas still running
// when the load stopped), how many pages of a user's bookings are read,
// how many acknowledged bookings the admin reads one by one (the users'
// lists cover the rest), and how many audit requests run at once.
const (
	settleMax       = 15 * time.Second
	settlePoll      = 250 * time.Millisecond
	bookingPagesMax = 1_000
	adminGetsMax    = 20_000
	auditParallel   = 16
	// An audit read answered 503 (a node fenced, or rejoining the cluster
	// under a new id after a fault) or not at all is asked again, every
	// auditRetryPoll for at most auditRetryMax: 503 means "retry", and the
	// end state is the same through any node.
	auditRetryMax  = 30 * time.Second
	auditRetryPoll = 250 * time.Millisecond
)

// auditDo makes an audit read, asking again while the answer is 503 or
// missing (see auditRetryMax).
func auditDo(ctx context.Context, env *Env, req Request) Result {
	deadline := time.Now().Add(auditRetryMax)
	for {
		r := env.client.Do(ctx, req)
		if (r.Err == nil && r.Status != http.StatusServiceUnavailable) || time.Now().After(deadline) || ctx.Err() != nil {
			return r
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(auditRetryPoll):
		}
	}
}

// bookingJSON is a booking as the API shows it.
type bookingJSON struct {
	ID         string   `json:"id"`
	ShowtimeID string   `json:"showtime_id"`
	Seats      []string `json:"seats"`
	Status     string   `json:"status"`
	TotalCents int64    `json:"total_cents"`
	Payment    *struct {
		Status string `json:"status"`
	} `json:"payment"`
}

func (b bookingJSON) audit() *AuditBooking {
	ab := &AuditBooking{ID: b.ID, ShowtimeID: b.ShowtimeID, Seats: b.Seats, Status: b.Status, TotalCents: b.TotalCents}
	if b.Payment != nil {
		// The API shows the payment's status, not its amount.
		ab.PaymentStatus, ab.PaymentCentsUnknown = b.Payment.Status, true
	}
	return ab
}

// collectAPI reads the end state through the API: every booking of every
// harness user (read again until none is pending, at most settleMax), each
// acknowledged booking through the admin's GET /bookings/{id}, and the seat
// map of every showtime the run created.
func collectAPI(ctx context.Context, env *Env, acks []Ack) (*AuditData, error) {
	d := &AuditData{Source: "api", SeatMaps: map[string]map[string]boxoffice.SeatStatus{}}
	deadline := time.Now().Add(settleMax)
	for {
		var err error
		if d.Bookings, err = listAllBookings(ctx, env); err != nil {
			return nil, err
		}
		if notFinal(d) == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(settlePoll)
	}
	if err := adminReadAcks(ctx, env, acks, d.Bookings); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(auditParallel)
	for _, st := range env.Showtimes() {
		g.Go(func() error {
			var v seatMapView
			r := auditDo(gctx, env, Request{Method: "GET", Path: "/api/v1/showtimes/" + st + "/seats"})
			if err := r.expect(http.StatusOK, "audit seat map "+st, &v); err != nil {
				return err
			}
			m := make(map[string]boxoffice.SeatStatus, len(v.Seats))
			for _, s := range v.Seats {
				m[s.ID] = s.Status
			}
			mu.Lock()
			d.SeatMaps[st] = m
			mu.Unlock()
			return nil
		})
	}
	return d, g.Wait()
}

// listAllBookings pages through each harness user's GET /bookings.
func listAllBookings(ctx context.Context, env *Env) (map[string]*AuditBooking, error) {
	out := map[string]*AuditBooking{}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(auditParallel)
	for _, u := range env.users {
		g.Go(func() error {
			cursor := ""
			for range bookingPagesMax {
				var page struct {
					Items      []bookingJSON `json:"items"`
					NextCursor string        `json:"next_cursor"`
				}
				path := fmt.Sprintf("/api/v1/bookings?limit=%d&cursor=%s", boxoffice.PageLimitMax, url.QueryEscape(cursor))
				r := auditDo(ctx, env, Request{Method: "GET", Path: path, Token: u.Token(ctx, env.client)})
				if err := r.expect(http.StatusOK, "audit bookings of "+u.Email, &page); err != nil {
					return err
				}
				mu.Lock()
				for _, b := range page.Items {
					out[b.ID] = b.audit()
				}
				mu.Unlock()
				if cursor = page.NextCursor; cursor == "" || len(page.Items) == 0 {
					return nil
				}
			}
			return nil
		})
	}
	return out, g.Wait()
}

// adminReadAcks reads acknowledged bookings one by one as the admin, a
// second path to the same data: what it finds replaces the list's entry.
// A booking the admin cannot find stays as the lists have it (or missing).
func adminReadAcks(ctx context.Context, env *Env, acks []Ack, into map[string]*AuditBooking) error {
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(auditParallel)
	for _, a := range acks[:min(len(acks), adminGetsMax)] {
		g.Go(func() error {
			var b bookingJSON
			r := auditDo(ctx, env, Request{Method: "GET", Path: "/api/v1/bookings/" + a.BookingID, Token: env.admin.Token(ctx, env.client)})
			if r.Status == http.StatusNotFound {
				return nil
			}
			if err := r.expect(http.StatusOK, "audit: admin GET /bookings/"+a.BookingID, &b); err != nil {
				return err
			}
			mu.Lock()
			into[b.ID] = b.audit()
			mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}
