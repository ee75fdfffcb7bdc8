// Package cardgateway holds the card gateway the product ships with: a
// simulator of an acquirer, so the product runs and is load-tested without
// a real one. It implements boxoffice.PaymentProvider; a real acquirer
// would be another package behind the same interface.
package cardgateway

import (
	"context"
	"os"
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
// a new charge and a refund of a forgotten ref is ENOTFOUND. The saga
// retries a key within seconds or minutes, far inside that window at the
// rates the product runs at, and a node's memory stays bounded (about
// 200 bytes per remembered charge) however long it runs.
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
		c = &charge{key: req.Key, ref: "ch_" + boxoffice.NewID(), amount: req.AmountCents}
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
	c := s.byRef[ref]
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

// Totals returns the money captured and refunded so far, and the number of
// distinct captures. Forgotten charges still count.
func (s *Simulator) Totals() (capturedCents, refundedCents int64, charges int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.captured, s.refunded, s.charges
}
