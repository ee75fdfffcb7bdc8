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

// TestFreeAddrsButSkipsTheArguments: a node's own addresses never repeat
// one its arguments name.
func TestFreeAddrsButSkipsTheArguments(t *testing.T) {
	args, err := FreeAddrs(3)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		got, err := freeAddrsBut(2, append([]string{"--remote"}, args...))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got {
			for _, b := range args {
				if a == b {
					t.Fatalf("%s is an argument's address", a)
				}
			}
		}
		if got[0] == got[1] {
			t.Fatalf("%s given twice", got[0])
		}
	}
}
