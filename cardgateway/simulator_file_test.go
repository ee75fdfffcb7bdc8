package cardgateway_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
)

// A simulator reopened on its file knows the charges of the one before:
// it refunds a charge made before (once), answers a retried key as before,
// keeps a decline declined, and its totals carry over. A torn last line
// (a crash mid-write) is ignored.
func TestOpenSimulatorRemembersAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "card.jsonl")
	s1, err := cardgateway.OpenSimulator(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := charge(s1, "k1", cardgateway.TokenVisa)
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := charge(s1, "k2", cardgateway.TokenVisa)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Refund(ctx, ref2, 1000); err != nil {
		t.Fatal(err)
	}
	_, err = charge(s1, "k3", cardgateway.TokenDecline)
	wantCode(t, err, boxoffice.EUNPROCESSABLE)
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"op":"refund","re`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s2, err := cardgateway.OpenSimulator(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := charge(s2, "k1", cardgateway.TokenVisa); err != nil || got != ref {
		t.Fatalf("retried key: %q, %v; want %q", got, err, ref)
	}
	_, err = charge(s2, "k3", cardgateway.TokenVisa)
	wantCode(t, err, boxoffice.EUNPROCESSABLE)
	for range 2 {
		if err := s2.Refund(ctx, ref, 1000); err != nil {
			t.Fatalf("refund of a charge made before the restart: %v", err)
		}
	}
	if captured, refunded, n := s2.Totals(); captured != 2000 || refunded != 2000 || n != 2 {
		t.Fatalf("totals %d captured, %d refunded, %d charges; want 2000, 2000, 2", captured, refunded, n)
	}
}
