package boxoffice

import (
	"context"
	"encoding/json"
	"fmt"
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
