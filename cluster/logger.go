package cluster

import (
	"context"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// libraryLogger builds the logger factory handed to protoactor. The library
// logs a lot at Info (every topology change, every gossip state set, every
// dead letter), so it gets its own minimum level, Warn unless configured.
func libraryLogger(base *slog.Logger, min slog.Leveler) func(*actor.ActorSystem) *slog.Logger {
	return func(system *actor.ActorSystem) *slog.Logger {
		h := &levelHandler{min: min, next: base.Handler()}
		return slog.New(h).With("lib", "protoactor", "system", system.ID)
	}
}

// levelHandler drops records below min before they reach next, whatever
// level next itself accepts.
type levelHandler struct {
	min  slog.Leveler
	next slog.Handler
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.next.Enabled(ctx, l)
}

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(ctx, r)
}

func (h *levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &levelHandler{min: h.min, next: h.next.WithAttrs(attrs)}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{min: h.min, next: h.next.WithGroup(name)}
}

// discardLogger is used when the caller gives no logger: silence beats
// protoactor's default of tint on stderr.
func discardLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}
