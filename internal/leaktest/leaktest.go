// Package leaktest holds what the tests' goroutine-leak checks share: the
// goroutines of the libraries that a check must not count as leaks.
package leaktest

import "go.uber.org/goleak"

// Options returns goleak's options for a leak check: extra, and the ignores
// of the goroutines protoactor starts that nothing can stop early. Each is
// the timer of an actor.NewThrottle (actor/throttler.go): the first
// throttled event starts a goroutine that waits one period on a ticker,
// then exits. No Stop reaches them, so they outlive a stopped node by up
// to one period:
//   - the dead-letter log throttle (actor.NewDeadLetter):
//     Config.DeadLetterThrottleInterval, 1s by default;
//   - the gossip log throttles (cluster.Gossiper.StartGossiping and
//     cluster.NewGossipActor): 60s, hard-coded.
//
// Their names are those of the closures after NewThrottle is inlined into
// its caller, as the compiler does by default.
func Options(extra ...goleak.Option) []goleak.Option {
	return append([]goleak.Option{
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"),
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster.(*Gossiper).StartGossiping.NewThrottle.func3.1"),
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/cluster.NewGossipActor.NewThrottleWithLogger.func2.1"),
	}, extra...)
}
