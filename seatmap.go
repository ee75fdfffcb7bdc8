package boxoffice

import (
	"container/heap"
	"fmt"
	"maps"
	"slices"
	"time"
)

// endedHoldsMax bounds how many finished holds a seat map remembers, so that
// a late request for one gets "expired" or "released" instead of "unknown".
const endedHoldsMax = 1024

// SeatMap is the seat state of one showtime and the rules that change it.
// It is pure: no I/O, no clock of its own (every command takes now), no
// goroutines. The showtime grain wraps it; tests drive it directly.
//
// Every command first expires the holds whose deadline has passed and then
// decides. It returns the events to journal, which it has already applied to
// the map. Events are returned even when the command itself fails (the
// expiries it found on the way still happened), so callers always journal
// them.
type SeatMap struct {
	showtimeID string
	currency   string
	startsAt   time.Time
	layout     []Seat         // immutable and maybe shared: ID, category, price
	index      map[string]int // seat ID -> position in layout; shared like layout

	seq       uint64
	cancelled bool
	// activation names the activation that last fenced the journal (the
	// Owner of the last activated event): see EventActivated.
	activation string
	seats      []seatState              // by position in layout
	holds      map[string]*Hold         // live holds
	deadline   deadlineHeap             // live holds by expiry
	bookings   map[string]*seatBooking  // confirmed and cancelled bookings
	ended      map[string]SeatEventKind // recently finished holds: why
	endedQ     []string                 // FIFO of ended, bounded by endedHoldsMax

	// The hold caps and what they need, kept only for the caps that are
	// on, so a map without caps costs nothing more.
	caps      HoldCaps
	heldSeats map[string]int      // owner -> seats in the owner's live holds
	holdDelta map[string]int      // owner -> change in live holds since TakeHoldDeltas
	cooled    map[int]seatCooling // seat position -> who released it or let it lapse, when
}

// seatCooling remembers the last user whose hold on a free seat ended by
// release or expiry. One entry per seat at most, dropped when the seat is
// held again, so the memory is bounded by the hall.
type seatCooling struct {
	owner string
	at    time.Time
}

type seatState struct {
	hold    string // live hold ID, or ""
	booking string // confirmed booking ID, or ""
}

type seatBooking struct {
	HoldID    string   `json:"hold_id"`
	Owner     string   `json:"owner"`
	Seats     []string `json:"seats"`
	Cancelled bool     `json:"cancelled,omitempty"`
}

// SeatLayout is the immutable seat list of a hall priced for a showtime,
// with an index by seat ID. It is about two thirds of an empty seat map's
// memory, so showtimes of one hall at the same prices share one.
type SeatLayout struct {
	seats []Seat
	index map[string]int
}

// NewSeatLayout lays out a hall's seats with the given prices.
func NewSeatLayout(hall *Hall, prices map[string]int64) *SeatLayout {
	l := &SeatLayout{seats: hall.SeatLayout(prices)}
	l.index = make(map[string]int, len(l.seats))
	for i, s := range l.seats {
		l.index[s.ID] = i
	}
	return l
}

// NewSeatMap returns the empty seat map of a showtime in a hall.
func NewSeatMap(st *Showtime, hall *Hall) *SeatMap {
	return NewSeatMapWithLayout(st, NewSeatLayout(hall, st.Prices))
}

// NewSeatMapWithLayout returns the empty seat map of a showtime on a
// layout that the caller may share with other maps (it is never changed).
func NewSeatMapWithLayout(st *Showtime, l *SeatLayout) *SeatMap {
	return &SeatMap{
		showtimeID: st.ID,
		currency:   st.Currency,
		startsAt:   st.StartsAt,
		layout:     l.seats,
		index:      l.index,
		seats:      make([]seatState, len(l.seats)),
		holds:      map[string]*Hold{},
		bookings:   map[string]*seatBooking{},
		ended:      map[string]SeatEventKind{},
	}
}

// Seq is the sequence number of the last event applied: the seat map's version.
func (m *SeatMap) Seq() uint64 { return m.seq }

// Cancelled reports whether the showtime was cancelled.
func (m *SeatMap) Cancelled() bool { return m.cancelled }

// Activation is the Owner of the journal's last activated event: who last
// loaded the showtime on a clustered node ("" if none did).
func (m *SeatMap) Activation() string { return m.activation }

// HoldRequest asks for seats for an owner. The caller picks the hold ID
// (NewHoldID) so that deciding stays deterministic.
type HoldRequest struct {
	HoldID string
	Owner  string
	Seats  []string
	TTL    time.Duration
}

// SetHoldCaps switches the hold caps on for an empty map, before Restore,
// so that the counts they need cover the whole journal. SeatsPerShowtime
// and Cooldown are checked by Hold; with HoldsPerUser on, the map also
// counts live holds per owner for TakeHoldDeltas (the node checks that cap
// across showtimes).
func (m *SeatMap) SetHoldCaps(c HoldCaps) error {
	if m.seq != 0 {
		return fmt.Errorf("seat map %s: hold caps set after events", m.showtimeID)
	}
	m.caps = c
	return nil
}

// Hold places a hold on all requested seats or on none. Returns EINVALID for
// an empty, duplicate, unknown or too long seat list, ECONFLICT with
// details["unavailable"] when a seat is held or booked, ECONFLICT when the
// showtime started or was cancelled, ECONFLICT with details["reason"]
// ReasonSeatCap past the owner's seats per showtime, and ETOOMANYREQUESTS
// with details["reason"] ReasonCooldown and details["retry_after_seconds"]
// for seats the owner released or let lapse within the cool-down.
func (m *SeatMap) Hold(now time.Time, req HoldRequest) (*Hold, []SeatEvent, error) {
	evs := m.Expire(now)
	if err := m.checkHold(now, req); err != nil {
		return nil, evs, err
	}
	e := m.next(SeatEvent{Kind: EventHeld, At: now, HoldID: req.HoldID, Owner: req.Owner,
		Seats: slices.Clone(req.Seats), ExpiresAt: now.Add(req.TTL)})
	return m.holdCopy(m.holds[req.HoldID]), append(evs, e), nil
}

func (m *SeatMap) checkHold(now time.Time, req HoldRequest) error {
	if err := checkSeatCount(req.Seats); err != nil {
		return err
	}
	switch {
	case req.TTL <= 0:
		return Errorf(EINVALID, "hold TTL must be positive")
	case req.Owner == "":
		return Errorf(EINVALID, "hold owner is required")
	case req.HoldID == "":
		// An empty ID would mark the seats with the "no hold" value: they
		// would show free and could be held again while this hold lives.
		return Errorf(EINVALID, "hold ID is required")
	case m.holds[req.HoldID] != nil || m.ended[req.HoldID] != "":
		return Errorf(ECONFLICT, "hold %s already exists", req.HoldID)
	}
	if err := checkSeatDuplicates(req.Seats); err != nil {
		return err
	}
	var unknown, taken []string
	for _, id := range req.Seats {
		i, ok := m.index[id]
		if !ok {
			unknown = append(unknown, id)
		} else if m.seats[i] != (seatState{}) {
			taken = append(taken, id)
		}
	}
	if len(unknown) > 0 {
		return Errorf(EINVALID, "seats: unknown seat %s", unknown[0]).WithDetail("unknown", unknown)
	}
	if m.cancelled {
		return Errorf(ECONFLICT, "showtime is cancelled")
	}
	if !now.Before(m.startsAt) {
		return Errorf(ECONFLICT, "showtime has started")
	}
	if len(taken) > 0 {
		return &Error{Code: ECONFLICT, Message: "seat " + taken[0] + " is not available", Details: map[string]any{"unavailable": taken}}
	}
	if err := m.checkSeatCap(req); err != nil {
		return err
	}
	return m.checkCooldown(now, req)
}

// checkSeatCap refuses a hold that would leave the owner holding more
// seats in this showtime than the cap allows.
func (m *SeatMap) checkSeatCap(req HoldRequest) error {
	limit, held := m.caps.SeatsPerShowtime, m.heldSeats[req.Owner]
	if limit <= 0 || held+len(req.Seats) <= limit {
		return nil
	}
	return &Error{Code: ECONFLICT, Message: fmt.Sprintf("at most %d held seats per user in a showtime: book or release some first", limit),
		Details: map[string]any{"reason": ReasonSeatCap, "limit": limit, "held": held}}
}

// checkCooldown refuses seats that the same owner released or let lapse
// less than the cool-down ago; the answer says how long to wait.
func (m *SeatMap) checkCooldown(now time.Time, req HoldRequest) error {
	if m.caps.Cooldown <= 0 || len(m.cooled) == 0 {
		return nil
	}
	var cooling []string
	var wait time.Duration
	for _, id := range req.Seats {
		c, ok := m.cooled[m.index[id]]
		if !ok || c.owner != req.Owner {
			continue
		}
		if left := c.at.Add(m.caps.Cooldown).Sub(now); left > 0 {
			cooling = append(cooling, id)
			wait = max(wait, left)
		}
	}
	if len(cooling) == 0 {
		return nil
	}
	return &Error{Code: ETOOMANYREQUESTS, Message: "seat " + cooling[0] + " was just released by you; others get a chance first",
		Details: map[string]any{"reason": ReasonCooldown, "seats": cooling, "retry_after_seconds": RetryAfterSeconds(wait)}}
}

// TakeHoldDeltas returns how the number of live holds of each owner
// changed since the last call (or since the map was made, which covers a
// restore), and starts counting afresh; nil unless the HoldsPerUser cap is
// on. The node keeps the count of open holds per user across showtimes
// with it.
func (m *SeatMap) TakeHoldDeltas() map[string]int {
	d := m.holdDelta
	m.holdDelta = nil
	return d
}

// countHold records that owner gained (+1) or lost (-1) a live hold of n
// seats.
func (m *SeatMap) countHold(owner string, sign, n int) {
	if m.caps.SeatsPerShowtime > 0 {
		if m.heldSeats == nil {
			m.heldSeats = map[string]int{}
		}
		if m.heldSeats[owner] += sign * n; m.heldSeats[owner] <= 0 {
			delete(m.heldSeats, owner)
		}
	}
	if m.caps.HoldsPerUser > 0 {
		if m.holdDelta == nil {
			m.holdDelta = map[string]int{}
		}
		if m.holdDelta[owner] += sign; m.holdDelta[owner] == 0 {
			delete(m.holdDelta, owner)
		}
	}
}

// CheckHoldSeats checks the seat list of a hold as far as it can be checked
// without the seat map: its length and that no seat appears twice. Hold
// applies the same rules; a caller checks first to refuse a list that can
// never be held without asking the showtime (which may not exist, or be
// out of reach).
func CheckHoldSeats(seats []string) error {
	if err := checkSeatCount(seats); err != nil {
		return err
	}
	return checkSeatDuplicates(seats)
}

func checkSeatCount(seats []string) error {
	switch {
	case len(seats) == 0:
		return Errorf(EINVALID, "seats: at least one seat is required")
	case len(seats) > HoldSeatsMax:
		return Errorf(EINVALID, "seats: at most %d seats per hold", HoldSeatsMax)
	}
	return nil
}

func checkSeatDuplicates(seats []string) error {
	if dup := duplicateSeat(seats); dup != "" {
		return Errorf(EINVALID, "seats: %s appears twice", dup)
	}
	return nil
}

// duplicateSeat returns a seat that appears twice in seats, or "". Holds
// name a few seats (at most HoldSeatsMax), so comparing pairs beats a map.
func duplicateSeat(seats []string) string {
	for i, a := range seats {
		for _, b := range seats[i+1:] {
			if a == b {
				return a
			}
		}
	}
	return ""
}

// Release frees a live hold's seats. Only the owner may release it. Returns
// ENOTFOUND for an unknown or released hold, EGONE for an expired one,
// EFORBIDDEN for someone else's.
func (m *SeatMap) Release(now time.Time, holdID, owner string) ([]SeatEvent, error) {
	evs := m.Expire(now)
	h, err := m.liveHold(holdID, owner)
	if err != nil {
		return evs, err
	}
	return append(evs, m.next(SeatEvent{Kind: EventReleased, At: now, HoldID: h.ID, Seats: h.Seats})), nil
}

// Confirm turns a live hold into a booking. Only the owner may confirm, and
// only before the hold expires and the showtime starts. Confirming the same
// hold again for the same booking succeeds without events, so a booking
// that was interrupted can be finished. Returns the confirmed hold.
func (m *SeatMap) Confirm(now time.Time, holdID, owner, bookingID string) (*Hold, []SeatEvent, error) {
	evs := m.Expire(now)
	if b := m.bookings[bookingID]; b != nil && b.HoldID == holdID {
		if b.Owner != owner {
			return nil, evs, Errorf(EFORBIDDEN, "hold %s belongs to someone else", holdID)
		}
		if b.Cancelled {
			return nil, evs, Errorf(ECONFLICT, "booking %s was cancelled", bookingID)
		}
		return m.bookingHold(bookingID, b), evs, nil
	}
	if bookingID == "" || m.bookings[bookingID] != nil {
		return nil, evs, Errorf(EINVALID, "booking ID %q is empty or already used", bookingID)
	}
	if m.cancelled {
		// Before the hold lookup: closing ended every hold, which would
		// otherwise answer "not found".
		return nil, evs, Errorf(ECONFLICT, "showtime is cancelled")
	}
	h, err := m.liveHold(holdID, owner)
	if err == nil && h.Owner != owner {
		// liveHold skips the owner check for an empty owner (HoldByID's
		// lookup without owner): confirming is for the owner only.
		err = Errorf(EFORBIDDEN, "hold %s belongs to someone else", holdID)
	}
	if err != nil {
		if m.ended[holdID] == EventConfirmed {
			err = Errorf(ECONFLICT, "hold %s is already booked", holdID)
		}
		return nil, evs, err
	}
	if !now.Before(m.startsAt) {
		return nil, evs, Errorf(ECONFLICT, "showtime has started")
	}
	confirmed := m.holdCopy(h)
	e := m.next(SeatEvent{Kind: EventConfirmed, At: now, HoldID: holdID, BookingID: bookingID, Seats: h.Seats})
	return confirmed, append(evs, e), nil
}

// Cancel frees the seats of a confirmed booking. Cancelling a cancelled
// booking succeeds without events. Returns ENOTFOUND for an unknown booking.
func (m *SeatMap) Cancel(now time.Time, bookingID string) ([]SeatEvent, error) {
	evs := m.Expire(now)
	b := m.bookings[bookingID]
	if b == nil {
		return evs, Errorf(ENOTFOUND, "booking %s has no seats in this showtime", bookingID)
	}
	if b.Cancelled {
		return evs, nil
	}
	return append(evs, m.next(SeatEvent{Kind: EventCancelled, At: now, BookingID: bookingID, Seats: b.Seats})), nil
}

// CancelShowtime marks the showtime cancelled: live holds end and no new hold or
// confirmation is accepted. Bookings keep their seats until each is
// cancelled (and refunded). Closing twice yields no events.
func (m *SeatMap) CancelShowtime(now time.Time) []SeatEvent {
	evs := m.Expire(now)
	if m.cancelled {
		return evs
	}
	return append(evs, m.next(SeatEvent{Kind: EventShowtimeCancelled, At: now}))
}

// Expire ends every hold whose deadline is at or before now.
func (m *SeatMap) Expire(now time.Time) []SeatEvent {
	var evs []SeatEvent
	for len(m.deadline) > 0 && !m.deadline[0].at.After(now) {
		h := m.holds[m.deadline[0].holdID]
		evs = append(evs, m.next(SeatEvent{Kind: EventExpired, At: now, HoldID: h.ID, Seats: h.Seats}))
	}
	return evs
}

// NextDeadline returns the earliest hold expiry, if any hold is live.
func (m *SeatMap) NextDeadline() (time.Time, bool) {
	if len(m.deadline) == 0 {
		return time.Time{}, false
	}
	return m.deadline[0].at, true
}

// HoldByID returns a live hold of owner (owner "" skips the owner check).
// Returns ENOTFOUND, EGONE if it expired (at or before now), EFORBIDDEN.
func (m *SeatMap) HoldByID(now time.Time, holdID, owner string) (*Hold, error) {
	h, err := m.liveHold(holdID, owner)
	if err != nil {
		return nil, err
	}
	if !now.Before(h.ExpiresAt) {
		return nil, Errorf(EGONE, "hold %s has expired", holdID)
	}
	return m.holdCopy(h), nil
}

// BookingSeats returns the seats of a booking and whether it is still
// confirmed. ok is false if this showtime never confirmed the booking.
func (m *SeatMap) BookingSeats(bookingID string) (seats []string, confirmed, ok bool) {
	b := m.bookings[bookingID]
	if b == nil {
		return nil, false, false
	}
	return slices.Clone(b.Seats), !b.Cancelled, true
}

func (m *SeatMap) liveHold(holdID, owner string) (*Hold, error) {
	h := m.holds[holdID]
	if h == nil {
		switch m.ended[holdID] {
		case EventExpired:
			return nil, Errorf(EGONE, "hold %s has expired", holdID)
		case EventConfirmed:
			return nil, Errorf(ENOTFOUND, "hold %s was booked", holdID)
		}
		return nil, Errorf(ENOTFOUND, "hold %s not found", holdID)
	}
	if owner != "" && h.Owner != owner {
		return nil, Errorf(EFORBIDDEN, "hold %s belongs to someone else", holdID)
	}
	return h, nil
}

// next numbers e, applies it and returns it.
func (m *SeatMap) next(e SeatEvent) SeatEvent {
	e.Seq = m.seq + 1
	if err := m.Apply(e); err != nil {
		panic(err) // a command produced an event that its own state refuses: a bug
	}
	return e
}

// Apply applies a journaled event. Replaying a journal calls it for each
// event in order; it returns an error if the event does not fit the state
// (a gap in Seq or a seat that is not free), which means the journal is
// corrupt.
func (m *SeatMap) Apply(e SeatEvent) error {
	if e.Seq != m.seq+1 {
		return fmt.Errorf("seat map %s: event seq %d after %d", m.showtimeID, e.Seq, m.seq)
	}
	var err error
	switch e.Kind {
	case EventHeld:
		err = m.applyHeld(e)
	case EventReleased, EventExpired:
		m.coolDown(e.HoldID, e.At)
		err = m.endHold(e.HoldID, e.Kind)
	case EventConfirmed:
		err = m.applyConfirmed(e)
	case EventCancelled:
		err = m.applyCancelled(e)
	case EventShowtimeCancelled:
		for _, id := range slices.Sorted(maps.Keys(m.holds)) {
			if err = m.endHold(id, EventReleased); err != nil {
				break
			}
		}
		m.cancelled = true
	case EventActivated:
		m.activation = e.Owner
	default:
		err = fmt.Errorf("unknown event kind %q", e.Kind)
	}
	if err != nil {
		return fmt.Errorf("seat map %s: event %d: %w", m.showtimeID, e.Seq, err)
	}
	m.seq = e.Seq
	return nil
}

func (m *SeatMap) applyHeld(e SeatEvent) error {
	if e.HoldID == "" || m.holds[e.HoldID] != nil {
		return fmt.Errorf("hold %q exists or is empty", e.HoldID)
	}
	h := &Hold{ID: e.HoldID, ShowtimeID: m.showtimeID, Owner: e.Owner, Seats: e.Seats,
		ExpiresAt: e.ExpiresAt, Currency: m.currency}
	for _, id := range e.Seats {
		i, ok := m.index[id]
		if !ok || m.seats[i] != (seatState{}) {
			return fmt.Errorf("seat %s is not free", id)
		}
	}
	for _, id := range e.Seats {
		i := m.index[id]
		m.seats[i].hold = e.HoldID
		h.TotalCents += m.layout[i].PriceCents
		delete(m.cooled, i)
	}
	m.holds[e.HoldID] = h
	m.countHold(h.Owner, 1, len(h.Seats))
	heap.Push(&m.deadline, deadlineEntry{at: e.ExpiresAt, holdID: e.HoldID})
	return nil
}

func (m *SeatMap) applyConfirmed(e SeatEvent) error {
	h := m.holds[e.HoldID]
	if h == nil {
		return fmt.Errorf("confirm of unknown hold %s", e.HoldID)
	}
	if err := m.endHold(e.HoldID, EventConfirmed); err != nil {
		return err
	}
	for _, id := range h.Seats {
		m.seats[m.index[id]].booking = e.BookingID
	}
	m.bookings[e.BookingID] = &seatBooking{HoldID: h.ID, Owner: h.Owner, Seats: h.Seats}
	return nil
}

func (m *SeatMap) applyCancelled(e SeatEvent) error {
	b := m.bookings[e.BookingID]
	if b == nil || b.Cancelled {
		return fmt.Errorf("cancel of unknown booking %s", e.BookingID)
	}
	for _, id := range b.Seats {
		m.seats[m.index[id]].booking = ""
	}
	b.Cancelled = true
	return nil
}

// coolDown remembers who gave up a live hold's seats, and when, for the
// cool-down before the same user may hold them again.
func (m *SeatMap) coolDown(holdID string, at time.Time) {
	h := m.holds[holdID]
	if h == nil || m.caps.Cooldown <= 0 {
		return // endHold reports a missing hold
	}
	if m.cooled == nil {
		m.cooled = map[int]seatCooling{}
	}
	// A hold lapses at its deadline, whenever a command notices it.
	if h.ExpiresAt.Before(at) {
		at = h.ExpiresAt
	}
	for _, id := range h.Seats {
		m.cooled[m.index[id]] = seatCooling{owner: h.Owner, at: at}
	}
}

// endHold removes a live hold and frees its seats.
func (m *SeatMap) endHold(holdID string, why SeatEventKind) error {
	h := m.holds[holdID]
	if h == nil {
		return fmt.Errorf("end of unknown hold %s", holdID)
	}
	for _, id := range h.Seats {
		m.seats[m.index[id]].hold = ""
	}
	delete(m.holds, holdID)
	m.countHold(h.Owner, -1, len(h.Seats))
	m.deadline.remove(holdID)
	m.ended[holdID] = why
	m.endedQ = append(m.endedQ, holdID)
	if len(m.endedQ) > endedHoldsMax {
		delete(m.ended, m.endedQ[0])
		m.endedQ = m.endedQ[1:]
	}
	return nil
}

func (m *SeatMap) holdCopy(h *Hold) *Hold {
	c := *h
	c.Seats = slices.Clone(h.Seats)
	return &c
}

func (m *SeatMap) bookingHold(bookingID string, b *seatBooking) *Hold {
	h := &Hold{ID: b.HoldID, ShowtimeID: m.showtimeID, Owner: b.Owner, Seats: slices.Clone(b.Seats), Currency: m.currency}
	for _, id := range b.Seats {
		h.TotalCents += m.layout[m.index[id]].PriceCents
	}
	return h
}

// Status returns the public status of a seat.
func (m *SeatMap) Status(seatID string) (SeatStatus, bool) {
	i, ok := m.index[seatID]
	if !ok {
		return "", false
	}
	return m.seats[i].status(), true
}

func (s seatState) status() SeatStatus {
	switch {
	case s.booking != "":
		return SeatBooked
	case s.hold != "":
		return SeatHeld
	}
	return SeatFree
}

// View returns the public seat map at now: holds past their deadline show
// as free even before an Expire command ends them.
func (m *SeatMap) View(now time.Time) SeatMapView {
	v := SeatMapView{ShowtimeID: m.showtimeID, Version: m.seq, Seats: make([]Seat, len(m.layout))}
	for i, s := range m.layout {
		s.Status = m.seats[i].status()
		if s.Status == SeatHeld && !now.Before(m.holds[m.seats[i].hold].ExpiresAt) {
			s.Status = SeatFree
		}
		v.Seats[i] = s
	}
	return v
}

// Changes returns the seats that events touched with their current status.
func (m *SeatMap) Changes(evs []SeatEvent) []SeatChange {
	var out []SeatChange
	seen := map[string]bool{}
	add := func(ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				st, _ := m.Status(id)
				out = append(out, SeatChange{ID: id, Status: st})
			}
		}
	}
	for _, e := range evs {
		switch {
		case len(e.Seats) > 0:
			add(e.Seats)
		case e.Kind == EventShowtimeCancelled:
			for _, s := range m.layout {
				add([]string{s.ID})
			}
		}
	}
	return out
}
