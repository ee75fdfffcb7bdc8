package actors

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice"
)

// overTheWire marshals m and unmarshals it into a new message of its type,
// as a reply from another node arrives.
func overTheWire[M proto.Message](t *testing.T, m M) M {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	out := m.ProtoReflect().New().Interface().(M)
	if err := proto.Unmarshal(data, out); err != nil {
		t.Fatalf("unmarshal %T: %v", m, err)
	}
	return out
}

func TestFailureRoundTrip(t *testing.T) {
	type point struct {
		Row string `json:"row"`
	}
	tests := []struct {
		name string
		err  error
		want *boxoffice.Error
	}{
		{"no details", boxoffice.Errorf(boxoffice.EGONE, "hold expired"),
			&boxoffice.Error{Code: boxoffice.EGONE, Message: "hold expired"}},
		{"seats of a hold conflict", &boxoffice.Error{Code: boxoffice.ECONFLICT, Message: "seat A1 is not available",
			Details: map[string]any{"unavailable": []string{"A1", "C12"}}},
			&boxoffice.Error{Code: boxoffice.ECONFLICT, Message: "seat A1 is not available",
				Details: map[string]any{"unavailable": []string{"A1", "C12"}}}},
		{"every kind of detail", &boxoffice.Error{Code: boxoffice.EINVALID, Message: "bad",
			Details: map[string]any{
				"unknown": []string{"Z99"},
				"none":    []string{},
				"field":   "seats",
				"count":   3,
				"ratio":   0.5,
				"flag":    true,
				"nothing": nil,
				"mixed":   []any{"A1", 2},
				"nested":  map[string]any{"seats": []string{"B1"}},
				"struct":  point{Row: "C"},
			}},
			&boxoffice.Error{Code: boxoffice.EINVALID, Message: "bad",
				Details: map[string]any{
					"unknown": []string{"Z99"},
					"none":    []string{},
					"field":   "seats",
					"count":   float64(3),
					"ratio":   0.5,
					"flag":    true,
					"nothing": nil,
					"mixed":   []any{"A1", float64(2)},
					"nested":  map[string]any{"seats": []any{"B1"}},
					"struct":  map[string]any{"row": "C"},
				}}},
		{"a detail no JSON can hold is left out", &boxoffice.Error{Code: boxoffice.EINVALID, Message: "bad",
			Details: map[string]any{"ok": "yes", "chan": make(chan int)}},
			&boxoffice.Error{Code: boxoffice.EINVALID, Message: "bad", Details: map[string]any{"ok": "yes"}}},
		{"not an application error", errors.New("disk on fire"),
			&boxoffice.Error{Code: boxoffice.EINTERNAL, Message: "internal error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := overTheWire(t, failureOf(tt.err)).Err()
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("round trip = %#v\nwant %#v", got, tt.want)
			}
		})
	}

	t.Run("the HTTP answer is the same JSON", func(t *testing.T) {
		d := map[string]any{"unavailable": []string{"A1"}, "field": "seats", "count": 3,
			"nested": map[string]any{"seats": []string{"B1"}}}
		got := overTheWire(t, failureOf(&boxoffice.Error{Code: boxoffice.ECONFLICT, Details: d}))
		before, _ := json.Marshal(d)
		after, _ := json.Marshal(boxoffice.ErrorDetails(got.Err()))
		if string(before) != string(after) {
			t.Fatalf("details %s became %s", before, after)
		}
	})
}

func TestBookingRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 20, 15, 0, 123456000, time.UTC)
	tests := []*boxoffice.Booking{
		{ID: "B1", UserID: "u1", ShowtimeID: "S1", HoldID: "S1.H1", Seats: []string{"A1", "A2"},
			TotalCents: 2500, Currency: "EUR", Status: boxoffice.BookingPending, CreatedAt: at, UpdatedAt: at},
		{ID: "B2", UserID: "u1", ShowtimeID: "S1", HoldID: "S1.H2", Seats: []string{"A3"},
			TotalCents: 1200, Currency: "EUR", Status: boxoffice.BookingFailed,
			Failure: "payment declined: stolen card", FailureCode: boxoffice.BookingFailedDeclined,
			Payment:   &boxoffice.PaymentSummary{ID: "P2", Status: boxoffice.PaymentDeclined},
			CreatedAt: at, UpdatedAt: at.Add(time.Second)},
		{ID: "B3", Status: boxoffice.BookingConfirmed, Seats: []string{"A4"},
			Payment: &boxoffice.PaymentSummary{ID: "P3", Status: boxoffice.PaymentCaptured}},
	}
	for _, b := range tests {
		t.Run(b.ID, func(t *testing.T) {
			r := overTheWire(t, &BookingReply{Booking: bookingInfo(b)})
			got := bookingOf(r.Booking)
			if !reflect.DeepEqual(got, b) {
				t.Fatalf("round trip = %+v\nwant %+v", got, b)
			}
			// What the client sees is unchanged by the trip.
			before, _ := json.Marshal(b)
			after, _ := json.Marshal(got)
			if string(before) != string(after) {
				t.Fatalf("JSON %s became %s", before, after)
			}
		})
	}
}

func TestHoldAndSeatsRoundTrip(t *testing.T) {
	exp := time.UnixMilli(time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC).UnixMilli()).UTC()
	for _, h := range []*boxoffice.Hold{
		{ID: "S1.H1", ShowtimeID: "S1", Owner: "u1", Seats: []string{"A1"}, ExpiresAt: exp, TotalCents: 1200, Currency: "EUR"},
		{ID: "S1.H2", ShowtimeID: "S1", Owner: "u1", Seats: []string{"A2"}, TotalCents: 1200, Currency: "EUR"}, // booked: no expiry
	} {
		if got := holdOf(overTheWire(t, holdInfo(h))); !reflect.DeepEqual(got, h) {
			t.Errorf("hold round trip = %+v, want %+v", got, h)
		}
	}

	v := boxoffice.SeatMapView{ShowtimeID: "S1", Version: 7, Seats: []boxoffice.Seat{
		{ID: "A1", Category: "standard", PriceCents: 1200, Status: boxoffice.SeatHeld},
		{ID: "A2", Category: "premium", PriceCents: 1800, Status: boxoffice.SeatFree},
	}}
	if got := seatMapViewOf("S1", overTheWire(t, seatsReply(v))); !reflect.DeepEqual(*got, v) {
		t.Errorf("seat map round trip = %+v, want %+v", *got, v)
	}

	r := overTheWire(t, &SeatChangesReply{Version: 9, Full: true,
		Changes: []*SeatChange{seatChange("A1", boxoffice.SeatBooked), seatChange("A2", boxoffice.SeatFree)}})
	want := &boxoffice.SeatChanges{Version: 9, Full: true, Changes: []boxoffice.SeatChange{
		{ID: "A1", Status: boxoffice.SeatBooked}, {ID: "A2", Status: boxoffice.SeatFree}}}
	if got := seatChangesOf(r); !reflect.DeepEqual(got, want) {
		t.Errorf("changes = %+v, want %+v", got, want)
	}
}
