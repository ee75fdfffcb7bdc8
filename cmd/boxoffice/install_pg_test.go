package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestDroppedSeatsDatabaseRefusesStart sells two seats on PostgreSQL (a
// prefix of the test's own), drops the seats database and starts the node
// again: it must refuse, naming the database, instead of recreating it
// empty and selling the seats again.
func TestDroppedSeatsDatabaseRefusesStart(t *testing.T) {
	pg := pgtest.MustTestConfig(t)
	cfg := Config{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: pg.BaseURL, DatabasePrefix: pg.Prefix, JWTSecret: inprocSecret,
		HoldTTL: time.Minute, IdleTimeout: 10 * time.Minute, Demo: true, Node: "n1",
		GossipAddr: "127.0.0.1:0", RemoteAddr: "127.0.0.1:0",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := &Main{Logger: inprocLogger(), Config: cfg}
	if err := m.Run(ctx); err != nil {
		_ = m.Close(ctx)
		t.Fatalf("first start: %v", err)
	}
	sellDemoSeats(t, m)
	if err := m.Close(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}

	seats := pg.DatabaseName("seats")
	pgtest.Exec(t, pg, "DROP DATABASE "+seats+" WITH (FORCE)")
	again := &Main{Logger: inprocLogger(), Config: cfg}
	err := again.Run(ctx)
	_ = again.Close(ctx)
	if err == nil {
		t.Fatalf("the node started without its seats database %s", seats)
	}
	for _, want := range []string{`the seats database (database "` + seats + `") is missing`, "backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("start error %q does not say %q", err, want)
		}
	}
	if _, err := postgres.Open(ctx, pg); err == nil {
		t.Fatal("the refused start recreated the seats database")
	}
}

// sellDemoSeats books two seats of a demo showtime as the demo user.
func sellDemoSeats(t *testing.T, m *Main) {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code, _ := call(t, m, "POST", "/api/v1/auth/login", "", map[string]string{"email": "demo@boxoffice.local", "password": "demo-password"}, &tok); code != 200 {
		t.Fatalf("login: %d", code)
	}
	st := futureShowtimes(t, m)[0]
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	if code, _ := call(t, m, "POST", "/api/v1/showtimes/"+st+"/holds", tok.AccessToken, map[string]any{"seats": []string{"A1", "A2"}}, &hold); code != 201 {
		t.Fatalf("hold: %d", code)
	}
	body := map[string]any{"hold_id": hold.HoldID, "payment": map[string]string{"method": "card", "token": "tok_visa"}}
	if code, _ := call(t, m, "POST", "/api/v1/bookings", tok.AccessToken, body, nil); code != 201 {
		t.Fatalf("booking: %d", code)
	}
}
