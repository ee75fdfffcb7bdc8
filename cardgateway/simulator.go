// Package cardgateway holds the card gateway the product ships with: a
// simulator of an acquirer, so the product runs and is load-tested without
// a real one. It implements boxoffice.PaymentProvider; a real acquirer
// would be another package behind the same interface.
package cardgateway

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Test card tokens understood by the Simulator.
const (
	TokenVisa    = "tok_visa"    // captured
	TokenDecline = "tok_decline" // declined: EUNPROCESSABLE
	TokenTimeout = "tok_timeout" // captured, but the answer never arrives in time
)

// ChargesMax is how many charges a NewSimulator remembers. Past it the
// oldest charge is forgotten first, the way a real acquirer forgets
// idempotency keys after a retention period: a retry of a forgotten key is
// a new charge. The saga retries a key within seconds or minutes, far
// inside that window at the rates the product runs at, and a node's memory
// stays bounded (about 200 bytes per remembered charge) however long it
// runs. A forgotten charge can still be refunded, as at a real acquirer,
// which refunds a charge for months: its ref carries its amount (see
// Refund).
const ChargesMax = 100_000

// slowMax bounds how long a tok_timeout charge sleeps when the caller's
// context has no deadline, so a careless caller cannot park a goroutine
// forever.
const slowMax = 30 * time.Second

// Simulator is a simulated card gateway. It behaves like a real one where
// it matters to the booking saga: charges are idempotent by key (the same
// key charges at most once and answers the same every time), refunds are
// idempotent by ref, and tok_timeout takes the money and then does not
// answer before the caller gives up, so the caller must cope with an
// unknown outcome. It keeps totals so tests can check that money balances.
// Safe for concurrent use.
type Simulator struct {
	mu       sync.Mutex
	max      int
	byKey    map[string]*charge
	byRef    map[string]*charge
	order    []string // keys in byKey, a ring once full: order[next] is the oldest
	next     int
	captured int64
	refunded int64
	charges  int      // successful captures, one per key
	ledger   *os.File // OpenSimulator's file; nil: memory only
}

type charge struct {
	key      string
	ref      string
	amount   int64
	declined bool
	refunded bool
}

var _ boxoffice.PaymentProvider = (*Simulator)(nil)

// NewSimulator returns an empty simulator that remembers the last
// ChargesMax charges.
func NewSimulator() *Simulator { return NewBoundedSimulator(ChargesMax) }

// NewBoundedSimulator returns an empty simulator that remembers the last n
// charges (at least one).
func NewBoundedSimulator(n int) *Simulator {
	return &Simulator{max: max(1, n), byKey: map[string]*charge{}, byRef: map[string]*charge{}}
}

// Charge captures req.AmountCents unless the key was seen before, in which
// case it answers as it did the first time. A token it does not know is
// EINVALID and takes no money, which also makes a retry with the same key
// and no token a safe way to ask what happened to an earlier charge.
func (s *Simulator) Charge(ctx context.Context, req boxoffice.ChargeRequest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", boxoffice.Errorf(boxoffice.EUNAVAILABLE, "card gateway not reached: %v", err)
	}
	if req.Key == "" || req.AmountCents < 0 {
		return "", boxoffice.Errorf(boxoffice.EINVALID, "charge needs a key and a non-negative amount")
	}
	c, slow, err := s.charge(req)
	if slow {
		// The money is taken; the answer is lost on the way back.
		t := time.NewTimer(slowMax)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return "", boxoffice.Errorf(boxoffice.EUNAVAILABLE, "card gateway did not answer in time")
	}
	if err != nil {
		return "", err
	}
	return c.ref, nil
}

// charge decides a charge under the lock. slow is set for a first
// tok_timeout charge, which the caller turns into a lost answer.
func (s *Simulator) charge(req boxoffice.ChargeRequest) (c *charge, slow bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byKey[req.Key]; c != nil {
		if c.declined {
			return nil, false, boxoffice.Errorf(boxoffice.EUNPROCESSABLE, "card declined")
		}
		return c, false, nil
	}
	switch req.Token {
	case TokenVisa, TokenTimeout:
		c = &charge{key: req.Key, ref: chargeRef(req.AmountCents), amount: req.AmountCents}
		if err := s.record(ledgerLine{Op: "charge", Key: c.key, Ref: c.ref, Amount: c.amount}); err != nil {
			return nil, false, err
		}
		s.remember(c)
		s.captured += req.AmountCents
		s.charges++
		return c, req.Token == TokenTimeout, nil
	case TokenDecline:
		if err := s.record(ledgerLine{Op: "charge", Key: req.Key, Declined: true}); err != nil {
			return nil, false, err
		}
		s.remember(&charge{key: req.Key, declined: true})
		return nil, false, boxoffice.Errorf(boxoffice.EUNPROCESSABLE, "card declined")
	}
	return nil, false, boxoffice.Errorf(boxoffice.EINVALID, "unknown card token")
}

// remember keeps a new charge, forgetting the oldest one once max are
// kept. The caller holds the lock.
func (s *Simulator) remember(c *charge) {
	s.byKey[c.key] = c
	if c.ref != "" {
		s.byRef[c.ref] = c
	}
	if len(s.order) < s.max {
		s.order = append(s.order, c.key)
		return
	}
	old := s.byKey[s.order[s.next]]
	delete(s.byKey, old.key)
	delete(s.byRef, old.ref)
	s.order[s.next] = c.key
	s.next = (s.next + 1) % s.max
}

// Refund returns the whole amount of a charge; refunding it again does
// nothing. Returns ENOTFOUND for an unknown (or forgotten) ref and
// EINVALID for an amount other than the charge's.
func (s *Simulator) Refund(ctx context.Context, ref string, amountCents int64) error {
	if err := ctx.Err(); err != nil {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "card gateway not reached: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chargeByRef(ref)
	switch {
	case c == nil:
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "charge %s not found", ref)
	case c.refunded:
		return nil
	case amountCents != c.amount:
		return boxoffice.Errorf(boxoffice.EINVALID, "refund of %d does not match the charge of %d", amountCents, c.amount)
	}
	if err := s.record(ledgerLine{Op: "refund", Ref: ref}); err != nil {
		return err
	}
	c.refunded = true
	s.refunded += amountCents
	return nil
}

// chargeByRef is the charge with this ref: the one remembered or, for a
// forgotten one, a charge made from the amount its ref carries (and not
// kept, so refunding a forgotten charge twice cannot be told from once:
// both count in Totals; the booking saga refunds a payment once, as the
// payment's state says, so that takes a refund whose answer was lost).
// Nil for a ref this simulator never made. The caller holds the lock.
func (s *Simulator) chargeByRef(ref string) *charge {
	if c := s.byRef[ref]; c != nil {
		return c
	}
	if amount, ok := refAmount(ref); ok {
		return &charge{ref: ref, amount: amount}
	}
	return nil
}

// chargeRef is a new charge's ref: "ch_", a random ID, "_" and the amount.
func chargeRef(amountCents int64) string {
	return "ch_" + boxoffice.NewID() + "_" + strconv.FormatInt(amountCents, 10)
}

// refAmount is the amount a ref made by chargeRef carries.
func refAmount(ref string) (int64, bool) {
	rest, ok := strings.CutPrefix(ref, "ch_")
	if !ok {
		return 0, false
	}
	id, amount, ok := strings.Cut(rest, "_")
	if !ok || !boxoffice.ValidID(id) {
		return 0, false
	}
	n, err := strconv.ParseInt(amount, 10, 64)
	return n, err == nil && n >= 0
}

// Totals returns the money captured and refunded so far, and the number of
// distinct captures. Forgotten charges still count.
func (s *Simulator) Totals() (capturedCents, refundedCents int64, charges int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.captured, s.refunded, s.charges
}
