package boxoffice_test

import (
	"math/rand/v2"
	"testing"
)

// FuzzSeatMap reads a command sequence from the fuzz input (every choice of
// the simulation's generator is the next byte or two) and checks each
// command as TestSeatMapSimulation does: predicted outcome, events, replica,
// reference model, snapshot and journal round trips.
//
//	go test -run='^$' -fuzz=FuzzSeatMap -fuzztime=60s .
func FuzzSeatMap(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	// Two users after the same seat, then one confirms and cancels.
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x01\x05\x00\x00\x00\x00\x00\x01\x01\x05\x03\x00\x02\x80\x00\x02\x40"))
	r := rand.New(rand.NewPCG(42, 42))
	for _, n := range []int{64, 256, 1024, 4096} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &smBytes{b: data}
		s := newSMSim(t, in, 0)
		n := min(len(data)/3, 5000)
		s.begin(n, false)
		if in.Intn(4) == 0 {
			s.closeAt = 1 + in.Intn(n+1)
		}
		for i := 0; i < n && !in.done(); i++ {
			s.run(s.gen())
		}
		s.end()
	})
}
