package actors

import (
	"time"

	"github.com/boxoffice/boxoffice"
)

// pay charges the booking and returns its payment, and whether the
// payments store has it already (stored). A booking recorded just now
// (fresh) has no payment, so the gateway is asked at once. Any other first
// reads the stored payment: one the gateway answered for is never charged
// again, and a pending row from an earlier version is settled under its
// own ID. Without a card token (a booking resumed by recovery) pay charges
// nothing new: it asks the gateway about an earlier charge under the same
// key, and a booking the gateway never charged has no payment (nil).
func (g *bookingGrain) pay(b *boxoffice.Booking, fresh bool) (p *boxoffice.Payment, stored bool, err error) {
	var pending *boxoffice.Payment
	if !fresh {
		if pending, err = g.storedPayment(b.ID); err != nil || (pending != nil && pending.Status != boxoffice.PaymentPending) {
			return pending, true, err
		}
	}
	id := boxoffice.PaymentIDOf(b.ID)
	if pending != nil {
		id = pending.ID
	}
	ctx, cancel := step(g.env.chargeTimeout)
	defer cancel()
	defer g.env.metrics.step(stepCharge, time.Now())
	p, err = g.env.payments.charge(ctx, &chargeCmd{
		PaymentID: id, BookingID: b.ID, UserID: b.UserID, AmountCents: b.TotalCents, Currency: b.Currency,
		Method: boxoffice.PaymentMethodCard, Token: g.token,
	})
	if p == nil && err == nil && pending != nil {
		p = untaken(pending)
	}
	return p, false, err
}

// storedPayment reads the booking's payment; none is nil, nil.
func (g *bookingGrain) storedPayment(bookingID string) (*boxoffice.Payment, error) {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	p, err := g.env.paymentStore.PaymentByBooking(ctx, bookingID)
	switch boxoffice.ErrorCode(err) {
	case "":
		return p, nil
	case boxoffice.ENOTFOUND:
		return nil, nil
	}
	g.log.Error("booking: payment read failed", "err", err)
	return nil, unavailable("payment of booking %s cannot be read now", bookingID)
}

// recordPayment stores what the gateway answered (see
// paymentService.record) and returns the payment as stored.
func (g *bookingGrain) recordPayment(p *boxoffice.Payment) (*boxoffice.Payment, error) {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	defer g.env.metrics.step(stepRecordPayment, time.Now())
	return g.env.paymentLog.record(ctx, p)
}
