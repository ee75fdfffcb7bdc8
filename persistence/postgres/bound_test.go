package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBound pins the deadline every store call runs under: CallTimeout
// from the call when the caller sets none or a later one (so the API
// answers 503 within 2 s while a server hangs), the caller's own when it
// is sooner. The deadline is bracketed by the clock readings around the
// call, so the check holds however slow the machine is.
func TestBound(t *testing.T) {
	d := &db{service: "users"}
	for name, parent := range map[string]func() (context.Context, context.CancelFunc){
		"NoDeadline": func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		"LaterDeadline": func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Hour)
		},
	} {
		t.Run(name, func(t *testing.T) {
			pctx, pcancel := parent()
			defer pcancel()
			before := time.Now()
			ctx, cancel := d.bound(pctx)
			defer cancel()
			after := time.Now()
			deadline, ok := ctx.Deadline()
			require.True(t, ok, "no deadline")
			require.False(t, deadline.Before(before.Add(CallTimeout)), "deadline %v is sooner than CallTimeout", deadline.Sub(before))
			require.False(t, deadline.After(after.Add(CallTimeout)), "deadline %v is later than CallTimeout", deadline.Sub(after))
		})
	}
	t.Run("SoonerDeadline", func(t *testing.T) {
		pctx, pcancel := context.WithTimeout(context.Background(), CallTimeout/2)
		defer pcancel()
		want, _ := pctx.Deadline()
		ctx, cancel := d.bound(pctx)
		defer cancel()
		got, ok := ctx.Deadline()
		require.True(t, ok)
		require.Equal(t, want, got, "the caller's sooner deadline must be kept")
	})
}
