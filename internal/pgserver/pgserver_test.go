package pgserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice/internal/pgserver"
)

// TestServerLifecycle proves what the outage tests rely on: the server
// answers after Start, refuses connections after Stop and Kill, keeps its
// data and port across both, and hangs (rather than refuses) while frozen.
func TestServerLifecycle(t *testing.T) {
	s := pgserver.Start(t, pgserver.Options{})
	exec(t, s, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")

	s.Stop()
	if err := ping(s, 2*time.Second); err == nil {
		t.Fatal("a stopped server answered")
	}
	s.Start()
	requireKept(t, s)

	s.Kill()
	if err := ping(s, 2*time.Second); err == nil {
		t.Fatal("a killed server answered")
	}
	s.Start()
	requireKept(t, s)

	s.Freeze()
	start := time.Now()
	if err := ping(s, 500*time.Millisecond); err == nil {
		t.Fatal("a frozen server answered")
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("a frozen server failed the connection after %v: it should hang until the deadline", d)
	}
	s.Thaw()
	requireKept(t, s)
}

func exec(t *testing.T, s *pgserver.Server, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

func requireKept(t *testing.T, s *pgserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v int
	if err := c.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != 42 {
		t.Fatalf("kept = %d, %v", v, err)
	}
}

func ping(s *pgserver.Server, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return c.Ping(ctx)
}

// TestServerListensWhereTold: a server started with an extra listen
// address answers there, as the clients in network namespaces reach it,
// and trusts the networks it is told to.
func TestServerListensWhereTold(t *testing.T) {
	s := pgserver.Start(t, pgserver.Options{Listen: []string{"127.0.0.2"}, Trust: []string{"127.0.0.0/8"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(s.URLAt("127.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect on the extra address: %v", err)
	}
	defer c.Close(ctx)
	var addr string
	if err := c.QueryRow(ctx, "SELECT host(inet_server_addr())").Scan(&addr); err != nil {
		t.Fatal(err)
	}
	if addr != "127.0.0.2" {
		t.Fatalf("served on %s, want 127.0.0.2", addr)
	}
}
