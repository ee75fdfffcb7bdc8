package postgres_test

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// proxy is a TCP proxy in front of the test server that a test can take
// down (connections refused) or make hang (connections accepted, nothing
// answered), to see how the stores behave when their database does.
type proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	mode   string // "up", "down" or "hang"
	conns  []net.Conn
	closed bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{target: target, ln: ln, mode: "up"}
	go p.serve()
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.set("down")
		_ = ln.Close()
	})
	return p
}

// url is u with its host replaced by the proxy's.
func (p *proxy) url(t *testing.T, u string, database string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	parsed.Host = p.ln.Addr().String()
	parsed.Path = "/" + database
	return parsed.String()
}

// set changes the mode and cuts every open connection, as a server that
// restarts or a network that breaks would.
func (p *proxy) set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode, closed := p.mode, p.closed
		if mode == "down" || closed {
			p.mu.Unlock()
			_ = c.Close() // as good as refused: the client sees EOF at once
			continue
		}
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		if mode == "hang" {
			continue // keep it open and silent until set() cuts it
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.mode != "up" { // set() ran while dialing
		p.mu.Unlock()
		_, _ = c.Close(), s.Close()
		return
	}
	p.conns = append(p.conns, s)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
	_, _ = io.Copy(c, s)
	_ = c.Close()
}
