package boxoffice

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Event types: what happened to a booking, its payment or its showtime, as
// the product tells the world (brokers, GET /api/v1/admin/events).
const (
	EventTypeBookingConfirmed  = "booking.confirmed"
	EventTypeBookingCancelled  = "booking.cancelled"
	EventTypeBookingFailed     = "booking.failed"
	EventTypePaymentCaptured   = "payment.captured"
	EventTypePaymentRefunded   = "payment.refunded"
	EventTypeShowtimeCancelled = "showtime.cancelled"
)

// EventTypes lists every event type, in the order above.
var EventTypes = []string{
	EventTypeBookingConfirmed, EventTypeBookingCancelled, EventTypeBookingFailed,
	EventTypePaymentCaptured, EventTypePaymentRefunded, EventTypeShowtimeCancelled,
}

// EventSource is the CloudEvents source of every event the product emits.
const EventSource = "urn:boxoffice"

// Event is one event as it leaves the product: the attributes of a
// CloudEvents 1.0 envelope, with Data as its JSON payload. ID is unique
// and stable: a consumer that sees an event twice (delivery is at least
// once) drops the second by its ID.
type Event struct {
	ID      string
	Type    string
	Subject string // what the event is about: "bookings/<id>", "showtimes/<id>"
	Time    time.Time
	Data    json.RawMessage
}

// cloudEvent is the structured-mode JSON form of a CloudEvents 1.0 event.
type cloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// CloudEventsContentType is the content type of an event in structured
// mode, as the brokers carry it.
const CloudEventsContentType = "application/cloudevents+json"

// MarshalJSON encodes e as a CloudEvents 1.0 JSON event.
func (e Event) MarshalJSON() ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(cloudEvent{SpecVersion: "1.0", ID: e.ID, Source: EventSource, Type: e.Type,
		Subject: e.Subject, Time: e.Time.UTC(), DataContentType: "application/json", Data: data})
}

// UnmarshalJSON decodes a CloudEvents 1.0 JSON event; it refuses another
// spec version and an event without an id or a type.
func (e *Event) UnmarshalJSON(b []byte) error {
	var c cloudEvent
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	if c.SpecVersion != "1.0" {
		return fmt.Errorf("cloudevents: specversion %q, want 1.0", c.SpecVersion)
	}
	if c.ID == "" || c.Type == "" {
		return fmt.Errorf("cloudevents: an event needs an id and a type")
	}
	*e = Event{ID: c.ID, Type: c.Type, Subject: c.Subject, Time: c.Time, Data: c.Data}
	return nil
}

// EventPublisher hands events to a message broker. Publish returns nil only
// once the broker holds every event durably (a publisher confirm, a stream
// acknowledgement), and sends them in the order given. On an error some of
// them may have been taken: the caller publishes them all again, and
// consumers drop the duplicates by event ID.
type EventPublisher interface {
	Publish(ctx context.Context, events []Event) error
	Close() error
}

// EventStore is the events outbox, in the bookings database: a booking's
// events are written in the transaction that changes its state
// (BookingStore.UpdateBooking, from BookingEvents), so that no state
// change is kept without its event nor an event without its change.
type EventStore interface {
	// AppendEvents stores, in order, the events whose IDs are not stored
	// yet (an event written twice is kept once).
	AppendEvents(ctx context.Context, events []Event) error
	// Events lists the stored events after the cursor ("" for the oldest
	// kept), oldest first, at most limit (PageLimitMax if limit <= 0), and
	// the cursor to pass next: after the last one listed, or the cursor
	// given when there is nothing new. An event is listed once every
	// event stored before it is listed too, so a reader that follows the
	// cursors misses none (within the retention).
	Events(ctx context.Context, after string, limit int) ([]Event, string, error)
	// DeleteEventsBefore deletes at most limit events stored before before
	// (the retention sweep) and returns how many it deleted.
	DeleteEventsBefore(ctx context.Context, before time.Time, limit int) (int, error)

	// ClaimEvents claims for a publisher, until until, at most limit of the
	// events no broker has yet, oldest first; it claims none while a
	// claim made before lasts at now. So one node publishes at a time, in
	// the order the events were stored, and a node that dies with a claim
	// leaves its events to the next claim once until has passed.
	ClaimEvents(ctx context.Context, now, until time.Time, limit int) ([]Event, error)
	// MarkPublished records that the brokers have the events with these
	// IDs, and ends their claim.
	MarkPublished(ctx context.Context, ids []string, at time.Time) error
	// EventBacklog counts the events no broker has yet and says when the
	// oldest of them was stored (zero time when there is none).
	EventBacklog(ctx context.Context) (n int, oldest time.Time, err error)
}

// BookingEventData is the data of the booking.* events.
type BookingEventData struct {
	BookingID   string   `json:"booking_id"`
	UserID      string   `json:"user_id"`
	ShowtimeID  string   `json:"showtime_id"`
	Seats       []string `json:"seats"`
	TotalCents  int64    `json:"total_cents"`
	Currency    string   `json:"currency"`
	Status      string   `json:"status"`
	FailureCode string   `json:"failure_code,omitempty"`
	PaymentID   string   `json:"payment_id,omitempty"`
}

// PaymentEventData is the data of the payment.* events.
type PaymentEventData struct {
	PaymentID   string `json:"payment_id"`
	BookingID   string `json:"booking_id"`
	UserID      string `json:"user_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Status      string `json:"status"`
}

// ShowtimeEventData is the data of the showtime.* events.
type ShowtimeEventData struct {
	ShowtimeID string    `json:"showtime_id"`
	MovieID    string    `json:"movie_id"`
	CinemaID   string    `json:"cinema_id"`
	HallID     string    `json:"hall_id"`
	StartsAt   time.Time `json:"starts_at"`
}

// eventID names the event of type typ about id: one per kind of change of
// one thing, so that a state written twice (a saga step retried, a
// recovery) makes its event once.
func eventID(typ, id string) string { return typ + ":" + id }

// BookingEvents are the events that b's state implies, in the order they
// happened: a confirmed booking was confirmed and its payment captured; a
// cancelled one was cancelled and, if paid, refunded (its capture came
// before); a failed one failed, and a payment captured and then refunded
// for it (the seats were lost after the charge) shows both. Pending and
// cancelling bookings imply none yet. Each has the ID eventID gives, so
// writing them again with every later state adds nothing.
func BookingEvents(b *Booking) []Event {
	var out []Event
	add := func(typ string, data any) {
		raw, err := json.Marshal(data)
		if err != nil {
			panic("boxoffice: event data: " + err.Error()) // plain structs always encode
		}
		about := b.ID
		subject := "bookings/" + b.ID
		if p, ok := data.(PaymentEventData); ok {
			about, subject = p.PaymentID, "payments/"+p.PaymentID
		}
		out = append(out, Event{ID: eventID(typ, about), Type: typ, Subject: subject, Time: b.UpdatedAt, Data: raw})
	}
	booking := func() BookingEventData {
		d := BookingEventData{BookingID: b.ID, UserID: b.UserID, ShowtimeID: b.ShowtimeID, Seats: b.Seats,
			TotalCents: b.TotalCents, Currency: b.Currency, Status: b.Status, FailureCode: b.FailureCode}
		if d.Seats == nil {
			d.Seats = []string{}
		}
		if b.Payment != nil {
			d.PaymentID = b.Payment.ID
		}
		return d
	}
	payment := func(status string) PaymentEventData {
		return PaymentEventData{PaymentID: b.Payment.ID, BookingID: b.ID, UserID: b.UserID,
			AmountCents: b.TotalCents, Currency: b.Currency, Status: status}
	}
	paid := b.Payment != nil && b.Payment.ID != "" &&
		(b.Payment.Status == PaymentCaptured || b.Payment.Status == PaymentRefunded)
	switch b.Status {
	case BookingConfirmed:
		if paid {
			add(EventTypePaymentCaptured, payment(PaymentCaptured))
		}
		add(EventTypeBookingConfirmed, booking())
	case BookingCancelled, BookingFailed:
		if paid {
			add(EventTypePaymentCaptured, payment(PaymentCaptured))
		}
		typ := EventTypeBookingCancelled
		if b.Status == BookingFailed {
			typ = EventTypeBookingFailed
		}
		add(typ, booking())
		if paid && b.Payment.Status == PaymentRefunded {
			add(EventTypePaymentRefunded, payment(PaymentRefunded))
		}
	}
	return out
}

// ShowtimeCancelledEvent is the event of st's cancellation at at.
func ShowtimeCancelledEvent(st *Showtime, at time.Time) Event {
	raw, _ := json.Marshal(ShowtimeEventData{ShowtimeID: st.ID, MovieID: st.MovieID, CinemaID: st.CinemaID, HallID: st.HallID, StartsAt: st.StartsAt.UTC()})
	return Event{ID: eventID(EventTypeShowtimeCancelled, st.ID), Type: EventTypeShowtimeCancelled,
		Subject: "showtimes/" + st.ID, Time: at, Data: raw}
}

// EventCursor is the cursor after the event stored at seq; both stores
// number their events from 1 in the order they are stored.
func EventCursor(seq int64) string { return strconv.FormatInt(seq, 10) }

// ParseEventCursor returns the seq of a cursor from EventCursor, 0 for "".
func ParseEventCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	seq, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || seq < 0 || EventCursor(seq) != cursor {
		return 0, Errorf(EINVALID, "cursor is invalid")
	}
	return seq, nil
}

// EventSettle is how long after it was stored an event waits before a
// reader of the outbox may list it, on a store where transactions commit
// in parallel (PostgreSQL): an event numbered before another may commit
// after it, and a reader that had listed the later one would pass the
// earlier one by. No write of the bookings store outlives it (each is
// bounded well below it), so an event older than EventSettle has every
// event before it committed.
const EventSettle = 5 * time.Second
