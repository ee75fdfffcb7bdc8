package boxoffice_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/boxoffice/boxoffice"
)

// smChooser supplies the random choices of a seat map simulation: a seeded
// PRNG for TestSeatMapSimulation, the fuzzer's bytes for FuzzSeatMap.
type smChooser interface {
	Intn(n int) int // 0 <= x < n
}

type smRand struct{ r *rand.Rand }

func (c smRand) Intn(n int) int { return c.r.IntN(n) }

// smBytes reads choices from fuzz input; once the bytes run out every choice
// is 0 and done reports true.
type smBytes struct {
	b []byte
	i int
}

func (c *smBytes) Intn(n int) int {
	v := c.byte()
	if n > 256 {
		v = v<<8 | c.byte()
	}
	return v % n
}

func (c *smBytes) byte() int {
	c.i++
	if c.i > len(c.b) {
		return 0
	}
	return int(c.b[c.i-1])
}

func (c *smBytes) done() bool { return c.i >= len(c.b) }

type smOp int

const (
	smOpHold smOp = iota
	smOpRelease
	smOpConfirm
	smOpCancel
	smOpClose
	smOpExpire
	smOpHoldByID
	smOpBookingSeats
	smOpSnapshot // remember a snapshot of the map
	smOpRestore  // swap in a fresh map restored from that snapshot + journal
	smOpReplay   // swap in a fresh map restored from the whole journal
)

var smOpNames = [...]string{"Hold", "Release", "Confirm", "Cancel", "Close", "Expire",
	"HoldByID", "BookingSeats", "Snapshot", "Restore", "Replay"}

// smCmd is one step of a simulation: a command at a time.
type smCmd struct {
	op      smOp
	now     time.Time
	req     boxoffice.HoldRequest
	holdID  string
	owner   string
	booking string
}

func (c smCmd) String() string {
	s := fmt.Sprintf("%s at %s", smOpNames[c.op], c.now.Format("15:04:05.000000000"))
	switch c.op {
	case smOpHold:
		s += fmt.Sprintf(" hold=%q owner=%q seats=%q ttl=%v", c.req.HoldID, c.req.Owner, c.req.Seats, c.req.TTL)
	case smOpRelease, smOpConfirm, smOpHoldByID:
		s += fmt.Sprintf(" hold=%q owner=%q", c.holdID, c.owner)
	}
	if c.op == smOpConfirm || c.op == smOpCancel || c.op == smOpBookingSeats {
		s += fmt.Sprintf(" booking=%q", c.booking)
	}
	return s
}

// smOwners are the users who compete for seats.
var smOwners = []string{"ann", "bob", "cat", "dan", "eve"}

// The cumulative weights (per 1000) of Hold, Release, Confirm and Cancel:
// mostly contention; a long episode churns (more cancels) so that it ends
// more holds than the seat map remembers.
var (
	smWeights      = [4]int{370, 500, 750, 840}
	smChurnWeights = [4]int{400, 560, 700, 880}
)

// gen picks the next command. Ops are weighted towards Hold and Confirm so
// that the few seats are always contended.
func (s *smSim) gen() smCmd {
	c := smCmd{now: s.genNow()}
	w := smWeights
	if s.long {
		w = smChurnWeights
	}
	switch r := s.rnd.Intn(1000); {
	case r < w[0]:
		c.op, c.req = smOpHold, s.genHold()
	case r < w[1]:
		c.op = smOpRelease
		c.holdID, c.owner = s.genHoldRef(false)
	case r < w[2]:
		c.op = smOpConfirm
		c.holdID, c.owner = s.genHoldRef(true)
		c.booking = s.genConfirmBooking(c.holdID)
	case r < w[3]:
		c.op, c.booking = smOpCancel, s.genBooking()
	case r < 880:
		c.op = smOpExpire
	case r < 945:
		c.op = smOpHoldByID
		c.holdID, c.owner = s.genHoldRef(true)
	case r < 993:
		c.op, c.booking = smOpBookingSeats, s.genBooking()
	case r < 996: // snapshots and restores are slow (JSON): do them less
		c.op = smOpExpire
		switch s.rnd.Intn(10) {
		case 0, 1, 2, 3:
			c.op = smOpSnapshot
		case 4, 5, 6:
			c.op = smOpRestore
		case 7:
			if len(s.journal) < 4096 || s.rnd.Intn(4) == 0 {
				c.op = smOpReplay
			}
		}
	case s.closeAt != 0 && s.step >= s.closeAt: // closing again
		c.op = smOpClose
	default:
		c.op = smOpExpire
	}
	if s.step+1 == s.closeAt {
		c.op = smOpClose
	}
	return c
}

// genNow mostly keeps the time, sometimes moves it on, and sometimes lands
// exactly on (or a nanosecond around) the next hold deadline or the start.
func (s *smSim) genNow() time.Time {
	now := s.now
	switch r := s.rnd.Intn(100); {
	case r < 55:
	case r < 85:
		now = now.Add(time.Duration(s.rnd.Intn(2000)) * time.Millisecond)
	case r < 97:
		now = now.Add(time.Duration(s.rnd.Intn(30_000)) * time.Millisecond)
	case r < 98:
		now = now.Add(time.Duration(s.rnd.Intn(600)) * time.Second)
	default:
		at, ok := s.m.NextDeadline()
		if r == 99 && s.step > s.n*9/10 && s.rnd.Intn(16) == 0 {
			at, ok = s.model.StartsAt(), true
		}
		if at = at.Add(time.Duration(s.rnd.Intn(3)-1) * time.Nanosecond); ok && at.After(now) {
			now = at
		}
	}
	return now
}

func (s *smSim) genHold() boxoffice.HoldRequest {
	req := boxoffice.HoldRequest{Owner: smOwners[s.rnd.Intn(len(smOwners))],
		TTL: time.Duration(1+s.rnd.Intn(60))*time.Second + time.Duration(s.rnd.Intn(1000))*time.Millisecond}
	if s.rnd.Intn(4) == 0 {
		req.TTL *= 10
	}
	if s.caps != (boxoffice.HoldCaps{}) && len(s.recent) > 0 && s.rnd.Intn(6) == 0 {
		// The seats of a recent hold again, by its owner: the cool-down's
		// case once that hold was released or lapsed.
		id := s.recent[s.rnd.Intn(len(s.recent))]
		s.holdN++
		req.HoldID, req.Owner, req.Seats = "h"+strconv.Itoa(s.holdN), s.ownerOf[id], slices.Clone(s.seatsOf[id])
		return req
	}
	s.holdN++
	req.HoldID = "h" + strconv.Itoa(s.holdN)
	switch r := s.rnd.Intn(100); {
	case r < 2:
		req.HoldID = ""
	case r < 4 && len(s.recent) > 0:
		req.HoldID = s.recent[s.rnd.Intn(len(s.recent))]
	case r < 6:
		req.Owner = ""
	case r < 9:
		req.TTL = []time.Duration{0, -time.Second, time.Nanosecond}[s.rnd.Intn(3)]
	}
	pick := func(n int) []string {
		out := make([]string, 0, n+1)
		for tries := 0; len(out) < n && tries < 4*n; tries++ {
			if id := s.layout[s.rnd.Intn(len(s.layout))].ID; !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
	switch r := s.rnd.Intn(100); {
	case r < 84:
		req.Seats = pick(1 + s.rnd.Intn(4))
	case r < 87: // empty
	case r < 90: // a seat twice
		req.Seats = pick(1 + s.rnd.Intn(3))
		req.Seats = append(req.Seats, req.Seats[s.rnd.Intn(len(req.Seats))])
	case r < 94: // an unknown seat among known ones
		req.Seats = pick(s.rnd.Intn(3))
		bad := []string{"Z1", "A0", "A100", "a1", "", " A1", "A01"}[s.rnd.Intn(7)]
		req.Seats = append(req.Seats, bad)
	case r < 97: // too many
		req.Seats = pick(boxoffice.HoldSeatsMax + 1 + s.rnd.Intn(3))
		for len(req.Seats) <= boxoffice.HoldSeatsMax {
			req.Seats = append(req.Seats, "Z"+strconv.Itoa(len(req.Seats)))
		}
	default: // the most allowed
		req.Seats = pick(boxoffice.HoldSeatsMax)
	}
	return req
}

// remember keeps the last holds placed, so that later commands can name
// holds that ended.
func (s *smSim) remember(holdID, owner string, seats []string) {
	s.ownerOf[holdID] = owner
	s.seatsOf[holdID] = seats
	if len(s.recent) < 32 {
		s.recent = append(s.recent, holdID)
	} else {
		s.recent[s.rnd.Intn(32)] = holdID
	}
}

// genHoldRef names a hold (live, recently placed, unknown or empty) and who
// asks: usually its owner, sometimes another user, and with noOwner
// sometimes no owner at all. (Release gets none: Release and HoldByID skip
// the owner check for an empty owner, which only HoldByID documents.)
func (s *smSim) genHoldRef(noOwner bool) (holdID, owner string) {
	live := s.model.Holds()
	switch r := s.rnd.Intn(100); {
	case r < 55 && len(live) > 0:
		holdID = live[s.rnd.Intn(len(live))]
	case r < 88 && len(s.recent) > 0:
		holdID = s.recent[s.rnd.Intn(len(s.recent))]
	case r < 96:
		holdID = "nohold" + strconv.Itoa(s.rnd.Intn(5))
	}
	owner = s.ownerOf[holdID]
	switch r := s.rnd.Intn(100); {
	case r < 5 && noOwner:
		owner = ""
	case r < 25 || owner == "":
		owner = smOwners[s.rnd.Intn(len(smOwners))]
	}
	return holdID, owner
}

// genConfirmBooking picks the booking ID to confirm a hold as: the booking
// that already confirmed it (a retry), a new one, a used one or none.
func (s *smSim) genConfirmBooking(holdID string) string {
	r := s.rnd.Intn(100)
	if b, ok := s.model.BookingOfHold(holdID); ok && r < 50 {
		return b
	}
	switch {
	case r < 88:
		s.bookingN++
		return "b" + strconv.Itoa(s.bookingN)
	case r < 96 && len(s.booked) > 0:
		return s.booked[s.rnd.Intn(len(s.booked))]
	}
	return ""
}

// genBooking names a booking to cancel or look up: usually a recent one,
// which is likely still confirmed.
func (s *smSim) genBooking() string {
	n := len(s.booked)
	switch r := s.rnd.Intn(100); {
	case r < 75 && n > 0:
		return s.booked[max(0, n-1-s.rnd.Intn(min(n, 8)))]
	case r < 88 && n > 0:
		return s.booked[s.rnd.Intn(n)]
	case r < 97:
		return "nobooking"
	}
	return ""
}
