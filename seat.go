package boxoffice

import (
	"context"
	"encoding/json"
	"time"
)

// SeatStatus is what the public seat map shows of a seat. It never says who
// holds or booked it.
type SeatStatus string

// Seat statuses.
const (
	SeatFree   SeatStatus = "free"
	SeatHeld   SeatStatus = "held"
	SeatBooked SeatStatus = "booked"
)

// Seat is a seat of a showtime with its price.
type Seat struct {
	ID         string     `json:"id"`
	Category   string     `json:"category"`
	PriceCents int64      `json:"price_cents"`
	Status     SeatStatus `json:"status"`
}

// SeatMapView is the public seat map of a showtime.
type SeatMapView struct {
	ShowtimeID string `json:"showtime_id"`
	Version    uint64 `json:"version"`
	Seats      []Seat `json:"seats"`
}

// SeatChange is one seat whose status changed, for the live feed.
type SeatChange struct {
	ID     string     `json:"id"`
	Status SeatStatus `json:"status"`
}

// SeatChanges is what the live feed sends: the changes up to Version. Full
// is true when the watcher was too far behind and Changes holds every seat.
type SeatChanges struct {
	Version uint64       `json:"version"`
	Changes []SeatChange `json:"changes"`
	Full    bool         `json:"-"`
}

// SeatEventKind names what happened to seats.
type SeatEventKind string

// Seat event kinds, as stored in the journal.
const (
	EventHeld              SeatEventKind = "held"      // a hold was placed
	EventReleased          SeatEventKind = "released"  // the owner released a hold
	EventExpired           SeatEventKind = "expired"   // a hold outlived its TTL
	EventConfirmed         SeatEventKind = "confirmed" // a hold became a booking
	EventCancelled         SeatEventKind = "cancelled" // a booking was cancelled
	EventShowtimeCancelled SeatEventKind = "closed"    // the showtime was cancelled: no more holds (stored value kept from journals written before the rename)
	// EventActivated changes no seat: a clustered node writes it when it
	// loads a showtime, so that an older activation elsewhere can no
	// longer write, before the new one answers anything (see the showtime
	// grain's load). Its Owner names the new activation (its cluster member
	// and actor PID), for the next one to tell it to stop.
	EventActivated SeatEventKind = "activated"
)

// SeatEvent is one entry of a showtime's journal. Seq numbers a showtime's
// events from 1 without gaps; the store refuses a second event at the same
// Seq, which is what fences two activations of one showtime.
type SeatEvent struct {
	Seq       uint64        `json:"seq"`
	Kind      SeatEventKind `json:"kind"`
	At        time.Time     `json:"at"`
	HoldID    string        `json:"hold_id,omitempty"`
	Owner     string        `json:"owner,omitempty"`
	Seats     []string      `json:"seats,omitempty"`
	ExpiresAt time.Time     `json:"expires_at,omitzero"`
	BookingID string        `json:"booking_id,omitempty"`
}

// ValidateSeatEvents returns EINVALID unless events are numbered 1, 2, ...
// without gaps within the batch: a gap would hide a lost event from every
// later activation of the showtime. Every seat store checks a batch with
// it before writing, so that the stores agree on what they refuse.
func ValidateSeatEvents(showtimeID string, events []SeatEvent) error {
	for i, e := range events {
		if e.Seq == 0 || (i > 0 && e.Seq != events[i-1].Seq+1) {
			return Errorf(EINVALID, "showtime %s: seat events must be numbered 1, 2, ... without gaps (seq %d at %d)",
				showtimeID, e.Seq, i)
		}
	}
	return nil
}

// SeatSnapshot is a showtime's seat state at Seq, so that loading does not
// replay the whole journal. State is opaque to stores (JSON of SeatMap).
type SeatSnapshot struct {
	ShowtimeID string
	Seq        uint64
	State      json.RawMessage
}

// SeatAppend is one showtime's part of a write that carries many: its
// events (consecutive Seq) and, if Snapshot is not nil, a snapshot.
type SeatAppend struct {
	ShowtimeID string
	Events     []SeatEvent
	Snapshot   *SeatSnapshot
}

// SeatStore keeps the seat journals and snapshots (the seats service's
// database).
type SeatStore interface {
	// LoadSeats returns the latest snapshot (nil if none) and the events
	// after it in Seq order.
	LoadSeats(ctx context.Context, showtimeID string) (*SeatSnapshot, []SeatEvent, error)
	// AppendSeats stores events (consecutive Seq) and, if snap is not nil, a
	// snapshot, atomically. Returns ECONFLICT if any Seq already exists: some
	// other activation of the showtime wrote first.
	AppendSeats(ctx context.Context, showtimeID string, events []SeatEvent, snap *SeatSnapshot) error
	// AppendSeatsMany stores the appends of many showtimes in one write
	// (the node's group commit) and returns one error per append, in
	// order. Each append is all-or-nothing and stands alone: nil when it
	// is stored, ECONFLICT when its showtime's journal already has one of
	// its Seqs or does not end just before its first one (another
	// activation wrote first), EINVALID for Seqs with a gap, another error
	// when it could not be written; one append's failure never fails
	// another. An append without events stores its snapshot only.
	AppendSeatsMany(ctx context.Context, appends []SeatAppend) []error
}
