package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/brokertest"
	"github.com/boxoffice/boxoffice/nats"
	"github.com/boxoffice/boxoffice/rabbitmq"
)

// runTail runs `boxoffice events tail` with args; started is closed once it
// says on stderr that it reads.
func runTail(t *testing.T, ctx context.Context, args ...string) (cmd *exec.Cmd, stdout *bytes.Buffer, started chan struct{}) {
	t.Helper()
	cmd = exec.CommandContext(ctx, binary, append([]string{"events", "tail"}, args...)...)
	cmd.Env = append(cmd.Environ(), "BOXOFFICE_ADMIN_EMAIL="+testAdminEmail, "BOXOFFICE_ADMIN_PASSWORD="+testAdminPassword)
	stdout = &bytes.Buffer{}
	cmd.Stdout = stdout
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	started = make(chan struct{})
	go func() {
		s := bufio.NewScanner(stderr)
		once := false
		for s.Scan() {
			t.Log("tail: " + s.Text())
			if !once && strings.HasPrefix(s.Text(), "events tail: ") {
				once = true
				close(started)
			}
		}
	}()
	return cmd, stdout, started
}

func tailEvents(t *testing.T, out *bytes.Buffer) []boxoffice.Event {
	t.Helper()
	var got []boxoffice.Event
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e boxoffice.Event
		require.NoError(t, json.Unmarshal([]byte(line), &e), "line %q", line)
		got = append(got, e)
	}
	return got
}

// TestEventsTailTarget: the tail prints a node's events as they arrive, one
// CloudEvents JSON line each, and ends after --count.
func TestEventsTailTarget(t *testing.T) {
	n := startNode(t, t.TempDir())
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "A", 3)
	alice := registerUser(t, n.URL, "alice@example.com")
	before := bookOne(alice, st, "A1") // already there: not printed without --from-start

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd, out, started := runTail(t, ctx, "--target", n.URL, "--count", "2")
	<-started
	after := bookOne(alice, st, "A2")
	require.NoError(t, cmd.Wait(), "the tail ends by itself after --count")
	got := tailEvents(t, out)
	require.Len(t, got, 2)
	require.Equal(t, boxoffice.EventTypePaymentCaptured, got[0].Type)
	require.Equal(t, boxoffice.EventTypeBookingConfirmed, got[1].Type)
	require.Equal(t, "bookings/"+after, got[1].Subject)

	all, out2, _ := runTail(t, ctx, "--target", n.URL, "--from-start", "--count", "4", "--format", "text")
	require.NoError(t, all.Wait())
	lines := strings.Split(strings.TrimSpace(out2.String()), "\n")
	require.Len(t, lines, 4)
	require.Contains(t, lines[1], "booking.confirmed")
	require.Contains(t, lines[1], "bookings/"+before)
}

// TestEventsTailBrokers: the tail reads what the publishers send, from
// RabbitMQ (a queue of its own on the exchange) and from NATS (the stream,
// from its start).
func TestEventsTailBrokers(t *testing.T) {
	t.Run("RabbitMQ", func(t *testing.T) {
		url := brokertest.AMQPURL(t)
		exchange := "boxoffice.events.test-" + boxoffice.NewID()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		cmd, out, started := runTail(t, ctx, "--amqp-url", url, "--exchange", exchange, "--count", "3")
		<-started
		p := rabbitmq.New(rabbitmq.Config{URL: url, Exchange: exchange})
		defer p.Close()
		sent := brokertest.Events(3)
		require.NoError(t, p.Publish(ctx, sent))
		require.NoError(t, cmd.Wait())
		got := tailEvents(t, out)
		require.Len(t, got, 3)
		for i := range sent {
			require.Equal(t, sent[i].ID, got[i].ID)
		}
	})
	t.Run("NATS", func(t *testing.T) {
		url := brokertest.NATSURL(t)
		id := strings.ToLower(boxoffice.NewID())
		cfg := nats.Config{URL: url, Stream: "BOXOFFICE_TEST_" + strings.ToUpper(id), SubjectPrefix: "boxoffice-test-" + id + ".events"}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		p := nats.New(cfg)
		defer p.Close()
		sent := brokertest.Events(3)
		require.NoError(t, p.Publish(ctx, sent))
		t.Cleanup(func() { dropStream(t, url, cfg.Stream) })
		cmd, out, _ := runTail(t, ctx, "--nats-url", url, "--stream", cfg.Stream, "--subject-prefix", cfg.SubjectPrefix,
			"--from-start", "--count", "3")
		require.NoError(t, cmd.Wait())
		got := tailEvents(t, out)
		require.Len(t, got, 3)
		for i := range sent {
			require.Equal(t, sent[i].ID, got[i].ID)
		}
	})
}

// TestEventsTailRefusesBadFlags: one source, a known format, an admin for
// --target.
func TestEventsTailRefusesBadFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"no source":       {},
		"two sources":     {"--target", "http://127.0.0.1:1", "--nats-url", "nats://127.0.0.1:1"},
		"unknown format":  {"--nats-url", "nats://127.0.0.1:1", "--format", "xml"},
		"negative count":  {"--nats-url", "nats://127.0.0.1:1", "--count", "-1"},
		"target, no user": {"--target", "http://127.0.0.1:1", "--admin-email", ""},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), binary, append([]string{"events", "tail"}, args...)...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "%s", out)
			require.Contains(t, string(out), "events tail")
		})
	}
}

func dropStream(t *testing.T, url, stream string) {
	nc, err := natsgo.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	if js, err := jetstream.New(nc); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, stream)
	}
}
