package http

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
)

// requestIDs makes the IDs of requests that came without a usable
// X-Request-ID: ULIDs, like every other ID here, so that they sort by
// time in the logs. They only need to be unique, not unpredictable: the
// time, then a random number drawn when the server starts, then a counter
// started at another random number, so that making one costs no read of
// the system's random source and no lock.
type requestIDs struct {
	node uint16
	n    atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var seed [10]byte
	if _, err := rand.Read(seed[:]); err != nil {
		panic("http: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	g := &requestIDs{node: binary.BigEndian.Uint16(seed[:2])}
	g.n.Store(binary.BigEndian.Uint64(seed[2:]))
	return g
}

// next returns a new request ID.
func (g *requestIDs) next() string {
	var id ulid.ULID
	_ = id.SetTime(ulid.Timestamp(time.Now())) // fails only after the year 10889
	binary.BigEndian.PutUint16(id[6:8], g.node)
	binary.BigEndian.PutUint64(id[8:], g.n.Add(1))
	return id.String()
}
