package actors_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// race runs f(i) for i in [0, n) on n goroutines released together and
// returns the error code of each call ("" for success).
func race(n int, f func(i int) error) []string {
	codes := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			codes[i] = boxoffice.ErrorCode(f(i))
		})
	}
	close(start)
	wg.Wait()
	return codes
}

func count(codes []string) map[string]int {
	out := map[string]int{}
	for _, c := range codes {
		out[c]++
	}
	return out
}

func TestShowtimeConcurrentHolds(t *testing.T) {
	parallel(t)
	e := MustOpenShowtimes(t, ShowtimeOptions{})
	var winners []*boxoffice.Hold
	contested := [][]string{{"E25"}, {"F1", "F2", "F3"}}

	for _, seats := range contested {
		t.Run(fmt.Sprintf("200 clients for %v: one wins, the others conflict", seats), func(t *testing.T) {
			ctx := testCtx(t)
			holds := make([]*boxoffice.Hold, 200)
			codes := race(200, func(i int) (err error) {
				holds[i], err = e.Holds().Hold(ctx, e.ShowtimeID, fmt.Sprintf("user-%d", i), seats)
				return err
			})
			if c := count(codes); c[""] != 1 || c[boxoffice.ECONFLICT] != 199 {
				t.Fatalf("outcomes = %v, want 1 success and 199 %s", c, boxoffice.ECONFLICT)
			}
			w := holds[slices.Index(codes, "")]
			winners = append(winners, w)
			st, _ := seatStatuses(t, e)
			for _, s := range seats {
				if st[s] != boxoffice.SeatHeld {
					t.Fatalf("seat %s is %s after the race", s, st[s])
				}
			}
		})
	}

	t.Run("many clients on many seats never share a seat", func(t *testing.T) {
		manyClientsManySeats(t, e)
	})

	t.Run("a fresh load from the store agrees with the grain", func(t *testing.T) {
		mustAgree(t, e)
		before, _ := seatStatuses(t, e)
		e2 := e.Restart(t)
		after, _ := seatStatuses(t, e2)
		for id, s := range before {
			if after[id] != s {
				t.Errorf("seat %s: %s before the restart, %s after", id, s, after[id])
			}
		}
		for _, w := range winners {
			if _, err := e2.Holds().HoldByID(testCtx(t), w.ID, boxoffice.Caller{UserID: w.Owner}); err != nil {
				t.Errorf("winner's hold %s after restart: %v", w.ID, err)
			}
		}
	})
}

// manyClientsManySeats has 48 clients hold and release random sets of 1-4
// of 40 seats (rows G-H) at once, then checks that the holds the clients
// were granted never overlapped: not in their replies, not in the seat map,
// not in the journal.
func manyClientsManySeats(t *testing.T, e *ShowtimeEnv) {
	ctx := testCtx(t)
	pool := seatIDs(300, 40)
	var mu sync.Mutex
	live := map[string]*boxoffice.Hold{} // granted, not released
	owner := map[string]string{}         // seat -> live hold
	var failed []string
	var wg sync.WaitGroup
	for c := range 48 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			user := fmt.Sprintf("client-%d", c)
			var mine []*boxoffice.Hold
			for range 25 {
				if len(mine) > 0 && rng.IntN(3) == 0 {
					h := mine[0]
					mine = mine[1:]
					mu.Lock() // before the release: a free seat may be granted at once
					delete(live, h.ID)
					for _, s := range h.Seats {
						delete(owner, s)
					}
					mu.Unlock()
					if err := e.Holds().ReleaseHold(ctx, h.ID, boxoffice.Caller{UserID: user}); err != nil {
						mu.Lock()
						failed = append(failed, "release: "+err.Error())
						mu.Unlock()
					}
					continue
				}
				n := 1 + rng.IntN(4)
				perm := rng.Perm(len(pool))[:n]
				seats := make([]string, n)
				for i, p := range perm {
					seats[i] = pool[p]
				}
				h, err := e.Holds().Hold(ctx, e.ShowtimeID, user, seats)
				switch boxoffice.ErrorCode(err) {
				case "":
					mine = append(mine, h)
					mu.Lock()
					live[h.ID] = h
					for _, s := range h.Seats {
						if o, ok := owner[s]; ok {
							failed = append(failed, fmt.Sprintf("seat %s granted to %s while %s holds it", s, h.ID, o))
						}
						owner[s] = h.ID
					}
					mu.Unlock()
				case boxoffice.ECONFLICT:
				default:
					mu.Lock()
					failed = append(failed, "hold: "+err.Error())
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failed {
		t.Error(f)
	}
	st, _ := seatStatuses(t, e)
	for _, s := range pool {
		want := boxoffice.SeatFree
		if _, ok := owner[s]; ok {
			want = boxoffice.SeatHeld
		}
		if st[s] != want {
			t.Errorf("seat %s is %s, clients hold it: %v", s, st[s], want == boxoffice.SeatHeld)
		}
	}
	// Replaying refuses an event that holds a seat that is not free.
	mustReplay(t, e.Stores, e.ShowtimeID, nil, mustLoadJournal(t, e.Stores.Seats, e.ShowtimeID))
	t.Logf("%d holds live at the end", len(live))
}

func TestShowtimeGroupCommit(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	// A slow disk: every write takes 5ms, so commands pile up behind it.
	spy.set(func(s *seatSpy) { s.delay = 5 * time.Millisecond })
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap})
	ctx := testCtx(t)
	const clients = 150
	start := time.Now()
	codes := race(clients, func(i int) error {
		_, err := e.Holds().Hold(ctx, e.ShowtimeID, fmt.Sprintf("u%d", i), seatIDs(i*3, 3))
		return err
	})
	elapsed := time.Since(start)
	if c := count(codes); c[""] != clients {
		t.Fatalf("outcomes = %v, want %d successes", c, clients)
	}
	sizes := spy.batchSizes()
	total := 0
	for _, n := range sizes {
		total += n
	}
	t.Logf("%d holds in %d writes (batch sizes %v) in %v", clients, len(sizes), sizes, elapsed)
	if total != clients {
		t.Fatalf("%d events written for %d holds", total, clients)
	}
	if len(sizes) >= clients/2 {
		t.Fatalf("%d writes for %d concurrent holds: the grain does not batch", len(sizes), clients)
	}
	if slices.Max(sizes) < 2 {
		t.Fatalf("largest batch %d", slices.Max(sizes))
	}
	mustAgree(t, e)
}
