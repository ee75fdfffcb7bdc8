package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice"
)

// Bounds of hold claims. A booking saga takes a few store steps and one
// charge (stepTimeout, chargeTimeoutDefault), so a claim older than
// claimTTL belongs to a booking that died before releasing it: the hold
// may then be claimed again rather than stay unpayable until it expires.
const (
	claimTTL       = time.Minute
	claimsSweepMin = 64 // claims kept before the first sweep of dead ones
)

// holdClaim is the booking a hold is reserved for, until a time.
type holdClaim struct {
	booking string
	until   time.Time
}

// claim reserves a live hold of req.Owner for req.BookingId (ECONFLICT if
// the showtime is cancelled or has started), or with
// req.Release drops that booking's claim. A hold claimed by another booking
// is ECONFLICT with details.reason "hold_claimed": that booking is being
// charged, and a second charge would only be refunded. Claims live in this
// activation's memory: they guard the seconds a booking takes, and a
// showtime that moves nodes meanwhile starts without them.
func (g *showtimeGrain) claim(now time.Time, req *ClaimHold) (*HoldReply, error) {
	if req.BookingId == "" || req.Owner == "" {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "a claim needs a booking and the hold's owner")
	}
	if req.Release {
		if c, ok := g.claims[req.HoldId]; ok && c.booking == req.BookingId {
			delete(g.claims, req.HoldId)
		}
		return &HoldReply{}, nil
	}
	h, err := g.m.HoldByID(now, req.HoldId, req.Owner)
	if err != nil {
		return nil, err
	}
	// The booking charges next: a showtime that is cancelled or has
	// started refuses here, before any money moves.
	if err := g.m.CheckBookable(now); err != nil {
		return nil, err
	}
	if c, ok := g.claims[req.HoldId]; ok && c.booking != req.BookingId && now.Before(c.until) {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "hold %s is already being booked", req.HoldId).
			WithDetail("reason", "hold_claimed")
	}
	g.sweepClaims(now)
	if g.claims == nil {
		g.claims = make(map[string]holdClaim)
	}
	g.claims[req.HoldId] = holdClaim{booking: req.BookingId, until: now.Add(claimTTL)}
	return &HoldReply{Hold: holdInfo(h)}, nil
}

// sweepClaims drops lapsed claims and those of holds that ended, once the
// map has doubled since the last sweep: claims stay bounded by the live
// holds at a constant cost per claim.
func (g *showtimeGrain) sweepClaims(now time.Time) {
	if len(g.claims) < max(g.claimsSweepAt, claimsSweepMin) {
		return
	}
	for id, c := range g.claims {
		if _, err := g.m.HoldByID(now, id, ""); err != nil || !now.Before(c.until) {
			delete(g.claims, id)
		}
	}
	g.claimsSweepAt = 2 * len(g.claims)
}

// releaseClaim answers a claim's release at once, before the seat map is
// loaded: claims are memory of their own, and a booking that could not be
// recorded in a store outage must free its claim even while the seats
// cannot load, or the hold stays unpayable until the claim lapses. It
// reports whether msg was such a release.
func (g *showtimeGrain) releaseClaim(ctx actor.Context, msg proto.Message) bool {
	req, ok := msg.(*ClaimHold)
	if !ok || !req.Release {
		return false
	}
	reply, err := g.claim(time.Time{}, req)
	if err != nil {
		ctx.Respond(failureOf(err))
	} else {
		ctx.Respond(reply)
	}
	return true
}
