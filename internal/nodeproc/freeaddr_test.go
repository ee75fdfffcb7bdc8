package nodeproc

import "testing"

// TestFreeAddrsAreDistinct: the addresses of one call never repeat (a
// node's HTTP and ops listeners once got the same port from two FreeAddr
// calls, and the node could not start).
func TestFreeAddrsAreDistinct(t *testing.T) {
	for range 20 {
		addrs, err := FreeAddrs(20)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range addrs {
			if seen[a] {
				t.Fatalf("%s given twice in %v", a, addrs)
			}
			seen[a] = true
		}
	}
}
