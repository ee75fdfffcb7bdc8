package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLeaseLapsesAndFencesAfterAnswersComeBack(t *testing.T) {
	const limit, probation = 1250 * time.Millisecond, 10 * time.Second
	t0 := time.Now()
	l := lease{base: t0}
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	ok, _, _ := l.check(at(0), limit)
	require.False(t, ok, "no answer yet: no lease")

	require.False(t, l.renew(at(0), at(0), limit, probation), "a first answer is no lapse")
	ok, _, _ = l.check(at(time.Second), limit)
	require.True(t, ok, "answered 1s ago")

	ok, silent, _ := l.check(at(2*time.Second), limit)
	require.False(t, ok, "silent past the limit: the node stops serving")
	require.Equal(t, 2*time.Second, silent)

	// An old answer arriving late renews nothing.
	require.False(t, l.renew(at(100*time.Millisecond), at(3*time.Second), limit, probation))
	ok, _, _ = l.check(at(3*time.Second), limit)
	require.False(t, ok)

	// Answers come back: the lapse ends, the probation fences the node.
	require.True(t, l.renew(at(5*time.Second), at(5*time.Second), limit, probation))
	ok, _, inProbation := l.check(at(6*time.Second), limit)
	require.False(t, ok)
	require.True(t, inProbation)

	// Answers keep coming during the probation; it ends on time.
	for d := 5500 * time.Millisecond; d <= 16*time.Second; d += 500 * time.Millisecond {
		require.False(t, l.renew(at(d), at(d), limit, probation), "no new lapse at %v", d)
	}
	ok, _, _ = l.check(at(15*time.Second+time.Millisecond), limit)
	require.True(t, ok, "probation over")
}

func TestMajorityAnsweredCountsNamesNotIDs(t *testing.T) {
	t0 := time.Now()
	p := &Memberlist{self: "me-id", name: "me", peers: map[string]*peer{}}
	add := func(id, name string, state MemberStatus, ack time.Duration) {
		p.peers[id] = &peer{meta: nodeMeta{Name: name}, state: state, lastAck: t0.Add(ack)}
	}
	require.True(t, p.majorityAnswered(1).IsZero(), "alone: no lease needed")
	require.True(t, p.majorityAnswered(3).IsZero(), "no peer alive")

	add("b-1", "b", StatusAlive, 1*time.Second)
	add("b-2", "b", StatusAlive, 3*time.Second) // b restarted: one name
	add("c-1", "c", StatusDead, 4*time.Second)  // dead answers do not count
	add("twin", "me", StatusAlive, 5*time.Second)
	require.Equal(t, t0.Add(3*time.Second), p.majorityAnswered(3), "3 known: one peer's answer is a majority")
	require.True(t, p.majorityAnswered(5).IsZero(), "5 known: two peers needed, one alive")

	add("d-1", "d", StatusAlive, 2*time.Second)
	require.Equal(t, t0.Add(2*time.Second), p.majorityAnswered(5), "the older of the two most recent")
}
