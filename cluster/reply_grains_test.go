package cluster_test

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Grains for the local call tests: each answers like one of the showtime
// grain's paths does.

const parkKind = "park"

// parkKindFor is a grain that answers later, like the showtime grain after
// its group commit: it keeps each request's sender and value and answers
// them all, in arrival order, when it receives "release" (whose own answer
// is "released"). It sends each parked sender to seen.
func parkKindFor(seen chan<- *actor.PID) *pcluster.Kind {
	return pcluster.NewKind(parkKind, actor.PropsFromProducer(func() actor.Actor {
		return &parkGrain{seen: seen}
	}))
}

type parkGrain struct {
	seen   chan<- *actor.PID
	parked []parkedCall
}

type parkedCall struct {
	to    *actor.PID
	value string
}

func (g *parkGrain) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*wrapperspb.StringValue)
	if !ok {
		return
	}
	if m.Value != "release" {
		g.parked = append(g.parked, parkedCall{to: ctx.Sender(), value: m.Value})
		g.seen <- ctx.Sender()
		return
	}
	for _, p := range g.parked {
		ctx.Send(p.to, wrapperspb.String(p.value))
	}
	g.parked = nil
	ctx.Respond(wrapperspb.String("released"))
}

const lateKind = "late"

// lateKind is a grain that answers each request after a delay chosen by
// the request's value ("<delay>/<tag>", the delay in microseconds), from a
// message it sends itself, so that many answers arrive after their
// callers gave up.
func lateKindFor() *pcluster.Kind {
	return pcluster.NewKind(lateKind, actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *wrapperspb.StringValue:
			var us int
			for _, c := range m.Value {
				if c == '/' {
					break
				}
				us = us*10 + int(c-'0')
			}
			self, system, to := ctx.Self(), ctx.ActorSystem(), ctx.Sender()
			time.AfterFunc(time.Duration(us)*time.Microsecond, func() {
				system.Root.Send(self, &lateAnswer{to: to, value: m.Value})
			})
		case *lateAnswer:
			ctx.Send(m.to, wrapperspb.String(m.value))
		}
	}))
}

type lateAnswer struct {
	to    *actor.PID
	value string
}

const countKind = "count"

// countKindFor is a grain that counts the requests it takes (over all its
// activations) and answers each with its own activation's pid id, so a
// test can tell a new activation from the old one.
func countKindFor(taken *atomic.Int64) *pcluster.Kind {
	return pcluster.NewKind(countKind, actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			taken.Add(1)
			ctx.Respond(wrapperspb.String(ctx.Self().Id))
		}
	}))
}

const quitKind = "quit"

// quitKindFor is a grain that takes a request and stops without an
// answer, like an activation that dies with the command applied.
func quitKindFor(taken *atomic.Int64) *pcluster.Kind {
	return pcluster.NewKind(quitKind, actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			taken.Add(1)
			ctx.Stop(ctx.Self())
		}
	}))
}

const gateKind = "gate"

// gateKindFor is a grain that answers each request with its value once
// open is closed, and counts the requests posted to its mailbox in posted,
// so a test knows when they all wait there.
func gateKindFor(open <-chan struct{}, posted *atomic.Int64) *pcluster.Kind {
	stats := &postedCounter{posted: posted}
	return pcluster.NewKind(gateKind, actor.PropsFromFunc(func(ctx actor.Context) {
		if m, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			<-open
			ctx.Respond(m)
		}
	}, actor.WithMailbox(actor.Unbounded(stats))))
}

// postedCounter counts the requests posted to a mailbox.
type postedCounter struct {
	posted *atomic.Int64
}

func (p *postedCounter) MailboxStarted() {}
func (p *postedCounter) MessagePosted(m any) {
	if _, msg, _ := actor.UnwrapEnvelope(m); isString(msg) {
		p.posted.Add(1)
	}
}
func (p *postedCounter) MessageReceived(any) {}
func (p *postedCounter) MailboxEmpty()       {}

func isString(m any) bool {
	_, ok := m.(*wrapperspb.StringValue)
	return ok
}

const stopKind = "stop"

// stopKindFor is a grain that, asked "stop", tells entered, waits for
// proceed to close, answers and stops itself; other requests it answers
// with its own pid id, counted in taken. posted counts the requests posted
// to its mailboxes.
func stopKindFor(entered chan<- struct{}, proceed <-chan struct{}, taken, posted *atomic.Int64) *pcluster.Kind {
	return pcluster.NewKind(stopKind, actor.PropsFromFunc(func(ctx actor.Context) {
		m, ok := ctx.Message().(*wrapperspb.StringValue)
		if !ok {
			return
		}
		if m.Value == "stop" {
			entered <- struct{}{}
			<-proceed
			ctx.Respond(m)
			ctx.Stop(ctx.Self())
			return
		}
		taken.Add(1)
		ctx.Respond(wrapperspb.String(ctx.Self().Id))
	}, actor.WithMailbox(actor.Unbounded(&postedCounter{posted: posted}))))
}
