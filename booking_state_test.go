package boxoffice_test

import (
	"errors"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

var bookingStatuses = []string{
	boxoffice.BookingPending, boxoffice.BookingConfirmed, boxoffice.BookingFailed,
	boxoffice.BookingCancelling, boxoffice.BookingCancelled,
}

// TestBookingCanMove checks every pair of statuses against the lifecycle:
// pending ends confirmed or failed, and only a confirmed booking is
// cancelled, through cancelling.
func TestBookingCanMove(t *testing.T) {
	allowed := map[[2]string]bool{
		{boxoffice.BookingPending, boxoffice.BookingConfirmed}:    true,
		{boxoffice.BookingPending, boxoffice.BookingFailed}:       true,
		{boxoffice.BookingConfirmed, boxoffice.BookingCancelling}: true,
		{boxoffice.BookingCancelling, boxoffice.BookingCancelled}: true,
	}
	for _, from := range bookingStatuses {
		for _, to := range bookingStatuses {
			if got, want := boxoffice.BookingCanMove(from, to), allowed[[2]string{from, to}]; got != want {
				t.Errorf("BookingCanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func bookingIn(status string) *boxoffice.Booking {
	return &boxoffice.Booking{ID: "B1", Status: status}
}

func TestBookingFail(t *testing.T) {
	paid := &boxoffice.PaymentSummary{ID: "P1", Status: boxoffice.PaymentRefunded}
	tests := []struct {
		code, detail string
		wantErrCode  string
		wantMessage  string
	}{
		{boxoffice.BookingFailedDeclined, "insufficient funds", boxoffice.EUNPROCESSABLE,
			"payment declined: insufficient funds"},
		{boxoffice.BookingFailedDeclined, "", boxoffice.EUNPROCESSABLE, "payment declined"},
		{boxoffice.BookingFailedHoldLost, "", boxoffice.EGONE,
			"the hold ended before the seats were confirmed; the payment was refunded"},
		{boxoffice.BookingFailedShowtime, "", boxoffice.ECONFLICT,
			"the showtime was cancelled or started before the seats were confirmed; the payment was refunded"},
		{boxoffice.BookingFailedInterrupted, "", boxoffice.EGONE,
			"the booking was interrupted before any payment; nothing was charged"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.detail, func(t *testing.T) {
			b := bookingIn(boxoffice.BookingPending)
			if err := b.Fail(tt.code, tt.detail, paid); err != nil {
				t.Fatalf("Fail: %v", err)
			}
			if b.Status != boxoffice.BookingFailed || b.FailureCode != tt.code || b.Failure != tt.wantMessage || b.Payment != paid {
				t.Fatalf("booking = %+v", b)
			}
			err := b.FailureErr()
			if boxoffice.ErrorCode(err) != tt.wantErrCode || boxoffice.ErrorMessage(err) != tt.wantMessage {
				t.Fatalf("FailureErr = %v, want %s %q", err, tt.wantErrCode, tt.wantMessage)
			}
		})
	}

	t.Run("unknown code is refused", func(t *testing.T) {
		b := bookingIn(boxoffice.BookingPending)
		if err := b.Fail("no_such_code", "", nil); err == nil || boxoffice.ErrorCode(err) != boxoffice.EINTERNAL {
			t.Fatalf("err = %v, want internal", err)
		}
		if b.Status != boxoffice.BookingPending {
			t.Fatalf("status = %s, want unchanged", b.Status)
		}
	})
	t.Run("only a pending booking fails", func(t *testing.T) {
		for _, s := range bookingStatuses[1:] {
			b := bookingIn(s)
			if err := b.Fail(boxoffice.BookingFailedHoldLost, "", nil); err == nil {
				t.Errorf("%s booking failed", s)
			}
			if b.Status != s || b.FailureCode != "" {
				t.Errorf("%s booking changed: %+v", s, b)
			}
		}
	})
	t.Run("a failure without a known code answers conflict", func(t *testing.T) {
		b := bookingIn(boxoffice.BookingFailed)
		b.Failure = "something else"
		err := b.FailureErr()
		if boxoffice.ErrorCode(err) != boxoffice.ECONFLICT || boxoffice.ErrorMessage(err) != "booking B1 failed: something else" {
			t.Fatalf("FailureErr = %v", err)
		}
	})
}

func TestBookingConfirm(t *testing.T) {
	p := &boxoffice.PaymentSummary{ID: "P1", Status: boxoffice.PaymentCaptured}
	b := bookingIn(boxoffice.BookingPending)
	if err := b.Confirm(p); err != nil || b.Status != boxoffice.BookingConfirmed || b.Payment != p {
		t.Fatalf("Confirm: %v, booking %+v", err, b)
	}
	for _, s := range bookingStatuses[1:] {
		b := bookingIn(s)
		if err := b.Confirm(p); err == nil || b.Status != s || b.Payment != nil {
			t.Errorf("a %s booking confirmed: %v, %+v", s, err, b)
		}
	}
}

func TestBookingCancel(t *testing.T) {
	t.Run("CheckCancel", func(t *testing.T) {
		for _, s := range bookingStatuses {
			err := bookingIn(s).CheckCancel()
			switch s {
			case boxoffice.BookingConfirmed, boxoffice.BookingCancelling, boxoffice.BookingCancelled:
				if err != nil {
					t.Errorf("%s: %v", s, err)
				}
			default:
				want := "booking B1 is " + s + ": only a confirmed booking can be cancelled"
				if boxoffice.ErrorCode(err) != boxoffice.ECONFLICT || boxoffice.ErrorMessage(err) != want {
					t.Errorf("%s: %v, want conflict %q", s, err, want)
				}
			}
		}
	})
	t.Run("confirmed, cancelling, cancelled", func(t *testing.T) {
		paid := &boxoffice.PaymentSummary{ID: "P1", Status: boxoffice.PaymentCaptured}
		b := bookingIn(boxoffice.BookingConfirmed)
		b.Payment = paid
		if err := b.StartCancel(); err != nil || b.Status != boxoffice.BookingCancelling {
			t.Fatalf("StartCancel: %v, %+v", err, b)
		}
		if err := b.StartCancel(); err == nil {
			t.Fatal("a cancelling booking started cancelling again")
		}
		if err := b.FinishCancel(nil); err != nil || b.Status != boxoffice.BookingCancelled || b.Payment != paid {
			t.Fatalf("FinishCancel(nil) must keep the payment: %v, %+v", err, b)
		}
		b = bookingIn(boxoffice.BookingCancelling)
		refunded := &boxoffice.PaymentSummary{ID: "P1", Status: boxoffice.PaymentRefunded}
		if err := b.FinishCancel(refunded); err != nil || b.Payment != refunded {
			t.Fatalf("FinishCancel: %v, %+v", err, b)
		}
		for _, s := range []string{boxoffice.BookingPending, boxoffice.BookingFailed, boxoffice.BookingConfirmed} {
			if err := bookingIn(s).FinishCancel(nil); err == nil {
				t.Errorf("a %s booking became cancelled", s)
			}
		}
	})
}

func TestPaymentFailure(t *testing.T) {
	tests := []struct {
		name         string
		p            *boxoffice.Payment
		code, detail string
	}{
		{"no payment", nil, boxoffice.BookingFailedInterrupted, ""},
		{"declined", &boxoffice.Payment{Status: boxoffice.PaymentDeclined, Failure: "stolen card"},
			boxoffice.BookingFailedDeclined, "stolen card"},
		{"refunded", &boxoffice.Payment{Status: boxoffice.PaymentRefunded}, boxoffice.BookingFailedHoldLost, ""},
		{"captured", &boxoffice.Payment{Status: boxoffice.PaymentCaptured}, "", ""},
		{"pending", &boxoffice.Payment{Status: boxoffice.PaymentPending}, "", ""},
	}
	for _, tt := range tests {
		if code, detail := boxoffice.PaymentFailure(tt.p); code != tt.code || detail != tt.detail {
			t.Errorf("%s: PaymentFailure = %q, %q; want %q, %q", tt.name, code, detail, tt.code, tt.detail)
		}
	}
}

func TestConfirmFailure(t *testing.T) {
	tests := []struct {
		err     error
		code    string
		unknown bool
	}{
		{nil, "", false},
		{boxoffice.Errorf(boxoffice.EUNAVAILABLE, "x"), "", true},
		{boxoffice.Errorf(boxoffice.ETOOMANYREQUESTS, "x"), "", true},
		{errors.New("a bug"), "", true},
		{boxoffice.Errorf(boxoffice.ECONFLICT, "x"), boxoffice.BookingFailedShowtime, false},
		{boxoffice.Errorf(boxoffice.EGONE, "x"), boxoffice.BookingFailedHoldLost, false},
		{boxoffice.Errorf(boxoffice.ENOTFOUND, "x"), boxoffice.BookingFailedHoldLost, false},
		{boxoffice.Errorf(boxoffice.EFORBIDDEN, "x"), boxoffice.BookingFailedHoldLost, false},
	}
	for _, tt := range tests {
		code, unknown := boxoffice.ConfirmFailure(tt.err)
		if code != tt.code || unknown != tt.unknown {
			t.Errorf("ConfirmFailure(%v) = %q, %v; want %q, %v", tt.err, code, unknown, tt.code, tt.unknown)
		}
		if got := boxoffice.UnknownOutcome(tt.err); got != tt.unknown {
			t.Errorf("UnknownOutcome(%v) = %v, want %v", tt.err, got, tt.unknown)
		}
	}
}

func TestBookingShowtimeChecks(t *testing.T) {
	starts := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	open := &boxoffice.Showtime{ID: "S1", StartsAt: starts, Status: boxoffice.ShowtimeScheduled}
	cancelled := &boxoffice.Showtime{ID: "S1", StartsAt: starts, Status: boxoffice.ShowtimeCancelled}
	before, at := starts.Add(-time.Second), starts
	b := bookingIn(boxoffice.BookingConfirmed)

	tests := []struct {
		name    string
		err     error
		message string // "" for no error; the code is conflict otherwise
	}{
		{"bookable before the start", boxoffice.CheckBookable(open, before), ""},
		{"not bookable at the start", boxoffice.CheckBookable(open, at), "showtime S1 is cancelled or has started"},
		{"not bookable when cancelled", boxoffice.CheckBookable(cancelled, before), "showtime S1 is cancelled or has started"},
		{"cancellable before the start", b.CheckCancelAt(open, before), ""},
		{"not cancellable once started", b.CheckCancelAt(open, at), "showtime S1 has started: booking B1 can no longer be cancelled"},
		{"cancellable after the start of a cancelled showtime", b.CheckCancelAt(cancelled, at), ""},
	}
	for _, tt := range tests {
		switch {
		case tt.message == "" && tt.err != nil:
			t.Errorf("%s: %v", tt.name, tt.err)
		case tt.message != "" && (boxoffice.ErrorCode(tt.err) != boxoffice.ECONFLICT || boxoffice.ErrorMessage(tt.err) != tt.message):
			t.Errorf("%s: %v, want conflict %q", tt.name, tt.err, tt.message)
		}
	}
}
