package cluster

import "testing"

// One port rule for every address the cluster reads: 1-65535, and 0 only
// where it means "pick one" (a listen address) or "the bound port" (an
// advertised one).
func TestAddrPorts(t *testing.T) {
	for _, tc := range []struct {
		addr         string
		listen, dial bool // accepted as a listen address, as one others dial
	}{
		{"127.0.0.1:1", true, true},
		{"127.0.0.1:65535", true, true},
		{"node1:7946", true, true},
		{"127.0.0.1:0", true, false},
		{":0", true, false},
		{"127.0.0.1:65536", false, false},
		{"127.0.0.1:-1", false, false},
		{"127.0.0.1:+80", false, false},
		{"127.0.0.1:http", false, false},
		{"127.0.0.1", false, false},
	} {
		if _, _, err := splitListenAddr(tc.addr); (err == nil) != tc.listen {
			t.Errorf("splitListenAddr(%q) err = %v, want accepted %t", tc.addr, err, tc.listen)
		}
		if _, _, err := splitHostPort(tc.addr); (err == nil) != tc.dial {
			t.Errorf("splitHostPort(%q) err = %v, want accepted %t", tc.addr, err, tc.dial)
		}
	}
	if _, err := remoteConfigFor("127.0.0.1:65536", ""); err == nil {
		t.Error("remoteConfigFor accepted port 65536")
	}
	if _, port, err := advertiseAddr("10.0.0.7:0"); err != nil || port != 0 {
		t.Errorf("advertiseAddr(10.0.0.7:0) = %d, %v; want the bound port (0)", port, err)
	}
}

func TestIsWildcard(t *testing.T) {
	for host, want := range map[string]bool{
		"": true, "0.0.0.0": true, "::": true,
		"127.0.0.1": false, "::1": false, "node1": false, "10.0.0.7": false,
	} {
		if got := IsWildcard(host); got != want {
			t.Errorf("IsWildcard(%q) = %t, want %t", host, got, want)
		}
	}
}
