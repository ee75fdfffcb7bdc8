package actors

import (
	"context"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cluster"
)

// errFenced answers showtime calls on a node that has fenced itself.
var errFenced = unavailable("this node is out of the cluster and serves no showtimes now; retry, or use another node")

// watchWait is how long one live-feed request parks in the grain.
const watchWait = 15 * time.Second

// Showtimes talks to showtime grains wherever they live in the cluster. It
// implements boxoffice.ShowtimeService, and the booking saga uses it to confirm
// and cancel seats.
type Showtimes struct {
	cluster func() *pcluster.Cluster
	holdTTL time.Duration
	healthy func() bool // nil: always; see Config.Healthy
	metrics *Metrics    // nil: not counted
}

var _ boxoffice.ShowtimeService = (*Showtimes)(nil)

func (s *Showtimes) call(ctx context.Context, showtimeID string, msg proto.Message) (any, error) {
	if !boxoffice.ValidID(showtimeID) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "showtime %q not found", showtimeID)
	}
	if s.healthy != nil && !s.healthy() {
		// Self-fencing: this node's view of the cluster may be stale (the
		// others may have declared it dead), so it must not route a
		// showtime command by it. Another node can serve the call.
		return nil, errFenced
	}
	return cluster.Request(ctx, s.cluster(), showtimeID, KindShowtime, msg)
}

// Hold places a hold with the node's hold TTL. The seat list is checked
// once, by the grain's seat map.
func (s *Showtimes) Hold(ctx context.Context, showtimeID, owner string, seats []string) (*boxoffice.Hold, error) {
	req := &Hold{HoldId: boxoffice.NewHoldID(showtimeID), Owner: owner, Seats: seats, TtlMs: s.holdTTL.Milliseconds()}
	r, err := replyAs[*HoldReply](s.call(ctx, showtimeID, req))
	s.metrics.hold(err)
	if err != nil {
		return nil, err
	}
	return holdOf(r.Hold), nil
}

// HoldByID returns a live hold of the caller (admins see any).
func (s *Showtimes) HoldByID(ctx context.Context, holdID string, c boxoffice.Caller) (*boxoffice.Hold, error) {
	st, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return nil, err
	}
	r, err := replyAs[*HoldReply](s.call(ctx, st, &GetHold{HoldId: holdID, Owner: ownerOf(c)}))
	if err != nil {
		return nil, notFoundIfMissing(err, "hold", holdID)
	}
	return holdOf(r.Hold), nil
}

// ReleaseHold frees a hold's seats.
func (s *Showtimes) ReleaseHold(ctx context.Context, holdID string, c boxoffice.Caller) error {
	st, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return err
	}
	_, err = replyAs[*Done](s.call(ctx, st, &ReleaseHold{HoldId: holdID, Owner: ownerOf(c)}))
	return notFoundIfMissing(err, "hold", holdID)
}

// SeatMap returns the public seat map.
func (s *Showtimes) SeatMap(ctx context.Context, showtimeID string) (*boxoffice.SeatMapView, error) {
	r, err := replyAs[*SeatsReply](s.call(ctx, showtimeID, &GetSeats{}))
	if err != nil {
		return nil, err
	}
	return seatMapViewOf(showtimeID, r), nil
}

// WatchSeats waits for changes after sinceVersion.
func (s *Showtimes) WatchSeats(ctx context.Context, showtimeID string, sinceVersion uint64) (*boxoffice.SeatChanges, error) {
	wait := watchWait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)-time.Second)
	}
	wctx, cancel := context.WithTimeout(ctx, wait+2*time.Second)
	defer cancel()
	r, err := replyAs[*SeatChangesReply](s.call(wctx, showtimeID, &WatchSeats{SinceVersion: sinceVersion, WaitMs: wait.Milliseconds()}))
	if err != nil {
		return nil, err
	}
	return seatChangesOf(r), nil
}

// Confirm turns a hold into the booking's seats (idempotent per booking).
func (s *Showtimes) Confirm(ctx context.Context, holdID, owner, bookingID string) (*boxoffice.Hold, error) {
	st, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return nil, err
	}
	r, err := replyAs[*HoldReply](s.call(ctx, st, &ConfirmHold{HoldId: holdID, Owner: owner, BookingId: bookingID}))
	if err != nil {
		return nil, err
	}
	return holdOf(r.Hold), nil
}

// CancelSeats frees a booking's seats (idempotent).
func (s *Showtimes) CancelSeats(ctx context.Context, showtimeID, bookingID string) error {
	_, err := replyAs[*Done](s.call(ctx, showtimeID, &CancelSeats{BookingId: bookingID}))
	return err
}

// CancelShowtime stops new holds and confirmations for a cancelled showtime.
func (s *Showtimes) CancelShowtime(ctx context.Context, showtimeID string) error {
	_, err := replyAs[*Done](s.call(ctx, showtimeID, &CancelShowtime{}))
	return err
}

// BookingSeats tells whether the showtime confirmed a booking, and its seats.
func (s *Showtimes) BookingSeats(ctx context.Context, showtimeID, bookingID string) (seats []string, confirmed, found bool, err error) {
	r, err := replyAs[*BookingSeatsReply](s.call(ctx, showtimeID, &GetBookingSeats{BookingId: bookingID}))
	if err != nil {
		return nil, false, false, err
	}
	return r.Seats, r.Confirmed, r.Found, nil
}

// ownerOf is the owner a caller may act as: admins act on any hold.
func ownerOf(c boxoffice.Caller) string {
	if c.Admin {
		return ""
	}
	return c.UserID
}

// notFoundIfMissing says "hold not found" rather than "showtime not found"
// when a hold ID names a showtime that does not exist.
func notFoundIfMissing(err error, what, id string) error {
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s %s not found", what, id)
	}
	return err
}
