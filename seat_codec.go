package boxoffice

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"time"
)

// The seat journal stores each event in a compact binary form: a version
// byte, then the fields as varints and length-prefixed strings. It is about
// a quarter of the JSON's size and many times cheaper to encode, which
// matters because every hold and release writes one event on the commit
// path. Journals written before it hold JSON, which always starts with
// '{': DecodeSeatEvent reads both, so existing journals still load.
const (
	seatEventV1 byte = 1

	seatEventFieldsMax = 1024 // seats of one event; far above any hold's cap
)

// seatEventKinds numbers the kinds in the binary form; 0 is a kind spelled
// out, so that a kind added later is stored before this table knows it.
var seatEventKinds = [...]SeatEventKind{0: "", 1: EventHeld, 2: EventReleased,
	3: EventExpired, 4: EventConfirmed, 5: EventCancelled, 6: EventShowtimeCancelled, 7: EventActivated}

// AppendSeatEvent appends the binary form of e to dst and returns it.
func AppendSeatEvent(dst []byte, e *SeatEvent) []byte {
	dst = append(dst, seatEventV1)
	dst = binary.AppendUvarint(dst, e.Seq)
	code := kindCode(e.Kind)
	dst = append(dst, code)
	if code == 0 {
		dst = appendString(dst, string(e.Kind))
	}
	dst = appendTime(dst, e.At)
	dst = appendString(dst, e.HoldID)
	dst = appendString(dst, e.Owner)
	dst = binary.AppendUvarint(dst, uint64(len(e.Seats)))
	for _, s := range e.Seats {
		dst = appendString(dst, s)
	}
	dst = appendTime(dst, e.ExpiresAt)
	return appendString(dst, e.BookingID)
}

// DecodeSeatEvent reads an event stored by AppendSeatEvent, or the JSON of
// one (journals written before the binary form). Times come back in UTC.
func DecodeSeatEvent(data []byte) (SeatEvent, error) {
	var e SeatEvent
	if len(data) > 0 && data[0] == '{' {
		err := json.Unmarshal(data, &e)
		return e, err
	}
	d := seatDecoder{b: data}
	if v := d.byte(); v != seatEventV1 {
		return e, Errorf(EINVALID, "seat event: unknown encoding version %d", v)
	}
	e.Seq = d.uvarint()
	if code := d.byte(); code == 0 {
		e.Kind = SeatEventKind(d.string())
	} else if int(code) < len(seatEventKinds) {
		e.Kind = seatEventKinds[code]
	} else {
		d.fail()
	}
	e.At = d.time()
	e.HoldID, e.Owner = d.string(), d.string()
	if n := d.uvarint(); n > 0 && n <= seatEventFieldsMax {
		e.Seats = make([]string, n)
		for i := range e.Seats {
			e.Seats[i] = d.string()
		}
	} else if n > seatEventFieldsMax {
		d.fail()
	}
	e.ExpiresAt = d.time()
	e.BookingID = d.string()
	if d.bad || len(d.b) != 0 {
		return SeatEvent{}, Errorf(EINVALID, "seat event: malformed binary form")
	}
	return e, nil
}

func kindCode(k SeatEventKind) byte {
	for i, known := range seatEventKinds {
		if i > 0 && known == k {
			return byte(i)
		}
	}
	return 0
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendTime stores the instant as seconds and nanoseconds since the Unix
// epoch, which covers the zero time (year 1) too.
func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

// seatDecoder reads the binary form; the first fault sets bad and every
// later read returns zero values.
type seatDecoder struct {
	b   []byte
	bad bool
}

func (d *seatDecoder) fail() { d.bad, d.b = true, nil }

func (d *seatDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *seatDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *seatDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *seatDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *seatDecoder) time() time.Time {
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= 1e9 || sec > math.MaxInt64/2 || sec < math.MinInt64/2 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// seatEventsV2 marks a packed batch: the events of one append in one
// stored row.
const seatEventsV2 byte = 2

// AppendSeatEvents appends the packed form of a batch of events to dst: a
// version byte, the count, then each event's binary form with its length.
// A store writes it as one row per showtime per write, so that a write of
// many events adds one row and one index entry instead of one per event.
func AppendSeatEvents(dst []byte, events []SeatEvent) []byte {
	dst = append(dst, seatEventsV2)
	dst = binary.AppendUvarint(dst, uint64(len(events)))
	var one []byte
	for i := range events {
		one = AppendSeatEvent(one[:0], &events[i])
		dst = binary.AppendUvarint(dst, uint64(len(one)))
		dst = append(dst, one...)
	}
	return dst
}

// DecodeSeatEvents reads a row of the journal: a packed batch
// (AppendSeatEvents), or a single event in the binary form or JSON (rows
// written before packing). The events' Seq are as stored: the store, which
// numbers rows, sets them.
func DecodeSeatEvents(data []byte) ([]SeatEvent, error) {
	if len(data) == 0 || data[0] != seatEventsV2 {
		e, err := DecodeSeatEvent(data)
		if err != nil {
			return nil, err
		}
		return []SeatEvent{e}, nil
	}
	d := seatDecoder{b: data[1:]}
	n := d.uvarint()
	if d.bad || n == 0 || n > uint64(len(d.b)) { // every event takes more than a byte
		return nil, Errorf(EINVALID, "seat events: malformed packed batch")
	}
	events := make([]SeatEvent, n)
	for i := range events {
		size := d.uvarint()
		if d.bad || size > uint64(len(d.b)) || size == 0 || d.b[0] != seatEventV1 {
			return nil, Errorf(EINVALID, "seat events: malformed packed batch at event %d", i)
		}
		e, err := DecodeSeatEvent(d.b[:size])
		if err != nil {
			return nil, err
		}
		events[i], d.b = e, d.b[size:]
	}
	if len(d.b) != 0 {
		return nil, Errorf(EINVALID, "seat events: %d bytes after a packed batch", len(d.b))
	}
	return events, nil
}
