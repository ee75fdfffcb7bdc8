package actors_test

import (
	"context"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
)

// The simulated gateway behaves like a real one where the saga relies on
// it: idempotent by key and by ref, a decline answered the same every
// time, and a timeout that took the money.
func TestGateway(t *testing.T) {
	ctx := context.Background()
	charge := func(g *actors.Gateway, key, token string) (string, error) {
		return g.Charge(ctx, boxoffice.ChargeRequest{Key: key, AmountCents: 1000, Currency: "EUR", Token: token})
	}

	t.Run("a key charges once", func(t *testing.T) {
		g := actors.NewGateway()
		ref, err := charge(g, "k1", actors.TokenVisa)
		if err != nil || ref == "" {
			t.Fatal(ref, err)
		}
		again, err := charge(g, "k1", "")
		if err != nil || again != ref {
			t.Fatalf("retry: %q, %v; want %q", again, err, ref)
		}
		if captured, _, charges := g.Totals(); captured != 1000 || charges != 1 {
			t.Fatalf("captured %d in %d charges", captured, charges)
		}
	})

	t.Run("ErrUnprocessable for a decline, every time", func(t *testing.T) {
		g := actors.NewGateway()
		_, err := charge(g, "k1", actors.TokenDecline)
		bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
		_, err = charge(g, "k1", actors.TokenVisa)
		bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
	})

	t.Run("ErrInvalid for an unknown token, nothing taken", func(t *testing.T) {
		g := actors.NewGateway()
		_, err := charge(g, "k1", "tok_nope")
		bkWantCode(t, err, boxoffice.EINVALID)
		if ref, err := charge(g, "k1", actors.TokenVisa); err != nil || ref == "" {
			t.Fatalf("the key is still free: %v", err)
		}
	})

	t.Run("ErrUnavailable at the deadline, and the money was taken", func(t *testing.T) {
		g := actors.NewGateway()
		start := time.Now()
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := g.Charge(tctx, boxoffice.ChargeRequest{Key: "k1", AmountCents: 1000, Token: actors.TokenTimeout})
		bkWantCode(t, err, boxoffice.EUNAVAILABLE)
		if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
			t.Fatalf("answered after %v", d)
		}
		if ref, err := charge(g, "k1", ""); err != nil || ref == "" {
			t.Fatalf("asking again: %q, %v", ref, err)
		}
		if captured, _, _ := g.Totals(); captured != 1000 {
			t.Fatalf("captured %d", captured)
		}
	})

	t.Run("a refund returns the money once", func(t *testing.T) {
		g := actors.NewGateway()
		ref, _ := charge(g, "k1", actors.TokenVisa)
		for range 2 {
			if err := g.Refund(ctx, ref, 1000); err != nil {
				t.Fatal(err)
			}
		}
		bkWantCode(t, g.Refund(ctx, "ch_nope", 1000), boxoffice.ENOTFOUND)
		if captured, refunded, _ := g.Totals(); captured != 1000 || refunded != 1000 {
			t.Fatalf("captured %d refunded %d", captured, refunded)
		}
	})
}
