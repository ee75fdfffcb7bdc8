package http

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

// holdBodyLenMax is the longest hold request read whole before it is
// decoded: ten seat labels and room to spare. Longer ones, and bodies of
// unknown length, are decoded as they stream in.
const holdBodyLenMax = 1 << 10

// holdBodyBufs hold a hold request's body while it is parsed; one byte
// more than the longest, to see that nothing follows.
var holdBodyBufs = sync.Pool{New: func() any { b := make([]byte, holdBodyLenMax+1); return &b }}

// decodeHoldRequest reads a hold request with the answers decodeJSON gives
// for every body. The body every buyer sends, {"seats":["A1",...]} with
// plain labels, is parsed here without reflection (under a flash sale most
// of these requests end in a 409 that costs little else); anything else
// goes to decodeJSON's decoder, over the same bytes.
func decodeHoldRequest(c echo.Context, req *holdRequest) error {
	r := c.Request()
	n := int(r.ContentLength)
	if n <= 0 || n > holdBodyLenMax || r.Body == nil {
		return decodeJSON(c, req)
	}
	bp := holdBodyBufs.Get().(*[]byte)
	defer holdBodyBufs.Put(bp)
	buf := *bp
	read, err := 0, error(nil)
	for read < n && err == nil {
		var m int
		m, err = r.Body.Read(buf[read:n])
		read += m
	}
	if read < n { // the decoder sees what came, then the body's own error
		return decodeJSONFrom(io.MultiReader(bytes.NewReader(buf[:read]), errReader{err}), req)
	}
	// net/http reads no more than Content-Length; a request built by hand
	// may have more, which the decoder must see.
	if more, _ := r.Body.Read(buf[n : n+1]); more > 0 {
		return decodeJSONFrom(io.MultiReader(bytes.NewReader(buf[:n+1]), r.Body), req)
	}
	if seats, ok := parseHoldSeats(buf[:n]); ok {
		req.Seats = seats
		return nil
	}
	return decodeJSONFrom(bytes.NewReader(buf[:n]), req)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// parseHoldSeats parses a hold request of the one shape clients send:
// an object whose only key is "seats", an array of strings of printable
// ASCII without escapes, JSON whitespace anywhere between. It returns
// false for anything else (other keys or spellings, escapes, nulls, more
// labels than a hold may have), which encoding/json then decodes. What it
// accepts, encoding/json decodes to the same seats.
func parseHoldSeats(b []byte) ([]string, bool) {
	p := skipJSONSpace(b, 0)
	for _, tok := range [...]string{`{`, `"seats"`, `:`, `[`} {
		if !bytes.HasPrefix(b[p:], []byte(tok)) {
			return nil, false
		}
		p = skipJSONSpace(b, p+len(tok))
	}
	var spans [boxoffice.HoldSeatsMax + 1][2]int
	count, total := 0, 0
	for p < len(b) && b[p] != ']' {
		if count > 0 {
			if b[p] != ',' {
				return nil, false
			}
			p = skipJSONSpace(b, p+1)
		}
		if p >= len(b) || b[p] != '"' || count == len(spans) {
			return nil, false
		}
		start := p + 1
		for p = start; p < len(b) && b[p] != '"'; p++ {
			if c := b[p]; c < 0x20 || c > 0x7e || c == '\\' {
				return nil, false
			}
		}
		if p >= len(b) {
			return nil, false
		}
		spans[count] = [2]int{start, p}
		count, total = count+1, total+p-start
		p = skipJSONSpace(b, p+1)
	}
	if p >= len(b) {
		return nil, false
	}
	p = skipJSONSpace(b, p+1) // past ']'
	if p >= len(b) || b[p] != '}' || skipJSONSpace(b, p+1) != len(b) {
		return nil, false
	}
	if count == 0 {
		return []string{}, true
	}
	// One string holds every label, so a hold costs two allocations
	// however many seats it names.
	var sb strings.Builder
	sb.Grow(total)
	for _, s := range spans[:count] {
		sb.Write(b[s[0]:s[1]])
	}
	all := sb.String()
	seats := make([]string, count)
	at := 0
	for i, s := range spans[:count] {
		seats[i] = all[at : at+s[1]-s[0]]
		at += s[1] - s[0]
	}
	return seats, true
}

// skipJSONSpace returns the index of the first byte at or after p that is
// not JSON whitespace.
func skipJSONSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}
