package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/nats"
	"github.com/boxoffice/boxoffice/rabbitmq"
)

// Bounds of `events tail`.
const (
	tailPollEvery   = time.Second      // how often --target asks for new events
	tailCallTimeout = 10 * time.Second // one HTTP call or broker setup step
)

// tailOptions are the flags of `boxoffice events tail`.
type tailOptions struct {
	target, amqpURL, natsURL string
	exchange, stream, prefix string
	email, password          string
	fromStart                bool
	format                   string
	count                    int
	timeout                  time.Duration
}

// events runs `boxoffice events <subcommand>`.
func events(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "tail" {
		fmt.Fprintln(stderr, "usage: boxoffice events tail (--target URL | --amqp-url URL | --nats-url URL) [flags]")
		return errors.New("events: the subcommand is tail")
	}
	fs := flag.NewFlagSet("boxoffice events tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o tailOptions
	fs.StringVar(&o.target, "target", "", "a node's URL: read its events outbox (GET /api/v1/admin/events) as an admin")
	fs.StringVar(&o.amqpURL, "amqp-url", "", "a RabbitMQ URL: bind a queue of the tail's own to the events exchange")
	fs.StringVar(&o.natsURL, "nats-url", "", "a NATS URL: read the events stream")
	fs.StringVar(&o.exchange, "exchange", rabbitmq.ExchangeDefault, "with --amqp-url: the exchange")
	fs.StringVar(&o.stream, "stream", nats.StreamDefault, "with --nats-url: the stream")
	fs.StringVar(&o.prefix, "subject-prefix", nats.SubjectPrefixDefault, "with --nats-url: the events' subject prefix")
	fs.StringVar(&o.email, "admin-email", getenv("BOXOFFICE_ADMIN_EMAIL"), "with --target: the admin account (env BOXOFFICE_ADMIN_EMAIL)")
	fs.StringVar(&o.password, "admin-password", "", "with --target: the admin password (env BOXOFFICE_ADMIN_PASSWORD)")
	fs.BoolVar(&o.fromStart, "from-start", false, "print the events already there first (--target: the outbox's oldest kept; --nats-url: the stream's first); without it only new ones (a RabbitMQ queue only ever gets new ones)")
	fs.StringVar(&o.format, "format", "json", "json: each event as one line of CloudEvents JSON, for scripts; text: time, type, subject and id, for people")
	fs.IntVar(&o.count, "count", 0, "stop after this many events (0: run until interrupted)")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop after this long (0: run until interrupted)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.password == "" {
		o.password = getenv("BOXOFFICE_ADMIN_PASSWORD")
	}
	sources := 0
	for _, s := range []string{o.target, o.amqpURL, o.natsURL} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources != 1:
		return errors.New("events tail: give exactly one of --target, --amqp-url and --nats-url")
	case o.format != "json" && o.format != "text":
		return fmt.Errorf("events tail: --format %q: json or text", o.format)
	case o.count < 0:
		return errors.New("events tail: --count must not be negative")
	case o.target != "" && (o.email == "" || o.password == ""):
		return errors.New("events tail: --target needs an admin account: --admin-email and BOXOFFICE_ADMIN_PASSWORD (or --admin-password)")
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	p := &tailPrinter{w: stdout, format: o.format, left: o.count}
	var err error
	switch {
	case o.target != "":
		err = tailTarget(ctx, o, p, stderr)
	case o.amqpURL != "":
		err = tailAMQP(ctx, o, p, stderr)
	default:
		err = tailNATS(ctx, o, p, stderr)
	}
	if errors.Is(err, errTailDone) || (err != nil && ctx.Err() != nil) {
		return nil // the count reached, the timeout or an interrupt: a normal end
	}
	return err
}

// errTailDone ends a tail that printed its --count events.
var errTailDone = errors.New("count reached")

// tailPrinter writes events in the chosen format and counts them down.
type tailPrinter struct {
	w      io.Writer
	format string
	left   int // 0: no limit
	done   bool
}

// print writes one event body (CloudEvents JSON); it returns errTailDone
// once --count events are printed.
func (p *tailPrinter) print(body []byte) error {
	if p.done {
		return errTailDone
	}
	var e boxoffice.Event
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("events tail: not a CloudEvents event: %w", err)
	}
	var err error
	if p.format == "text" {
		_, err = fmt.Fprintf(p.w, "%s  %-18s  %s  %s\n", e.Time.UTC().Format(time.RFC3339Nano), e.Type, e.Subject, e.ID)
	} else {
		var b bytes.Buffer
		if err = json.Compact(&b, body); err == nil {
			b.WriteByte('\n')
			_, err = p.w.Write(b.Bytes())
		}
	}
	if err != nil {
		return err
	}
	if p.left > 0 {
		p.left--
		if p.left == 0 {
			p.done = true
			return errTailDone
		}
	}
	return nil
}

// tailTarget polls a node's events outbox.
func tailTarget(ctx context.Context, o tailOptions, p *tailPrinter, stderr io.Writer) error {
	base := strings.TrimSuffix(o.target, "/")
	c := &feedClient{base: base, email: o.email, password: o.password, http: &http.Client{Timeout: tailCallTimeout}}
	cursor := ""
	if !o.fromStart {
		var err error
		if cursor, err = c.end(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "events tail: reading %s/api/v1/admin/events after %q\n", base, cursor)
	for {
		items, next, err := c.page(ctx, cursor)
		if err != nil {
			return err
		}
		for _, raw := range items {
			if err := p.print(raw); err != nil {
				return err
			}
		}
		cursor = next
		if len(items) > 0 {
			continue // more may be there already
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tailPollEvery):
		}
	}
}

// feedClient reads GET /api/v1/admin/events, signing in again when its
// access token has expired.
type feedClient struct {
	base, email, password string
	http                  *http.Client
	token                 string
}

// end returns the cursor after the newest event kept.
func (c *feedClient) end(ctx context.Context) (string, error) {
	cursor := ""
	for {
		items, next, err := c.page(ctx, cursor)
		if err != nil || len(items) == 0 {
			return next, err
		}
		cursor = next
	}
}

// page reads the events after cursor.
func (c *feedClient) page(ctx context.Context, cursor string) ([]json.RawMessage, string, error) {
	for try := 0; ; try++ {
		if c.token == "" {
			if err := c.login(ctx); err != nil {
				return nil, "", err
			}
		}
		var body struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		status, err := c.do(ctx, http.MethodGet, "/api/v1/admin/events?limit="+fmt.Sprint(boxoffice.PageLimitMax)+"&after="+url.QueryEscape(cursor), nil, &body)
		if err != nil {
			return nil, "", err
		}
		switch {
		case status == http.StatusOK:
			return body.Items, body.NextCursor, nil
		case status == http.StatusUnauthorized && try == 0:
			c.token = "" // expired: sign in again
		default:
			return nil, "", fmt.Errorf("events tail: GET %s/api/v1/admin/events answered %d", c.base, status)
		}
	}
}

func (c *feedClient) login(ctx context.Context) error {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	status, err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": c.email, "password": c.password}, &tok)
	if err != nil {
		return err
	}
	if status != http.StatusOK || tok.AccessToken == "" {
		return fmt.Errorf("events tail: sign-in of %s at %s answered %d", c.email, c.base, status)
	}
	c.token = tok.AccessToken
	return nil
}

// do makes one call and decodes a 2xx answer's body into out.
func (c *feedClient) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode/100 == 2 {
		if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(out); err != nil {
			return res.StatusCode, fmt.Errorf("events tail: %s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, nil
}

// tailAMQP binds a queue of its own (exclusive, deleted when the tail
// ends) to the events exchange and prints what arrives.
func tailAMQP(ctx context.Context, o tailOptions, p *tailPrinter, stderr io.Writer) error {
	conn, err := amqp.DialConfig(o.amqpURL, amqp.Config{Dial: amqp.DefaultDial(tailCallTimeout), Heartbeat: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("events tail: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("events tail: %w", err)
	}
	if err := ch.ExchangeDeclare(o.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fmt.Errorf("events tail: exchange %s: %w", o.exchange, err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err == nil {
		err = ch.QueueBind(q.Name, "#", o.exchange, false, nil)
	}
	if err != nil {
		return fmt.Errorf("events tail: queue: %w", err)
	}
	deliveries, err := ch.ConsumeWithContext(ctx, q.Name, "boxoffice-events-tail", true, true, false, false, nil)
	if err != nil {
		return fmt.Errorf("events tail: consume: %w", err)
	}
	fmt.Fprintf(stderr, "events tail: listening on exchange %s\n", o.exchange)
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-closed:
			return fmt.Errorf("events tail: the broker closed the connection: %v", err)
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("events tail: the broker ended the subscription")
			}
			if err := p.print(d.Body); err != nil {
				return err
			}
		}
	}
}

// tailNATS reads the events stream with an ordered consumer.
func tailNATS(ctx context.Context, o tailOptions, p *tailPrinter, stderr io.Writer) error {
	nc, err := natsgo.Connect(o.natsURL, natsgo.Name("boxoffice events tail"), natsgo.Timeout(tailCallTimeout))
	if err != nil {
		return fmt.Errorf("events tail: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("events tail: %w", err)
	}
	policy := jetstream.DeliverNewPolicy
	if o.fromStart {
		policy = jetstream.DeliverAllPolicy
	}
	sctx, cancel := context.WithTimeout(ctx, tailCallTimeout)
	cons, err := js.OrderedConsumer(sctx, o.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{strings.TrimSuffix(o.prefix, ".") + ".>"}, DeliverPolicy: policy,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("events tail: stream %s: %w", o.stream, err)
	}
	fmt.Fprintf(stderr, "events tail: reading stream %s\n", o.stream)
	msgs, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("events tail: %w", err)
	}
	defer msgs.Stop()
	go func() { <-ctx.Done(); msgs.Stop() }()
	for {
		m, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("events tail: %w", err)
		}
		if err := p.print(m.Data()); err != nil {
			return err
		}
	}
}
