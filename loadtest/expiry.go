package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The hold-expiry probe (--hold-ttl-check) measures "no hold outlived its
// TTL by more than a second" directly, while the load runs. Once a second
// a probe user holds one seat of a showtime that nothing else touches and
// notes its expires_at E. Half a second before E a second user tries to
// hold the same seat: a 201 that comes back before E means the hold ended
// early. One second after E (sent no earlier than E+1s on the harness's
// clock) the second user tries again: a 409 means the hold was still there
// more than a second past its TTL; and the owner's GET /holds/{id} must
// no longer answer 200. Only the probe users touch the probe showtime and
// each probe has its own seat, so no other hold can explain a 409. The
// harness's clock is compared with the server's expires_at: on one machine
// they are the same clock; across machines, their skew adds to the margin.
const (
	probeEvery    = time.Second
	probeEarly    = 500 * time.Millisecond
	probeLate     = time.Second
	probeSeatsMax = 60
)

// probeStatusNone is the status of a try not made or not answered.
const probeStatusNone = 0

// ProbeTry is one hold attempt by the rival user.
type ProbeTry struct {
	Sent, Done time.Time
	Status     int  // probeStatusNone: not made or no answer
	Released   bool // a 201's hold was let go again (DELETE answered 204)
}

// HoldProbe is one probe's observations.
type HoldProbe struct {
	Seat      string
	HoldID    string
	ExpiresAt time.Time
	Before    ProbeTry // expect 409
	After     ProbeTry // expect 201
	OwnerGet  int      // owner's GET /holds/{id} after E+1s: expect 404 or 410
	Err       string   // the probe could not be made: inconclusive
}

// expiryProbe runs the probes of one run.
type expiryProbe struct {
	env          *Env
	owner, rival *User
	showtime     string
	seats        []string

	mu     sync.Mutex
	probes []HoldProbe
	skip   string // why the check was not made (TTL too long)
	wg     sync.WaitGroup
}

func newExpiryProbe(ctx context.Context, env *Env, owner, rival *User) (*expiryProbe, error) {
	id, err := env.newShowtime(ctx)
	if err != nil {
		return nil, err
	}
	seats := env.venue.Seats[:min(len(env.venue.Seats), probeSeatsMax)]
	return &expiryProbe{env: env, owner: owner, rival: rival, showtime: id, seats: seats}, nil
}

// run starts a probe every probeEvery until the load ends, then waits for
// the probes in flight (each lasts its TTL and a second, at most
// HoldTTLCheckWaitMax).
func (p *expiryProbe) run(ctx context.Context, loadDone <-chan struct{}) {
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for i := 0; i < len(p.seats) && !p.skipped(); i++ {
		p.wg.Go(func() { p.probe(ctx, p.seats[i]) })
		select {
		case <-ctx.Done():
		case <-loadDone:
		case <-tick.C:
			continue
		}
		break
	}
	p.wg.Wait()
}

func (p *expiryProbe) skipped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skip != ""
}

func (p *expiryProbe) probe(ctx context.Context, seat string) {
	pr := HoldProbe{Seat: seat}
	defer func() {
		p.mu.Lock()
		p.probes = append(p.probes, pr)
		p.mu.Unlock()
	}()
	c := p.env.client
	r := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/showtimes/" + p.showtime + "/holds",
		Token: p.owner.Token(ctx, c), Body: map[string][]string{"seats": {seat}}})
	var h struct {
		HoldID    string    `json:"hold_id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := r.expect(http.StatusCreated, "probe hold", &h); err != nil {
		pr.Err = err.Error()
		return
	}
	pr.HoldID, pr.ExpiresAt = h.HoldID, h.ExpiresAt
	if ttl := time.Until(h.ExpiresAt); ttl > HoldTTLCheckWaitMax {
		p.mu.Lock()
		p.skip = fmt.Sprintf("the server's hold TTL is about %s, longer than the %s the probe waits; start the node with a short --hold-ttl (e.g. 2s) to check expiry",
			ttl.Round(time.Second), HoldTTLCheckWaitMax)
		p.mu.Unlock()
		c.Do(ctx, Request{Method: "DELETE", Path: "/api/v1/holds/" + h.HoldID, Token: p.owner.Token(ctx, c)})
		pr.Err = "skipped"
		return
	}
	if time.Until(h.ExpiresAt.Add(-probeEarly)) > 0 && sleepUntil(ctx, h.ExpiresAt.Add(-probeEarly)) {
		pr.Before = p.try(ctx, seat)
	}
	if !sleepUntil(ctx, h.ExpiresAt.Add(probeLate)) {
		pr.Err = "interrupted"
		return
	}
	pr.After = p.try(ctx, seat)
	r = c.Do(ctx, Request{Method: "GET", Path: "/api/v1/holds/" + h.HoldID, Token: p.owner.Token(ctx, c)})
	pr.OwnerGet = r.Status
}

// try makes the rival's hold attempt and lets go of the seat if it got it.
func (p *expiryProbe) try(ctx context.Context, seat string) ProbeTry {
	c := p.env.client
	r := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/showtimes/" + p.showtime + "/holds",
		Token: p.rival.Token(ctx, c), Body: map[string][]string{"seats": {seat}}})
	t := ProbeTry{Sent: r.Sent, Done: r.Done, Status: r.Status}
	var h struct {
		HoldID string `json:"hold_id"`
	}
	if r.Status == http.StatusCreated && r.decode(&h) == nil {
		d := c.Do(ctx, Request{Method: "DELETE", Path: "/api/v1/holds/" + h.HoldID, Token: p.rival.Token(ctx, c)})
		t.Released = d.Status == http.StatusNoContent
	}
	return t
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(max(time.Until(t), 0))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

func (p *expiryProbe) results() ([]HoldProbe, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]HoldProbe(nil), p.probes...), p.skip
}

// HoldsExpireOnTime judges the probes: no hold outlived its expiry by more
// than a second (a rival's hold refused at E+1s, or the owner still seeing
// it), and none ended before its expiry (a rival's hold granted before E).
// A check not made is skipped; probes that could not be judged are
// counted, and any of them makes the check inconclusive. A hold that ended
// early by no more than the offset of a clock jump in force at the time
// (see ClockJump) is counted apart and is no violation.
func HoldsExpireOnTime(probes []HoldProbe, enabled bool, skip string, jumps []ClockJump) Check {
	switch {
	case !enabled:
		return newCheck(CheckHoldsExpireOnTime, StatusSkipped,
			"not measured: run with --hold-ttl-check against a node started with a short --hold-ttl (e.g. 2s)")
	case skip != "":
		return newCheck(CheckHoldsExpireOnTime, StatusSkipped, "not measured: "+skip)
	case len(probes) == 0:
		return newCheck(CheckHoldsExpireOnTime, StatusSkipped, "not measured: no probe was made")
	}
	var bad []string
	v := probeVerdicts{jumps: jumps}
	for _, p := range probes {
		bad = append(bad, v.judge(p)...)
	}
	detail := fmt.Sprintf("%d probe holds: seat free for another user at expiry+1s in %d, owner sees 404/410 in %d, still held 0.5s before expiry in %d; %d inconclusive",
		len(probes), v.freeAfter, v.ownerGone, v.heldBefore, v.inconclusive)
	if v.earlyJumped > 0 {
		detail += fmt.Sprintf("; %d ended early by no more than a clock jump in force then (the node's clock ran ahead; not a violation)", v.earlyJumped)
	}
	status := StatusOK
	switch {
	case len(bad) > 0:
		status, detail = StatusFailed, fmt.Sprintf("%d violations: %s; %s", len(bad), examples(bad), detail)
	case v.inconclusive > 0:
		status = StatusInconclusive
	}
	return newCheck(CheckHoldsExpireOnTime, status, detail).counted(len(probes)-v.undecided, v.undecided, "probes")
}

// probeVerdicts counts what the probes showed.
type probeVerdicts struct {
	freeAfter, ownerGone, heldBefore, inconclusive int
	undecided                                      int // probes with at least one inconclusive part
	// earlyJumped counts the holds that ended early within what a clock
	// jump explains.
	earlyJumped int
	jumps       []ClockJump
}

// judge returns the violations one probe shows and counts the rest.
func (v *probeVerdicts) judge(p HoldProbe) []string {
	before := v.inconclusive
	defer func() {
		if v.inconclusive > before {
			v.undecided++
		}
	}()
	if p.Err != "" {
		v.inconclusive++
		return nil
	}
	var bad []string
	switch {
	case p.Before.Status == http.StatusCreated && p.Before.Done.Before(p.ExpiresAt) &&
		earlyEndExplained(v.jumps, p.ExpiresAt, p.Before.Done, time.Duration(clockSlack)):
		v.earlyJumped++
	case p.Before.Status == http.StatusCreated && p.Before.Done.Before(p.ExpiresAt):
		bad = append(bad, fmt.Sprintf("seat %s: hold %s ended %s before its expiry", p.Seat, shortID(p.HoldID),
			p.ExpiresAt.Sub(p.Before.Done).Round(time.Millisecond)))
	case p.Before.Status == http.StatusConflict:
		v.heldBefore++
	}
	// A rival that still holds the seat from its first try would explain
	// a 409 at expiry+1s by itself: a first try granted and not let go, or
	// one without an answer or answered 5xx, which may have been granted
	// (the answer lost, or the write done after the error) and so never
	// let go.
	rivalHolds := p.Before.Status == http.StatusCreated && !p.Before.Released ||
		p.Before.Status == probeStatusNone || p.Before.Status >= http.StatusInternalServerError
	switch {
	case rivalHolds || p.After.Status == probeStatusNone:
		v.inconclusive++
	case p.After.Status == http.StatusConflict:
		bad = append(bad, fmt.Sprintf("seat %s: hold %s still held %s after its expiry", p.Seat, shortID(p.HoldID),
			p.After.Sent.Sub(p.ExpiresAt).Round(time.Millisecond)))
	case p.After.Status == http.StatusCreated:
		v.freeAfter++
	default:
		v.inconclusive++
	}
	switch p.OwnerGet {
	case http.StatusOK:
		bad = append(bad, fmt.Sprintf("seat %s: owner still sees hold %s live after expiry+1s", p.Seat, shortID(p.HoldID)))
	case http.StatusNotFound, http.StatusGone:
		v.ownerGone++
	}
	return bad
}
