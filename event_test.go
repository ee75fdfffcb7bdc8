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
