package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/brokertest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// bookOne holds one seat and pays for it; it returns the booking's ID.
func bookOne(c *client, showtime, seat string) string {
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	c.must(201, "POST", "/api/v1/showtimes/"+showtime+"/holds", map[string]any{"seats": []string{seat}}, &hold)
	var b bookingJSON
	c.must(201, "POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
		"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &b)
	return b.ID
}

// TestEventsReachRabbitMQ: a node started with --amqp-url publishes a
// booking's events to the exchange, and its ops listener counts them.
func TestEventsReachRabbitMQ(t *testing.T) {
	url := brokertest.AMQPURL(t)
	exchange := "boxoffice.events.test-" + boxoffice.NewID()
	t.Cleanup(func() {
		if conn, err := amqp.Dial(url); err == nil {
			if ch, err := conn.Channel(); err == nil {
				_ = ch.ExchangeDelete(exchange, false, false)
			}
			conn.Close()
		}
	})
	n := startNode(t, t.TempDir(), "BOXOFFICE_AMQP_URL="+url, "BOXOFFICE_AMQP_EXCHANGE="+exchange)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "A", 2)
	alice := registerUser(t, n.URL, "alice@example.com")

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd, out, started := runTail(t, ctx, "--amqp-url", url, "--exchange", exchange, "--count", "2")
	<-started
	id := bookOne(alice, st, "A1")
	require.NoError(t, cmd.Wait())
	got := tailEvents(t, out)
	require.Equal(t, boxoffice.EventTypePaymentCaptured, got[0].Type)
	require.Equal(t, boxoffice.EventTypeBookingConfirmed, got[1].Type)
	require.Equal(t, "bookings/"+id, got[1].Subject)
	testwait.Until(t, 10*time.Second, "the published events counted", func() bool {
		return scrape(t, n.OpsURL).value("boxoffice_events_published_total") >= 2
	})
	require.Zero(t, scrape(t, n.OpsURL).value("boxoffice_outbox_backlog"))
}

// TestEventsSurviveANATSOutage: with its NATS server down the node books
// as before and keeps the events; when the server is back they all reach
// the stream, once each by ID.
func TestEventsSurviveANATSOutage(t *testing.T) {
	brokertest.NATSURL(t) // the machine has NATS: its server binary starts a private one
	bin, err := exec.LookPath("nats-server")
	require.NoError(t, err, "nats-server")
	port := freePort(t)
	store := t.TempDir()
	server := func() *exec.Cmd {
		cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", port, "-js", "-sd", store)
		require.NoError(t, cmd.Start())
		testwait.Until(t, 10*time.Second, "the NATS server listens", func() bool {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		return cmd
	}
	srv := server()
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	url := "nats://127.0.0.1:" + port

	n := startNode(t, t.TempDir(), "BOXOFFICE_NATS_URL="+url)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "A", 4)
	alice := registerUser(t, n.URL, "alice@example.com")
	published := func() float64 { return scrape(t, n.OpsURL).value("boxoffice_events_published_total") }
	backlog := func() float64 { return scrape(t, n.OpsURL).value("boxoffice_outbox_backlog") }

	booked := []string{bookOne(alice, st, "A1")}
	testwait.Until(t, 10*time.Second, "the first booking's events published", func() bool { return published() >= 2 })

	require.NoError(t, srv.Process.Kill())
	_ = srv.Wait()
	booked = append(booked, bookOne(alice, st, "A2"), bookOne(alice, st, "A3")) // the broker costs bookings nothing
	testwait.Until(t, 10*time.Second, "the events wait in the outbox", func() bool { return backlog() >= 4 })
	ready := newClient(t, n.URL)
	ready.must(200, "GET", "/readyz", nil, nil)

	srv = server()
	testwait.Until(t, 60*time.Second, "the backlog drained", func() bool { return backlog() == 0 })

	nc, err := natsgo.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "BOXOFFICE", jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	batch, err := cons.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
	require.NoError(t, err)
	confirmed := map[string]int{}
	for m := range batch.Messages() {
		var e boxoffice.Event
		require.NoError(t, json.Unmarshal(m.Data(), &e))
		if e.Type == boxoffice.EventTypeBookingConfirmed {
			confirmed[strings.TrimPrefix(e.Subject, "bookings/")]++
		}
	}
	require.Len(t, confirmed, len(booked), "confirmed bookings in the stream: %v", confirmed)
	for _, id := range booked {
		require.Equal(t, 1, confirmed[id], "booking %s in the stream once (the server drops copies by Nats-Msg-Id)", id)
	}
}

func freePort(t *testing.T) string {
	addr := freeAddr(t)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return port
}

// TestEventsAfterAKillMidBurst: the node is killed (SIGKILL) while buyers
// book and its relay publishes; restarted on the same data, it publishes
// the rest. The consumer sees every confirmed booking's event at least
// once and, by event ID, exactly the confirmed bookings: none lost, none
// made up.
func TestEventsAfterAKillMidBurst(t *testing.T) {
	url := brokertest.AMQPURL(t)
	exchange := "boxoffice.events.test-" + boxoffice.NewID()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	require.NoError(t, err)
	t.Cleanup(func() { _ = ch.ExchangeDelete(exchange, false, false) })
	require.NoError(t, ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil))
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	require.NoError(t, err)
	require.NoError(t, ch.QueueBind(q.Name, boxoffice.EventTypeBookingConfirmed, exchange, false, nil))
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	require.NoError(t, err)

	dir := t.TempDir()
	env := []string{"BOXOFFICE_AMQP_URL=" + url, "BOXOFFICE_AMQP_EXCHANGE=" + exchange}
	n := startNode(t, dir, env...)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	const rows, perRow, buyers = "ABCD", 10, 8
	st := setupShowtime(t, admin, rows, perRow)
	seats := seatIDs(rows, perRow)
	users := make([]*client, buyers)
	for i := range users {
		users[i] = registerUser(t, n.URL, fmt.Sprintf("fan%d@example.com", i))
	}
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for i, u := range users {
		wg.Go(func() {
			for k := i; k < len(seats); k += buyers {
				var hold struct {
					HoldID string `json:"hold_id"`
				}
				if code, err := u.do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seats[k]}}, &hold); err != nil || code != 201 {
					return // the node is gone
				}
				var b bookingJSON
				status, err := u.do("POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
					"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &b)
				if err != nil || status != 201 {
					return
				}
				mu.Lock()
				acked = append(acked, b.ID)
				mu.Unlock()
			}
		})
	}
	testwait.Until(t, 30*time.Second, "a dozen bookings acknowledged", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 12
	})
	n.Kill()
	wg.Wait()
	t.Logf("killed the node with %d of %d bookings acknowledged", len(acked), len(seats))

	n2 := startNode(t, dir, env...)
	byID := waitSettled(t, n2.URL, users)
	confirmed := map[string]bool{}
	for id, b := range byID {
		if b.Status == boxoffice.BookingConfirmed {
			confirmed[id] = true
		}
	}
	for _, id := range acked {
		require.True(t, confirmed[id], "acknowledged booking %s is not confirmed", id)
	}
	testwait.Until(t, 60*time.Second, "the outbox drained after the restart", func() bool {
		return scrape(t, n2.OpsURL).value("boxoffice_outbox_backlog") == 0
	})

	seen, copies := map[string]bool{}, 0
	for quiet := false; !quiet; {
		select {
		case d := <-deliveries:
			var e boxoffice.Event
			require.NoError(t, json.Unmarshal(d.Body, &e))
			if seen[e.ID] {
				copies++
			}
			seen[e.ID] = true
		case <-time.After(2 * time.Second):
			quiet = true
		}
	}
	got := map[string]bool{}
	for id := range seen {
		got[strings.TrimPrefix(id, boxoffice.EventTypeBookingConfirmed+":")] = true
	}
	t.Logf("%d confirmed bookings, %d events received, %d of them copies", len(confirmed), len(seen)+copies, copies)
	require.Equal(t, confirmed, got, "booking.confirmed events, by ID, against the confirmed bookings")
}
