package actors

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
)

// askGrace is how long past the job's own deadline a caller waits for the
// payment actor's answer: a gateway that times out answers right at the
// deadline, and that answer (outcome unknown) is still worth reading.
const askGrace = 2 * time.Second

// paymentClient is how booking grains reach their node's payment actor.
type paymentClient struct {
	system atomic.Pointer[actor.ActorSystem]
	pid    atomic.Pointer[actor.PID]
}

// charge charges a booking (idempotent per booking). The payment it
// returns is captured or declined; an error means the outcome is unknown
// or nothing was tried.
func (p *paymentClient) charge(ctx context.Context, cmd *chargeCmd) (*boxoffice.Payment, error) {
	cmd.Deadline = deadlineOf(ctx)
	return p.ask(ctx, cmd)
}

// refund refunds a booking's captured payment (idempotent per booking).
func (p *paymentClient) refund(ctx context.Context, bookingID string) (*boxoffice.Payment, error) {
	return p.ask(ctx, &refundCmd{BookingID: bookingID, Deadline: deadlineOf(ctx)})
}

// settle returns nil when this node runs no payment job for the booking.
func (p *paymentClient) settle(ctx context.Context, bookingID string) error {
	_, err := p.ask(ctx, &settleCmd{BookingID: bookingID})
	return err
}

func (p *paymentClient) ask(ctx context.Context, msg any) (*boxoffice.Payment, error) {
	system, pid := p.system.Load(), p.pid.Load()
	if system == nil || pid == nil {
		return nil, unavailable("payments are not running on this node yet; retry shortly")
	}
	wait := time.Until(deadlineOf(ctx)) + askGrace
	res, err := system.Root.RequestFuture(pid, msg, wait).Result()
	if err != nil {
		return nil, unavailable("payments did not answer: %v", err)
	}
	r, ok := res.(*paymentResult)
	if !ok {
		return nil, fmt.Errorf("unexpected payment reply %T", res)
	}
	return r.Payment, r.Err
}

// deadlineOf is ctx's deadline; callers always set one, and a context
// without one gets a short default rather than none.
func deadlineOf(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(stepTimeout)
}
