// Package logcount counts log records with one message, for tests that wait
// for something a node only tells its log (a gossip join turned away).
package logcount

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// JoinFailed is the message a node logs each time a gossip join fails.
const JoinFailed = "memberlist: join failed, will retry"

// Handler counts the records whose message is Message in N and passes every
// record on to Handler.
type Handler struct {
	slog.Handler
	Message string
	N       *atomic.Int64
}

// Wrap returns a logger that counts l's records with message in n.
func Wrap(l *slog.Logger, message string, n *atomic.Int64) *slog.Logger {
	return slog.New(&Handler{Handler: l.Handler(), Message: message, N: n})
}

// Enabled lets warnings through even when Handler discards them (tests
// without -v), since the counted messages are among them.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.Handler.Enabled(ctx, l)
}

// Handle counts r if it carries the message, and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.Message {
		h.N.Add(1)
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps counting into the same N.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{Handler: h.Handler.WithAttrs(as), Message: h.Message, N: h.N}
}

// WithGroup keeps counting into the same N.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{Handler: h.Handler.WithGroup(name), Message: h.Message, N: h.N}
}
