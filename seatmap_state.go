package boxoffice

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// deadlineHeap orders live holds by expiry so that expiring is O(log n) per
// hold, however many holds a flash sale creates.
type deadlineHeap []deadlineEntry

type deadlineEntry struct {
	at     time.Time
	holdID string
}

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].holdID < h[j].holdID
	}
	return h[i].at.Before(h[j].at)
}
func (h deadlineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)   { *h = append(*h, x.(deadlineEntry)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// remove drops a hold's entry. Holds end at most once, and a linear scan of
// the live holds is cheaper than keeping an index beside the heap for the
// sizes a hall has (at most 26*99 seats, so at most that many live holds).
func (h *deadlineHeap) remove(holdID string) {
	for i, e := range *h {
		if e.holdID == holdID {
			heap.Remove(h, i)
			return
		}
	}
}

// seatMapState is the serialized form of a SeatMap for snapshots. The layout
// is not part of it: it comes from the catalog when the map is built.
type seatMapState struct {
	Seq       uint64                   `json:"seq"`
	Cancelled bool                     `json:"closed,omitempty"` // stored name kept: snapshots written before the rename
	Holds     []*Hold                  `json:"holds"`
	Owners    []string                 `json:"owners"` // Hold.Owner is not in Hold's JSON
	Bookings  map[string]*seatBooking  `json:"bookings"`
	Ended     []string                 `json:"ended"`
	EndedWhy  map[string]SeatEventKind `json:"ended_why"`
	Cooling   []coolingState           `json:"cooling,omitempty"`
	// Activation is SeatMap.activation.
	Activation string `json:"activation,omitempty"`
}

// coolingState is a seatCooling in a snapshot.
type coolingState struct {
	Seat  string    `json:"seat"`
	Owner string    `json:"owner"`
	At    time.Time `json:"at"`
}

// Snapshot serializes the seat map for a SeatSnapshot.
func (m *SeatMap) Snapshot() (*SeatSnapshot, error) {
	st := seatMapState{Seq: m.seq, Cancelled: m.cancelled, Bookings: m.bookings, Ended: m.endedQ, EndedWhy: m.ended,
		Activation: m.activation}
	for _, id := range slices.Sorted(maps.Keys(m.holds)) {
		st.Holds = append(st.Holds, m.holds[id])
		st.Owners = append(st.Owners, m.holds[id].Owner)
	}
	for _, i := range slices.Sorted(maps.Keys(m.cooled)) {
		c := m.cooled[i]
		st.Cooling = append(st.Cooling, coolingState{Seat: m.layout[i].ID, Owner: c.owner, At: c.at})
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return &SeatSnapshot{ShowtimeID: m.showtimeID, Seq: m.seq, State: b}, nil
}

// Restore loads a snapshot (may be nil) and replays events after it into an
// empty seat map made by NewSeatMap.
func (m *SeatMap) Restore(snap *SeatSnapshot, events []SeatEvent) error {
	if m.seq != 0 {
		return fmt.Errorf("seat map %s: restore into a used map", m.showtimeID)
	}
	if snap != nil {
		if err := m.restoreSnapshot(snap); err != nil {
			return err
		}
	}
	for _, e := range events {
		if e.Seq <= m.seq {
			continue // covered by the snapshot
		}
		if err := m.Apply(e); err != nil {
			return err
		}
	}
	return nil
}

func (m *SeatMap) restoreSnapshot(snap *SeatSnapshot) error {
	var st seatMapState
	if err := json.Unmarshal(snap.State, &st); err != nil {
		return fmt.Errorf("seat map %s: snapshot %d: %w", m.showtimeID, snap.Seq, err)
	}
	if len(st.Owners) != len(st.Holds) {
		return fmt.Errorf("seat map %s: snapshot %d: %d owners for %d holds", m.showtimeID, snap.Seq, len(st.Owners), len(st.Holds))
	}
	for i, h := range st.Holds {
		if h == nil || h.ID == "" || m.holds[h.ID] != nil {
			return fmt.Errorf("seat map %s: snapshot %d: hold %d is null, unnamed or repeated", m.showtimeID, snap.Seq, i)
		}
		h.Owner = st.Owners[i]
		h.ShowtimeID = m.showtimeID
		for _, id := range h.Seats {
			i, ok := m.index[id]
			if !ok || m.seats[i] != (seatState{}) {
				return fmt.Errorf("seat map %s: snapshot %d: seat %s taken twice", m.showtimeID, snap.Seq, id)
			}
			m.seats[i].hold = h.ID
		}
		m.holds[h.ID] = h
		m.countHold(h.Owner, 1, len(h.Seats))
		heap.Push(&m.deadline, deadlineEntry{at: h.ExpiresAt, holdID: h.ID})
	}
	for _, c := range st.Cooling {
		if m.caps.Cooldown <= 0 {
			break // remembered for a cap that is off now
		}
		i, ok := m.index[c.Seat]
		if !ok {
			return fmt.Errorf("seat map %s: snapshot %d: cooling of unknown seat %s", m.showtimeID, snap.Seq, c.Seat)
		}
		if m.cooled == nil {
			m.cooled = map[int]seatCooling{}
		}
		m.cooled[i] = seatCooling{owner: c.Owner, at: c.At}
	}
	for id, b := range st.Bookings {
		if b == nil {
			return fmt.Errorf("seat map %s: snapshot %d: booking %s is null", m.showtimeID, snap.Seq, id)
		}
		m.bookings[id] = b
		if b.Cancelled {
			continue
		}
		for _, s := range b.Seats {
			i, ok := m.index[s]
			if !ok || m.seats[i] != (seatState{}) {
				return fmt.Errorf("seat map %s: snapshot %d: seat %s taken twice", m.showtimeID, snap.Seq, s)
			}
			m.seats[i].booking = id
		}
	}
	m.endedQ = st.Ended
	for _, id := range st.Ended {
		m.ended[id] = st.EndedWhy[id]
	}
	m.cancelled, m.seq, m.activation = st.Cancelled, st.Seq, st.Activation
	return nil
}
