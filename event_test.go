package boxoffice_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// TestEventIsACloudEvent: an event encodes as CloudEvents 1.0 structured
// JSON and decodes back to itself.
func TestEventIsACloudEvent(t *testing.T) {
	e := boxoffice.Event{ID: "ev-1", Type: boxoffice.EventTypeBookingConfirmed, Subject: "bookings/b-1",
		Time: time.Date(2026, 12, 7, 20, 0, 0, 123000, time.FixedZone("CET", 3600)),
		Data: json.RawMessage(`{"booking_id":"b-1","total_cents":2400}`)}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.JSONEq(t, `{"specversion":"1.0","id":"ev-1","source":"urn:boxoffice","type":"booking.confirmed",
		"subject":"bookings/b-1","time":"2026-12-07T19:00:00.000123Z","datacontenttype":"application/json",
		"data":{"booking_id":"b-1","total_cents":2400}}`, string(b))

	var back boxoffice.Event
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, e.ID, back.ID)
	require.Equal(t, e.Type, back.Type)
	require.Equal(t, e.Subject, back.Subject)
	require.True(t, e.Time.Equal(back.Time))
	require.JSONEq(t, string(e.Data), string(back.Data))
}

// TestEventRefusesWhatIsNotOne: another spec version, or no id or type.
func TestEventRefusesWhatIsNotOne(t *testing.T) {
	for name, body := range map[string]string{
		"spec 0.3":   `{"specversion":"0.3","id":"x","type":"booking.confirmed"}`,
		"no id":      `{"specversion":"1.0","type":"booking.confirmed"}`,
		"no type":    `{"specversion":"1.0","id":"x"}`,
		"not an obj": `[1]`,
	} {
		t.Run(name, func(t *testing.T) {
			var e boxoffice.Event
			require.Error(t, json.Unmarshal([]byte(body), &e))
		})
	}
}

// TestEventWithoutDataHasAnEmptyObject: data is always a JSON object.
func TestEventWithoutDataHasAnEmptyObject(t *testing.T) {
	b, err := json.Marshal(boxoffice.Event{ID: "x", Type: boxoffice.EventTypeShowtimeCancelled})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, map[string]any{}, m["data"])
}

// TestBookingEventsFollowTheState: the events a booking's state implies,
// in order, with IDs that do not change with later states.
func TestBookingEventsFollowTheState(t *testing.T) {
	at := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	pay := func(status string) *boxoffice.PaymentSummary {
		return &boxoffice.PaymentSummary{ID: "pay-1", Status: status}
	}
	types := func(b *boxoffice.Booking) []string {
		var out []string
		for _, e := range boxoffice.BookingEvents(b) {
			out = append(out, e.Type)
		}
		return out
	}
	b := &boxoffice.Booking{ID: "b-1", UserID: "u-1", ShowtimeID: "s-1", Seats: []string{"A1"}, TotalCents: 1200,
		Currency: "EUR", Status: boxoffice.BookingPending, UpdatedAt: at}
	for _, c := range []struct {
		name    string
		status  string
		payment *boxoffice.PaymentSummary
		want    []string
	}{
		{"pending", boxoffice.BookingPending, nil, nil},
		{"confirmed", boxoffice.BookingConfirmed, pay(boxoffice.PaymentCaptured),
			[]string{boxoffice.EventTypePaymentCaptured, boxoffice.EventTypeBookingConfirmed}},
		{"cancelling", boxoffice.BookingCancelling, pay(boxoffice.PaymentCaptured), nil},
		{"cancelled and refunded", boxoffice.BookingCancelled, pay(boxoffice.PaymentRefunded),
			[]string{boxoffice.EventTypePaymentCaptured, boxoffice.EventTypeBookingCancelled, boxoffice.EventTypePaymentRefunded}},
		{"declined", boxoffice.BookingFailed, pay(boxoffice.PaymentDeclined), []string{boxoffice.EventTypeBookingFailed}},
		{"failed after the charge", boxoffice.BookingFailed, pay(boxoffice.PaymentRefunded),
			[]string{boxoffice.EventTypePaymentCaptured, boxoffice.EventTypeBookingFailed, boxoffice.EventTypePaymentRefunded}},
		{"failed before any payment", boxoffice.BookingFailed, nil, []string{boxoffice.EventTypeBookingFailed}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b.Status, b.Payment = c.status, c.payment
			require.Equal(t, c.want, types(b))
		})
	}

	// The capture has one ID whichever state implies it.
	b.Status, b.Payment = boxoffice.BookingConfirmed, pay(boxoffice.PaymentCaptured)
	confirmed := boxoffice.BookingEvents(b)
	b.Status, b.Payment, b.UpdatedAt = boxoffice.BookingCancelled, pay(boxoffice.PaymentRefunded), at.Add(time.Hour)
	cancelled := boxoffice.BookingEvents(b)
	require.Equal(t, confirmed[0].ID, cancelled[0].ID)
	require.NotEqual(t, confirmed[1].ID, cancelled[1].ID)
	require.Equal(t, "payments/pay-1", cancelled[0].Subject)
	require.Equal(t, "bookings/b-1", cancelled[1].Subject)
	require.True(t, at.Add(time.Hour).Equal(cancelled[1].Time))
}
