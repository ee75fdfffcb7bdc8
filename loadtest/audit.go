package loadtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// Check names, as the report shows them.
const (
	CheckNoSeatInTwoBookings    = "no_seat_in_two_bookings"
	CheckBookedSeatsMatch       = "booked_seats_match_bookings"
	CheckAcknowledgedConfirmed  = "acknowledged_bookings_confirmed"
	CheckMoneyBalances          = "money_balances"
	CheckHoldsExpireOnTime      = "holds_expire_on_time"
	CheckLinearizableSeats      = "linearizable_seats"
	CheckRunCompleted           = "run_completed"
	examplesMax                 = 5 // offending items quoted in a detail
	bookingsNotFinalDetailLimit = 3
)

// AuditBooking is a booking as the audit sees it, from the API or a store.
type AuditBooking struct {
	ID            string
	ShowtimeID    string
	Seats         []string
	Status        string
	TotalCents    int64
	PaymentStatus string // "" when the booking has no payment
	PaymentCents  int64  // the payment's amount, as the payments store recorded it
	// PaymentCentsUnknown: the view does not show the payment's amount
	// (the API shows a booking's payment status, not its amount).
	PaymentCentsUnknown bool
}

// Ack is a booking the harness got a 2xx for, and what it did after.
type Ack struct {
	BookingID string
	// Cancel is the outcome of the harness's cancellation: 0 none,
	// ResultOK (200 cancelled), ResultRefused or ResultUnknown.
	Cancel SeatResult
}

// AuditData is one view of the end state of the harness's showtimes.
type AuditData struct {
	Source   string                                     // "api" or "store"
	SeatMaps map[string]map[string]boxoffice.SeatStatus // showtime -> seat -> status
	Bookings map[string]*AuditBooking                   // every booking on those showtimes, by ID
}

// NoSeatInTwoBookings: no seat of a showtime belongs to two
// confirmed bookings.
func NoSeatInTwoBookings(d *AuditData) Check {
	owners := seatOwners(d)
	var doubled []string
	for k, ids := range owners {
		if len(ids) > 1 {
			doubled = append(doubled, fmt.Sprintf("%s/%s in %s", shortID(k.Showtime), k.Seat, strings.Join(ids, " and ")))
		}
	}
	slices.Sort(doubled)
	switch {
	case len(doubled) > 0:
		return newCheck(CheckNoSeatInTwoBookings, StatusFailed, fmt.Sprintf("%s: %d seats in two or more confirmed bookings: %s",
			d.Source, len(doubled), examples(doubled))).counted(len(owners), 0, "seats")
	case len(owners) == 0:
		return newCheck(CheckNoSeatInTwoBookings, StatusSkipped, d.Source+": no confirmed booking to check")
	}
	return newCheck(CheckNoSeatInTwoBookings, StatusOK, fmt.Sprintf("%s: %d confirmed seats in %d bookings, none twice",
		d.Source, len(owners), countStatus(d, boxoffice.BookingConfirmed))).counted(len(owners), 0, "seats")
}

// seatOwners maps each seat to the confirmed bookings that hold it.
func seatOwners(d *AuditData) map[SeatKey][]string {
	owners := map[SeatKey][]string{}
	for _, id := range slices.Sorted(maps.Keys(d.Bookings)) {
		b := d.Bookings[id]
		if b.Status != boxoffice.BookingConfirmed {
			continue
		}
		for _, s := range b.Seats {
			k := SeatKey{b.ShowtimeID, s}
			owners[k] = append(owners[k], b.ID)
		}
	}
	return owners
}

// BookedSeatsMatchBookings: every seat a map shows booked belongs to exactly
// one confirmed booking, and every seat of a confirmed booking shows
// booked.
func BookedSeatsMatchBookings(d *AuditData) Check {
	owners := seatOwners(d)
	var bad []string
	booked := 0
	for st, seats := range d.SeatMaps {
		for seat, status := range seats {
			n := len(owners[SeatKey{st, seat}])
			if status == boxoffice.SeatBooked {
				booked++
			}
			switch {
			case status == boxoffice.SeatBooked && n != 1:
				bad = append(bad, fmt.Sprintf("%s/%s booked on the map, in %d confirmed bookings", shortID(st), seat, n))
			case status != boxoffice.SeatBooked && n > 0:
				bad = append(bad, fmt.Sprintf("%s/%s %s on the map, in a confirmed booking", shortID(st), seat, status))
			}
		}
	}
	for k := range owners {
		if _, ok := d.SeatMaps[k.Showtime][k.Seat]; !ok {
			bad = append(bad, fmt.Sprintf("%s/%s in a confirmed booking, missing from the map", shortID(k.Showtime), k.Seat))
		}
	}
	slices.Sort(bad)
	if n := notFinal(d); n != "" {
		bad = append(bad, n)
	}
	switch {
	case len(bad) > 0:
		return newCheck(CheckBookedSeatsMatch, StatusFailed, fmt.Sprintf("%s: %d mismatches: %s", d.Source, len(bad), examples(bad))).
			counted(len(d.SeatMaps), 0, "showtimes")
	case len(d.SeatMaps) == 0:
		return newCheck(CheckBookedSeatsMatch, StatusSkipped, d.Source+": no seat map to check")
	}
	return newCheck(CheckBookedSeatsMatch, StatusOK, fmt.Sprintf("%s: %d showtimes, %d booked seats, each in exactly one confirmed booking",
		d.Source, len(d.SeatMaps), booked)).counted(len(d.SeatMaps), 0, "showtimes")
}

// notFinal names bookings still pending or cancelling after the settle
// wait: their seats are in between.
func notFinal(d *AuditData) string {
	var ids []string
	for id, b := range d.Bookings {
		if b.Status == boxoffice.BookingPending || b.Status == boxoffice.BookingCancelling {
			ids = append(ids, id+" "+b.Status)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	slices.Sort(ids)
	return fmt.Sprintf("%d bookings never settled (e.g. %s)", len(ids), strings.Join(ids[:min(len(ids), bookingsNotFinalDetailLimit)], ", "))
}

// AcknowledgedBookingsConfirmed: every booking the harness got a 2xx for is
// confirmed, or cancelled when the harness cancelled it.
func AcknowledgedBookingsConfirmed(d *AuditData, acks []Ack) Check {
	var bad []string
	for _, a := range acks {
		b := d.Bookings[a.BookingID]
		var ok bool
		switch {
		case b == nil:
			bad = append(bad, a.BookingID+" missing")
			continue
		case a.Cancel == ResultOK:
			ok = b.Status == boxoffice.BookingCancelled
		case a.Cancel == ResultUnknown:
			ok = b.Status == boxoffice.BookingConfirmed || b.Status == boxoffice.BookingCancelled
		default:
			ok = b.Status == boxoffice.BookingConfirmed
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%s %s", a.BookingID, b.Status))
		}
	}
	slices.Sort(bad)
	switch {
	case len(bad) > 0:
		return newCheck(CheckAcknowledgedConfirmed, StatusFailed, fmt.Sprintf("%s: %d of %d acknowledged bookings wrong: %s",
			d.Source, len(bad), len(acks), examples(bad))).counted(len(acks), 0, "bookings")
	case len(acks) == 0:
		return newCheck(CheckAcknowledgedConfirmed, StatusSkipped, d.Source+": no booking was acknowledged, nothing to check")
	}
	return newCheck(CheckAcknowledgedConfirmed, StatusOK, fmt.Sprintf("%s: all %d acknowledged bookings confirmed (or cancelled by the harness)",
		d.Source, len(acks))).counted(len(acks), 0, "bookings")
}

// MoneyBalances: money captured minus money refunded equals the value
// of the confirmed bookings, each payment's amount is its booking's total,
// and each booking's payment agrees with its status (confirmed: captured;
// cancelled: refunded; failed: not captured). The amounts are the ones the
// payments store recorded; a view that does not show them (the API) checks
// the statuses only and is inconclusive.
func MoneyBalances(d *AuditData) Check {
	var captured, refunded, confirmed int64
	var bad []string
	paid, unread := 0, 0
	for _, id := range slices.Sorted(maps.Keys(d.Bookings)) {
		b := d.Bookings[id]
		if b.Status == boxoffice.BookingConfirmed {
			confirmed += b.TotalCents
		}
		if want := paymentFor(b.Status); want != "" && b.PaymentStatus != want {
			bad = append(bad, fmt.Sprintf("%s %s with payment %q", id, b.Status, b.PaymentStatus))
		}
		if b.Status == boxoffice.BookingFailed && b.PaymentStatus == boxoffice.PaymentCaptured {
			bad = append(bad, id+" failed with payment captured")
		}
		if b.PaymentStatus != boxoffice.PaymentCaptured && b.PaymentStatus != boxoffice.PaymentRefunded {
			continue
		}
		paid++
		if b.PaymentCentsUnknown {
			unread++
			continue
		}
		captured += b.PaymentCents
		if b.PaymentStatus == boxoffice.PaymentRefunded {
			refunded += b.PaymentCents
		}
		if b.PaymentCents != b.TotalCents {
			bad = append(bad, fmt.Sprintf("%s paid %d cents for a total of %d", id, b.PaymentCents, b.TotalCents))
		}
	}
	sums := fmt.Sprintf("captured %d - refunded %d = %d cents; confirmed bookings %d cents",
		captured, refunded, captured-refunded, confirmed)
	switch {
	case len(bad) > 0 || unread == 0 && captured-refunded != confirmed:
		return newCheck(CheckMoneyBalances, StatusFailed, fmt.Sprintf("%s: %s; %d bookings disagree with their payment: %s",
			d.Source, sums, len(bad), examples(bad))).counted(paid-unread, unread, "payments")
	case unread > 0:
		return newCheck(CheckMoneyBalances, StatusInconclusive, fmt.Sprintf(
			"%s: the payment status of %d bookings agrees with the booking; the amounts of %d payments are not visible here, so the sums were not compared (audit the stores: --data or --database-url)",
			d.Source, len(d.Bookings), unread)).counted(paid-unread, unread, "payments")
	case len(d.Bookings) == 0:
		return newCheck(CheckMoneyBalances, StatusSkipped, d.Source+": no booking, no money to balance")
	}
	return newCheck(CheckMoneyBalances, StatusOK, fmt.Sprintf("%s: %s (%d bookings, %d payments)", d.Source, sums, len(d.Bookings), paid)).
		counted(paid, 0, "payments")
}

// paymentFor is the payment status a settled booking status implies.
func paymentFor(status string) string {
	switch status {
	case boxoffice.BookingConfirmed:
		return boxoffice.PaymentCaptured
	case boxoffice.BookingCancelled:
		return boxoffice.PaymentRefunded
	}
	return ""
}

func countStatus(d *AuditData, status string) int {
	n := 0
	for _, b := range d.Bookings {
		if b.Status == status {
			n++
		}
	}
	return n
}

func examples(items []string) string {
	if len(items) > examplesMax {
		return strings.Join(items[:examplesMax], "; ") + fmt.Sprintf("; ... %d more", len(items)-examplesMax)
	}
	return strings.Join(items, "; ")
}
