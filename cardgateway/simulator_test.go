package cardgateway_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := boxoffice.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func charge(s *cardgateway.Simulator, key, token string) (string, error) {
	return s.Charge(context.Background(), boxoffice.ChargeRequest{Key: key, AmountCents: 1000, Currency: "EUR", Token: token})
}

// The simulator behaves like a real gateway where the saga relies on it:
// idempotent by key and by ref, a decline answered the same every time,
// and a timeout that took the money.
func TestSimulator(t *testing.T) {
	ctx := context.Background()

	t.Run("a key charges once", func(t *testing.T) {
		s := cardgateway.NewSimulator()
		ref, err := charge(s, "k1", cardgateway.TokenVisa)
		if err != nil || ref == "" {
			t.Fatal(ref, err)
		}
		again, err := charge(s, "k1", "")
		if err != nil || again != ref {
			t.Fatalf("retry: %q, %v; want %q", again, err, ref)
		}
		if captured, _, charges := s.Totals(); captured != 1000 || charges != 1 {
			t.Fatalf("captured %d in %d charges", captured, charges)
		}
	})

	t.Run("ErrUnprocessable for a decline, every time", func(t *testing.T) {
		s := cardgateway.NewSimulator()
		_, err := charge(s, "k1", cardgateway.TokenDecline)
		wantCode(t, err, boxoffice.EUNPROCESSABLE)
		_, err = charge(s, "k1", cardgateway.TokenVisa)
		wantCode(t, err, boxoffice.EUNPROCESSABLE)
	})

	t.Run("ErrInvalid for an unknown token, nothing taken", func(t *testing.T) {
		s := cardgateway.NewSimulator()
		_, err := charge(s, "k1", "tok_nope")
		wantCode(t, err, boxoffice.EINVALID)
		if ref, err := charge(s, "k1", cardgateway.TokenVisa); err != nil || ref == "" {
			t.Fatalf("the key is still free: %v", err)
		}
	})

	t.Run("ErrUnavailable at the deadline, and the money was taken", func(t *testing.T) {
		s := cardgateway.NewSimulator()
		tctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type answer struct {
			err     error
			ctxDone bool // whether the caller had given up when the answer came
		}
		done := make(chan answer, 1)
		go func() {
			_, err := s.Charge(tctx, boxoffice.ChargeRequest{Key: "k1", AmountCents: 1000, Token: cardgateway.TokenTimeout})
			done <- answer{err: err, ctxDone: tctx.Err() != nil}
		}()
		testwait.Until(t, 10*time.Second, "the money taken", func() bool { captured, _, _ := s.Totals(); return captured == 1000 })
		cancel() // the caller's deadline
		var a answer
		select {
		case a = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("no answer after the caller gave up")
		}
		wantCode(t, a.err, boxoffice.EUNAVAILABLE)
		if !a.ctxDone {
			t.Fatal("answered before the caller gave up")
		}
		if ref, err := charge(s, "k1", ""); err != nil || ref == "" {
			t.Fatalf("asking again: %q, %v", ref, err)
		}
		if captured, _, _ := s.Totals(); captured != 1000 {
			t.Fatalf("captured %d", captured)
		}
	})

	t.Run("a refund returns the money once", func(t *testing.T) {
		s := cardgateway.NewSimulator()
		ref, _ := charge(s, "k1", cardgateway.TokenVisa)
		for range 2 {
			if err := s.Refund(ctx, ref, 1000); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, s.Refund(ctx, "ch_nope", 1000), boxoffice.ENOTFOUND)
		if captured, refunded, _ := s.Totals(); captured != 1000 || refunded != 1000 {
			t.Fatalf("captured %d refunded %d", captured, refunded)
		}
	})
}

// The simulator remembers the last charges only: the newest stay
// idempotent and refundable, the oldest are forgotten first.
func TestSimulatorForgetsOldestCharges(t *testing.T) {
	const remembered = 4
	s := cardgateway.NewBoundedSimulator(remembered)
	refs := map[string]string{}
	for i := range 3 * remembered {
		key := fmt.Sprintf("k%d", i)
		token := cardgateway.TokenVisa
		if i%3 == 2 {
			token = cardgateway.TokenDecline // declines take room too
		}
		ref, err := charge(s, key, token)
		if token == cardgateway.TokenVisa && err != nil {
			t.Fatal(err)
		}
		refs[key] = ref
	}
	_, _, before := s.Totals()

	for i := 2 * remembered; i < 3*remembered; i++ {
		key := fmt.Sprintf("k%d", i)
		ref, err := charge(s, key, cardgateway.TokenVisa)
		if refs[key] == "" {
			wantCode(t, err, boxoffice.EUNPROCESSABLE)
			continue
		}
		if err != nil || ref != refs[key] {
			t.Fatalf("recent %s: %q, %v; want %q", key, ref, err, refs[key])
		}
		if err := s.Refund(context.Background(), ref, 1000); err != nil {
			t.Fatalf("refund of recent %s: %v", key, err)
		}
	}
	if _, _, after := s.Totals(); after != before {
		t.Fatalf("recent keys charged again: %d charges, want %d", after, before)
	}

	// A forgotten charge is still refunded, from the amount its ref
	// carries, and only for that amount.
	ctx := context.Background()
	wantCode(t, s.Refund(ctx, refs["k0"], 999), boxoffice.EINVALID)
	_, refunded, _ := s.Totals()
	if err := s.Refund(ctx, refs["k0"], 1000); err != nil {
		t.Fatalf("refund of forgotten k0: %v", err)
	}
	if _, r, _ := s.Totals(); r != refunded+1000 {
		t.Fatalf("refunded %d after refunding forgotten k0, want %d", r, refunded+1000)
	}
	wantCode(t, s.Refund(ctx, "ch_"+boxoffice.NewID()+"_x", 1000), boxoffice.ENOTFOUND)
	if ref, err := charge(s, "k0", cardgateway.TokenVisa); err != nil || ref == refs["k0"] {
		t.Fatalf("forgotten k0: %q, %v; want a new charge", ref, err)
	}
}
