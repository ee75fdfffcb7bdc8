package cardgateway

import (
	"context"
	"fmt"
	"testing"

	"github.com/boxoffice/boxoffice"
)

// However many charges it sees, the simulator keeps at most its maximum,
// so a node that runs for weeks does not grow without end.
func TestSimulatorMemoryBounded(t *testing.T) {
	const remembered = 16
	s := NewBoundedSimulator(remembered)
	tokens := []string{TokenVisa, TokenDecline, "tok_nope"}
	for i := range 50 * remembered {
		_, _ = s.Charge(context.Background(), boxoffice.ChargeRequest{
			Key: fmt.Sprintf("k%d", i), AmountCents: 100, Token: tokens[i%len(tokens)]})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) > remembered || len(s.byRef) > remembered || len(s.order) > remembered {
		t.Fatalf("remembers %d keys, %d refs, %d in order; want at most %d", len(s.byKey), len(s.byRef), len(s.order), remembered)
	}
	if len(s.byKey) != remembered {
		t.Fatalf("remembers %d keys, want the last %d", len(s.byKey), remembered)
	}
}
