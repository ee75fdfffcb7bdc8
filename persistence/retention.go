package persistence

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Retention says how long finished rows stay in the stores that would
// otherwise grow with every login and booking: refresh tokens, idempotency
// keys, notifications and the events outbox. A sweep deletes what is past it, at most Batch
// rows of each table per round, every Every.
type Retention struct {
	// RefreshTokens: a refresh token is deleted this long after it expired
	// (it is refused from its expiry on; the grace keeps a reused token's
	// family revocable for a while after).
	RefreshTokens time.Duration
	// Idempotency: an Idempotency-Key is honoured this long after the
	// booking it created; a retry after that makes a new booking.
	Idempotency time.Duration
	// Notifications: a delivered (or given up) notification is listed to
	// its user this long.
	Notifications time.Duration
	// Events: an event stays in the outbox (GET /api/v1/admin/events)
	// this long after it was stored.
	Events time.Duration
	Every  time.Duration // time between sweeps
	Batch  int           // rows deleted per table and statement
	Off    bool          // no sweep at all
}

// Retention defaults.
const (
	RetentionRefreshTokensDefault = 7 * 24 * time.Hour
	RetentionIdempotencyDefault   = 24 * time.Hour
	RetentionNotificationsDefault = 30 * 24 * time.Hour
	RetentionEventsDefault        = 7 * 24 * time.Hour
	RetentionEveryDefault         = time.Minute
	RetentionBatchDefault         = 500
	// retentionRoundsMax bounds one sweep: at most this many batches per
	// table, then the rest waits for the next sweep.
	retentionRoundsMax = 20
)

// DefaultRetention is the retention with every default.
func DefaultRetention() Retention {
	return Retention{
		RefreshTokens: RetentionRefreshTokensDefault, Idempotency: RetentionIdempotencyDefault,
		Notifications: RetentionNotificationsDefault, Events: RetentionEventsDefault,
		Every: RetentionEveryDefault, Batch: RetentionBatchDefault,
	}
}

// String is the retention as ParseRetention reads it.
func (r Retention) String() string {
	if r.Off {
		return "off"
	}
	return fmt.Sprintf("refresh-tokens=%s,idempotency=%s,notifications=%s,events=%s,every=%s,batch=%d",
		r.RefreshTokens, r.Idempotency, r.Notifications, r.Events, r.Every, r.Batch)
}

// ParseRetention reads "off", or overrides of the defaults:
// NAME=VALUE,... with NAME one of refresh-tokens, idempotency,
// notifications, events, every (durations) and batch (a count).
func ParseRetention(v string) (Retention, error) {
	r := DefaultRetention()
	v = strings.TrimSpace(v)
	if v == "off" {
		r.Off = true
		return r, nil
	}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return r, fmt.Errorf("%q is not NAME=VALUE", part)
		}
		if name == "batch" {
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 100_000 {
				return r, fmt.Errorf("batch %q: a count between 1 and 100000", val)
			}
			r.Batch = n
			continue
		}
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return r, fmt.Errorf("%s %q: a positive duration such as 24h", name, val)
		}
		switch name {
		case "refresh-tokens":
			r.RefreshTokens = d
		case "idempotency":
			r.Idempotency = d
		case "notifications":
			r.Notifications = d
		case "events":
			r.Events = d
		case "every":
			r.Every = d
		default:
			return r, fmt.Errorf("unknown retention %q (refresh-tokens, idempotency, notifications, events, every, batch)", name)
		}
	}
	return r, nil
}

// SweepCounts is what one sweep deleted.
type SweepCounts struct {
	RefreshTokens, Idempotency, Notifications, Events int
}

// Sweep deletes once what is past the retention at now: each table in
// batches of r.Batch until a batch comes back short, at most
// retentionRoundsMax batches per table.
func (r Retention) Sweep(ctx context.Context, s *boxoffice.Stores, now time.Time) (SweepCounts, error) {
	var c SweepCounts
	var err error
	if c.RefreshTokens, err = r.drain(ctx, now.Add(-r.RefreshTokens), s.Users.DeleteExpiredRefreshTokens); err != nil {
		return c, fmt.Errorf("refresh tokens: %w", err)
	}
	if c.Idempotency, err = r.drain(ctx, now.Add(-r.Idempotency), s.Bookings.DeleteIdempotencyBefore); err != nil {
		return c, fmt.Errorf("idempotency keys: %w", err)
	}
	if c.Notifications, err = r.drain(ctx, now.Add(-r.Notifications), s.Notifications.DeleteNotificationsBefore); err != nil {
		return c, fmt.Errorf("notifications: %w", err)
	}
	if s.Events != nil && r.Events > 0 {
		if c.Events, err = r.drain(ctx, now.Add(-r.Events), s.Events.DeleteEventsBefore); err != nil {
			return c, fmt.Errorf("events: %w", err)
		}
	}
	return c, nil
}

func (r Retention) drain(ctx context.Context, before time.Time, del func(context.Context, time.Time, int) (int, error)) (int, error) {
	batch := max(r.Batch, 1)
	total := 0
	for range retentionRoundsMax {
		n, err := del(ctx, before, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
	return total, nil
}

// RunSweeps sweeps every r.Every until ctx ends. A failed sweep is logged
// and tried again at the next tick (the store may be down for a while).
func (r Retention) RunSweeps(ctx context.Context, s *boxoffice.Stores, clock boxoffice.Clock, log *slog.Logger) {
	if r.Off || r.Every <= 0 {
		return
	}
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, err := r.Sweep(ctx, s, clock.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("retention sweep failed", "err", err, "deleted", c)
		case c != (SweepCounts{}):
			log.Debug("retention sweep", "refresh_tokens", c.RefreshTokens, "idempotency_keys", c.Idempotency, "notifications", c.Notifications)
		}
	}
}
