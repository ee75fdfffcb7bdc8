package boxoffice

import (
	"fmt"
	"slices"
	"time"
)

// Why a booking failed, as stored in Booking.FailureCode. A retry under the
// same Idempotency-Key must get the first answer again, so the code, not
// the message, says which error a failed booking answers with.
const (
	BookingFailedDeclined    = "payment_declined"     // the card gateway declined the charge
	BookingFailedHoldLost    = "hold_lost"            // the hold ended before the seats were confirmed
	BookingFailedShowtime    = "showtime_unavailable" // the showtime was cancelled or started first
	BookingFailedInterrupted = "interrupted"          // stopped before any payment was made
)

// bookingFailure is what a failure code means: the error code a failed
// booking answers with and the message the user reads in Booking.Failure.
type bookingFailure struct {
	code    string
	message string
}

var bookingFailures = map[string]bookingFailure{
	BookingFailedDeclined: {EUNPROCESSABLE, "payment declined"},
	BookingFailedHoldLost: {EGONE,
		"the hold ended before the seats were confirmed; the payment was refunded"},
	BookingFailedShowtime: {ECONFLICT,
		"the showtime was cancelled or started before the seats were confirmed; the payment was refunded"},
	BookingFailedInterrupted: {EGONE,
		"the booking was interrupted before any payment; nothing was charged"},
}

// bookingNext lists the statuses each status may move to; failed and
// cancelled are final.
var bookingNext = map[string][]string{
	BookingPending:    {BookingConfirmed, BookingFailed},
	BookingConfirmed:  {BookingCancelling},
	BookingCancelling: {BookingCancelled},
}

// BookingCanMove tells whether a booking in status from may move to status
// to.
func BookingCanMove(from, to string) bool { return slices.Contains(bookingNext[from], to) }

// move changes b's status. A move the lifecycle does not allow is a bug in
// the caller, so it is an internal error, not one the user could fix.
func (b *Booking) move(to string) error {
	if !BookingCanMove(b.Status, to) {
		return fmt.Errorf("booking %s: a %s booking cannot become %s", b.ID, b.Status, to)
	}
	b.Status = to
	return nil
}

// Confirm marks a pending booking confirmed: its seats are booked and p is
// its payment.
func (b *Booking) Confirm(p *PaymentSummary) error {
	if err := b.move(BookingConfirmed); err != nil {
		return err
	}
	b.Payment = p
	return nil
}

// Fail marks a pending booking failed for a reason from the list above;
// detail, if any, is appended to the message (the gateway's reason for a
// decline). p is its payment, if one was made.
func (b *Booking) Fail(code, detail string, p *PaymentSummary) error {
	f, ok := bookingFailures[code]
	if !ok {
		return fmt.Errorf("booking %s: unknown failure code %q", b.ID, code)
	}
	if err := b.move(BookingFailed); err != nil {
		return err
	}
	b.FailureCode, b.Failure, b.Payment = code, f.message, p
	if detail != "" {
		b.Failure += ": " + detail
	}
	return nil
}

// FailureErr is the error a failed booking answers with, for the first
// request and every retry of it.
func (b *Booking) FailureErr() error {
	if f, ok := bookingFailures[b.FailureCode]; ok {
		return Errorf(f.code, "%s", b.Failure)
	}
	return Errorf(ECONFLICT, "booking %s failed: %s", b.ID, b.Failure)
}

// CheckBookable refuses a new booking for a showtime that is cancelled or
// has started: nothing is recorded and nothing charged.
func CheckBookable(st *Showtime, now time.Time) error {
	if st.Cancelled() || st.Started(now) {
		return Errorf(ECONFLICT, "showtime %s is cancelled or has started", st.ID)
	}
	return nil
}

// CheckBookable is CheckBookable for the showtime of this seat map: the
// showtime grain answers it when a booking claims a hold, so the booking
// needs no read of the catalog. The grain is the first to know of a
// cancellation (the showtime is closed there before the catalog says so).
func (m *SeatMap) CheckBookable(now time.Time) error {
	if m.cancelled || !now.Before(m.startsAt) {
		return Errorf(ECONFLICT, "showtime %s is cancelled or has started", m.showtimeID)
	}
	return nil
}

// CheckCancelAt refuses a user's cancellation once b's showtime st has
// begun; the bookings of a cancelled showtime are cancelled whenever.
func (b *Booking) CheckCancelAt(st *Showtime, now time.Time) error {
	if !st.Cancelled() && st.Started(now) {
		return Errorf(ECONFLICT, "showtime %s has started: booking %s can no longer be cancelled", st.ID, b.ID)
	}
	return nil
}

// CheckCancel tells whether a cancel request may act on b: a confirmed
// booking starts cancelling, a cancelling one is finished and a cancelled
// one is answered as it is. Any other is ECONFLICT.
func (b *Booking) CheckCancel() error {
	switch b.Status {
	case BookingConfirmed, BookingCancelling, BookingCancelled:
		return nil
	}
	return Errorf(ECONFLICT, "booking %s is %s: only a confirmed booking can be cancelled", b.ID, b.Status)
}

// StartCancel marks a confirmed booking cancelling: stored before anything
// is undone, so that a crash in the middle is finished at the next start.
func (b *Booking) StartCancel() error { return b.move(BookingCancelling) }

// FinishCancel marks a cancelling booking cancelled once its seats are
// free and its money returned; p is the refunded payment, nil if there
// was none to refund.
func (b *Booking) FinishCancel(p *PaymentSummary) error {
	if err := b.move(BookingCancelled); err != nil {
		return err
	}
	if p != nil {
		b.Payment = p
	}
	return nil
}

// PaymentFailure tells how a pending booking ends given its payment before
// its seats are confirmed: no payment at all (a booking resumed without a
// card token) is interrupted, a declined one failed with the gateway's
// reason as detail, a refunded one (by an earlier run that stopped before
// saving the booking) lost its hold. An empty code means: confirm the seats.
func PaymentFailure(p *Payment) (code, detail string) {
	switch {
	case p == nil:
		return BookingFailedInterrupted, ""
	case p.Status == PaymentDeclined:
		return BookingFailedDeclined, p.Failure
	case p.Status == PaymentRefunded:
		return BookingFailedHoldLost, ""
	}
	return "", ""
}

// ConfirmFailure classifies the showtime's answer to confirming a booking's
// seats: nil confirmed them; after an unknown outcome the booking stays
// pending (never refunded while its seats may be booked); a refusal of a
// cancelled or started showtime, or of a hold that ended, is the failure
// code.
func ConfirmFailure(err error) (code string, unknown bool) {
	switch {
	case err == nil:
		return "", false
	case UnknownOutcome(err):
		return "", true
	case ErrorCode(err) == ECONFLICT:
		return BookingFailedShowtime, false
	}
	return BookingFailedHoldLost, false
}

// UnknownOutcome tells the errors after which a command may or may not have
// been applied, so that only an idempotent command may be retried.
func UnknownOutcome(err error) bool {
	switch ErrorCode(err) {
	case EUNAVAILABLE, ETOOMANYREQUESTS, EINTERNAL:
		return true
	}
	return false
}
