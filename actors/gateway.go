package actors

import (
	"context"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Test card tokens understood by the simulated Gateway.
const (
	TokenVisa    = "tok_visa"    // captured
	TokenDecline = "tok_decline" // declined: EUNPROCESSABLE
	TokenTimeout = "tok_timeout" // captured, but the answer never arrives in time
)

// gatewaySlowMax bounds how long a tok_timeout charge sleeps when the
// caller's context has no deadline, so a careless caller cannot park a
// goroutine forever.
const gatewaySlowMax = 30 * time.Second

// Gateway is a simulated card gateway: the PaymentProvider that ships, so
// the product runs and is load-tested without a real acquirer. It behaves
// like one where it matters to the saga: charges are idempotent by key (the
// same key charges at most once and answers the same every time), refunds
// are idempotent by ref, and tok_timeout takes the money and then does not
// answer before the caller gives up, so the caller must cope with an
// unknown outcome. It keeps totals so tests can check that money balances.
// Safe for concurrent use.
type Gateway struct {
	mu       sync.Mutex
	byKey    map[string]*gatewayCharge
	byRef    map[string]*gatewayCharge
	captured int64
	refunded int64
	charges  int // successful captures, one per key
}

type gatewayCharge struct {
	ref      string
	amount   int64
	declined bool
	refunded bool
}

var _ boxoffice.PaymentProvider = (*Gateway)(nil)

// NewGateway returns an empty simulated gateway.
func NewGateway() *Gateway {
	return &Gateway{byKey: map[string]*gatewayCharge{}, byRef: map[string]*gatewayCharge{}}
}

// Charge captures req.AmountCents unless the key was seen before, in which
// case it answers as it did the first time. A token it does not know is
// EINVALID and takes no money, which also makes a retry with the same key
// and no token a safe way to ask what happened to an earlier charge.
func (g *Gateway) Charge(ctx context.Context, req boxoffice.ChargeRequest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", boxoffice.Errorf(boxoffice.EUNAVAILABLE, "card gateway not reached: %v", err)
	}
	if req.Key == "" || req.AmountCents < 0 {
		return "", boxoffice.Errorf(boxoffice.EINVALID, "charge needs a key and a non-negative amount")
	}
	c, slow, err := g.charge(req)
	if slow {
		// The money is taken; the answer is lost on the way back.
		t := time.NewTimer(gatewaySlowMax)
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
func (g *Gateway) charge(req boxoffice.ChargeRequest) (c *gatewayCharge, slow bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.byKey[req.Key]; c != nil {
		if c.declined {
			return nil, false, boxoffice.Errorf(boxoffice.EUNPROCESSABLE, "card declined")
		}
		return c, false, nil
	}
	switch req.Token {
	case TokenVisa, TokenTimeout:
		c = &gatewayCharge{ref: "ch_" + boxoffice.NewID(), amount: req.AmountCents}
		g.byKey[req.Key], g.byRef[c.ref] = c, c
		g.captured += req.AmountCents
		g.charges++
		return c, req.Token == TokenTimeout, nil
	case TokenDecline:
		g.byKey[req.Key] = &gatewayCharge{declined: true}
		return nil, false, boxoffice.Errorf(boxoffice.EUNPROCESSABLE, "card declined")
	}
	return nil, false, boxoffice.Errorf(boxoffice.EINVALID, "unknown card token")
}

// Refund returns the whole amount of a charge; refunding it again does
// nothing. Returns ENOTFOUND for an unknown ref and EINVALID for an amount
// other than the charge's.
func (g *Gateway) Refund(ctx context.Context, ref string, amountCents int64) error {
	if err := ctx.Err(); err != nil {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "card gateway not reached: %v", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.byRef[ref]
	switch {
	case c == nil:
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "charge %s not found", ref)
	case c.refunded:
		return nil
	case amountCents != c.amount:
		return boxoffice.Errorf(boxoffice.EINVALID, "refund of %d does not match the charge of %d", amountCents, c.amount)
	}
	c.refunded = true
	g.refunded += amountCents
	return nil
}

// Totals returns the money captured and refunded so far, and the number of
// distinct captures.
func (g *Gateway) Totals() (capturedCents, refundedCents int64, charges int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.captured, g.refunded, g.charges
}
