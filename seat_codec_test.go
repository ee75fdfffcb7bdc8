package boxoffice_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func codecEvents() []boxoffice.SeatEvent {
	at := time.Date(2026, 12, 7, 14, 5, 6, 789_123_456, time.UTC)
	return []boxoffice.SeatEvent{
		{Seq: 1, Kind: boxoffice.EventHeld, At: at, HoldID: "h-1", Owner: "u-1", Seats: []string{"A1", "A2"}, ExpiresAt: at.Add(10 * time.Minute)},
		{Seq: 2, Kind: boxoffice.EventReleased, At: at, HoldID: "h-1", Owner: "u-1", Seats: []string{"A1", "A2"}},
		{Seq: 3, Kind: boxoffice.EventExpired, At: at, HoldID: "h-2", Seats: []string{"B7"}},
		{Seq: 4, Kind: boxoffice.EventConfirmed, At: at, HoldID: "h-3", Owner: "u-2", Seats: []string{"C1"}, BookingID: "b-9"},
		{Seq: 5, Kind: boxoffice.EventCancelled, At: at, BookingID: "b-9", Seats: []string{"C1"}},
		{Seq: 6, Kind: boxoffice.EventShowtimeCancelled, At: at},
		{Seq: 1 << 62, Kind: "a-kind-added-later", HoldID: "ü-ñ"},
		{}, // zero times, no seats
	}
}

// TestSeatEventCodec proves the binary form gives back every field of each
// kind of event (the zero times, a kind unknown to the table, the largest
// seq), and that it is much smaller than the JSON it replaces.
func TestSeatEventCodec(t *testing.T) {
	for _, e := range codecEvents() {
		b := boxoffice.AppendSeatEvent(nil, &e)
		got, err := boxoffice.DecodeSeatEvent(b)
		if err != nil {
			t.Fatalf("decode %+v: %v", e, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("round trip:\n got  %+v\n want %+v", got, e)
		}
		if j, _ := json.Marshal(e); e.Kind == boxoffice.EventHeld && 2*len(b) > len(j) {
			t.Errorf("binary form is %d bytes, JSON %d: expected less than half", len(b), len(j))
		}
	}
}

// TestSeatEventCodecReadsJSON proves that journals written before the
// binary form still load: the JSON of an event decodes to the same event.
func TestSeatEventCodecReadsJSON(t *testing.T) {
	for _, e := range codecEvents()[:6] {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := boxoffice.DecodeSeatEvent(j)
		if err != nil {
			t.Fatalf("decode %s: %v", j, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("JSON %s:\n got  %+v\n want %+v", j, got, e)
		}
	}
	// As stored by an older version, byte for byte.
	old := `{"seq":7,"kind":"held","at":"2026-12-07T06:28:00Z","hold_id":"h-1","owner":"bench-12","seats":["A12"],"expires_at":"2026-12-07T06:38:00Z"}`
	got, err := boxoffice.DecodeSeatEvent([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != 7 || got.Kind != boxoffice.EventHeld || got.Seats[0] != "A12" || got.ExpiresAt.Sub(got.At) != 10*time.Minute {
		t.Errorf("old JSON decoded as %+v", got)
	}
}

// TestSeatEventCodecRejectsDamage proves that a cut or padded binary form,
// an unknown version and an unknown kind code are errors (EINVALID), never
// a wrong event.
func TestSeatEventCodecRejectsDamage(t *testing.T) {
	e := codecEvents()[0]
	b := boxoffice.AppendSeatEvent(nil, &e)
	for n := range len(b) {
		if _, err := boxoffice.DecodeSeatEvent(b[:n]); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("cut at %d of %d: err %v, want EINVALID", n, len(b), err)
		}
	}
	cases := map[string][]byte{
		"padded":          append(append([]byte{}, b...), 0),
		"unknown version": append([]byte{9}, b[1:]...),
		"unknown kind":    {1, 1, 200},
	}
	for name, data := range cases {
		if _, err := boxoffice.DecodeSeatEvent(data); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("%s: err %v, want EINVALID", name, err)
		}
	}
}

// FuzzSeatEventCodec checks that decoding any bytes never panics, and that
// whatever decodes encodes and decodes again to the same event.
//
//	go test -run='^$' -fuzz=FuzzSeatEventCodec -fuzztime=30s .
func FuzzSeatEventCodec(f *testing.F) {
	for _, e := range codecEvents() {
		f.Add(boxoffice.AppendSeatEvent(nil, &e))
		j, _ := json.Marshal(e)
		f.Add(j)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := boxoffice.DecodeSeatEvent(data)
		if err != nil {
			return
		}
		again, err := boxoffice.DecodeSeatEvent(boxoffice.AppendSeatEvent(nil, &e))
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", e, err)
		}
		// Times compare as instants: JSON may carry a zone offset.
		if !again.At.Equal(e.At) || !again.ExpiresAt.Equal(e.ExpiresAt) {
			t.Fatalf("times changed: %+v -> %+v", e, again)
		}
		again.At, again.ExpiresAt = e.At, e.ExpiresAt
		if len(e.Seats) == 0 {
			e.Seats = nil
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip:\n got  %+v\n want %+v", again, e)
		}
	})
}

func BenchmarkSeatEventEncode(b *testing.B) {
	e := codecEvents()[0]
	b.Run("binary", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = boxoffice.AppendSeatEvent(buf[:0], &e)
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSeatEventsPacked proves that a packed batch gives back its events in
// order, that a row of one event (binary or JSON, as older versions
// stored) reads as a batch of one, and that a damaged batch is EINVALID.
func TestSeatEventsPacked(t *testing.T) {
	events := codecEvents()
	b := boxoffice.AppendSeatEvents(nil, events)
	got, err := boxoffice.DecodeSeatEvents(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, events) {
		t.Errorf("packed round trip:\n got  %+v\n want %+v", got, events)
	}
	j, _ := json.Marshal(events[0])
	for name, row := range map[string][]byte{"binary": boxoffice.AppendSeatEvent(nil, &events[0]), "json": j} {
		got, err := boxoffice.DecodeSeatEvents(row)
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], events[0]) {
			t.Errorf("%s row of one event: %+v, %v", name, got, err)
		}
	}
	for n := range len(b) {
		if _, err := boxoffice.DecodeSeatEvents(b[:n]); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("cut at %d of %d: err %v, want EINVALID", n, len(b), err)
		}
	}
	if _, err := boxoffice.DecodeSeatEvents(append(b, 0)); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
		t.Errorf("padded: err %v, want EINVALID", err)
	}
}

// FuzzSeatEventsPacked checks that decoding any bytes as a journal row
// never panics, and that what decodes packs and decodes to the same
// events.
//
//	go test -run='^$' -fuzz=FuzzSeatEventsPacked -fuzztime=30s .
func FuzzSeatEventsPacked(f *testing.F) {
	events := codecEvents()
	f.Add(boxoffice.AppendSeatEvents(nil, events))
	f.Add(boxoffice.AppendSeatEvents(nil, events[:1]))
	f.Add(boxoffice.AppendSeatEvent(nil, &events[0]))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := boxoffice.DecodeSeatEvents(data)
		if err != nil || (len(data) > 0 && data[0] == '{') {
			return // JSON's own quirks are FuzzSeatEventCodec's
		}
		again, err := boxoffice.DecodeSeatEvents(boxoffice.AppendSeatEvents(nil, got))
		if err != nil {
			t.Fatalf("re-packed %+v does not decode: %v", got, err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip:\n got  %+v\n want %+v", again, got)
		}
	})
}
