package actors

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice"
)

// Metrics are the engine's Prometheus series: what the holds, bookings,
// payments, grains, seat journal and notifications of one node did. They
// are counted where the work happens; cmd/boxoffice makes them
// (NewMetrics), registers them (Collectors) and hands them to the engine
// (Config.Metrics). A nil *Metrics counts nothing, so an engine built
// without them (tests, benchmarks) pays one nil check per event.
//
// Labels take a few fixed values each, resolved once in NewMetrics: the
// hot paths add to a counter they already hold, with no label lookup, and
// no series ever names a showtime, user or booking.
type Metrics struct {
	holds         [holdResults]prometheus.Counter
	bookings      [bookingStatuses]prometheus.Counter
	sagaSteps     [sagaSteps]prometheus.Observer
	payments      [paymentResults]prometheus.Counter
	activations   [grainKinds]prometheus.Counter
	notifications [notifyResults]prometheus.Counter
	flushEvents   prometheus.Histogram
	flushSeconds  prometheus.Histogram
	collectors    []prometheus.Collector
}

// holdResult is the outcome of a hold request, as the showtime answered it.
type holdResult int

const (
	holdOK          holdResult = iota
	holdConflict               // 409: seats taken, a hold cap, a cancelled or started showtime
	holdLimited                // 429: the cool-down, an overloaded showtime
	holdRejected               // the request was wrong: unknown seats, no such showtime
	holdUnavailable            // 503: fenced, busy journal, store down; the caller may retry
	holdError                  // anything else (internal)
	holdResults
)

var holdResultNames = [holdResults]string{"ok", "conflict", "limited", "rejected", "unavailable", "error"}

// holdResultOf sorts a hold's answer into its result.
func holdResultOf(err error) holdResult {
	switch boxoffice.ErrorCode(err) {
	case "":
		return holdOK
	case boxoffice.ECONFLICT:
		return holdConflict
	case boxoffice.ETOOMANYREQUESTS:
		return holdLimited
	case boxoffice.EINVALID, boxoffice.ENOTFOUND, boxoffice.EGONE, boxoffice.EUNPROCESSABLE, boxoffice.EFORBIDDEN:
		return holdRejected
	case boxoffice.EUNAVAILABLE:
		return holdUnavailable
	}
	return holdError
}

// bookingStatus is how a booking ended.
type bookingStatus int

const (
	bookingConfirmed bookingStatus = iota
	bookingFailed
	bookingCancelled
	bookingStatuses
)

var bookingStatusNames = [bookingStatuses]string{
	boxoffice.BookingConfirmed, boxoffice.BookingFailed, boxoffice.BookingCancelled,
}

// sagaStep is one timed step of the booking saga (booking_saga.go).
type sagaStep int

const (
	stepClaim         sagaStep = iota // claim the hold in its showtime grain
	stepCreate                        // record the booking pending
	stepCharge                        // the card gateway's charge (through the payment actor)
	stepRecordPayment                 // store the gateway's answer
	stepConfirmSeats                  // the showtime books the seats (with its retries)
	stepRefund                        // the card gateway's refund (through the payment actor)
	stepFreeSeats                     // the showtime frees the seats of a failed or cancelled booking
	stepNotify                        // enqueue the notification
	stepSave                          // store the booking's new status
	sagaSteps
)

var sagaStepNames = [sagaSteps]string{
	"claim", "create", "charge", "record_payment", "confirm_seats", "refund", "free_seats", "notify", "save",
}

// paymentOutcome is what the card gateway answered.
type paymentOutcome int

const (
	paymentCaptured paymentOutcome = iota
	paymentDeclined
	paymentRefunded
	paymentError // no answer, or a refund refused: the outcome is settled later
	paymentResults
)

var paymentResultNames = [paymentResults]string{"captured", "declined", "refunded", "error"}

// grainKind indexes the cluster kinds.
type grainKind int

const (
	grainShowtime grainKind = iota
	grainBooking
	grainKinds
)

var grainKindNames = [grainKinds]string{KindShowtime, KindBooking}

// notifyResult is the outcome of one delivery attempt.
type notifyResult int

const (
	notifyDelivered notifyResult = iota
	notifyRetry                  // failed; another attempt is due later
	notifyDropped                // failed for the last time: given up
	notifyResults
)

var notifyResultNames = [notifyResults]string{"delivered", "retry", "dropped"}

// Buckets of the histograms.
var (
	// sagaStepBuckets span a store write (a millisecond) to the card
	// gateway's timeout (chargeTimeoutDefault).
	sagaStepBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	// flushSecondsBuckets span one journal write, up to writeTimeout.
	flushSecondsBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	// flushEventsBuckets: 1 to 8192 events in a write, doubling.
	flushEventsBuckets = prometheus.ExponentialBuckets(1, 2, 14)
)

// NewMetrics makes the engine's series, every label value resolved.
func NewMetrics() *Metrics {
	m := &Metrics{}
	m.counters(m.holds[:], holdResultNames[:], "boxoffice_holds_total", "result",
		"Hold requests answered by a showtime, by result: ok, conflict (seats taken, a hold cap, a cancelled or started showtime), limited (cool-down, overloaded showtime), rejected (unknown seats or showtime), unavailable (retry), error.")
	m.counters(m.bookings[:], bookingStatusNames[:], "boxoffice_bookings_total", "status",
		"Bookings that ended on this node, by status: confirmed, failed (declined, or the seats could not be booked), cancelled.")
	m.counters(m.payments[:], paymentResultNames[:], "boxoffice_payments_total", "result",
		"Card gateway answers, by result: captured, declined, refunded, error (no answer, or a refund that did not go through; settled later).")
	m.counters(m.activations[:], grainKindNames[:], "boxoffice_grain_activations_total", "kind",
		"Grains activated on this node, by kind (showtime, booking); an idle grain passivates and a later command activates it again.")
	m.counters(m.notifications[:], notifyResultNames[:], "boxoffice_notifications_total", "result",
		"Notification delivery attempts, by result: delivered, retry (failed, tried again later), dropped (failed for the last time).")
	steps := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "boxoffice_saga_step_seconds",
		Help:    "Duration of the booking saga's steps, by step: claim, create, charge, record_payment, confirm_seats, refund, free_seats, notify, save.",
		Buckets: sagaStepBuckets,
	}, []string{"step"})
	for i, name := range sagaStepNames {
		m.sagaSteps[i] = steps.WithLabelValues(name)
	}
	m.flushEvents = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "boxoffice_journal_flush_events",
		Help:    "Seat events carried by one write of the seat journal committer (the batches of one or more showtimes).",
		Buckets: flushEventsBuckets,
	})
	m.flushSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "boxoffice_journal_flush_seconds",
		Help:    "Duration of one write of the seat journal committer (one store call).",
		Buckets: flushSecondsBuckets,
	})
	m.collectors = append(m.collectors, steps, m.flushEvents, m.flushSeconds)
	return m
}

// counters makes a counter family with one label and resolves its values:
// out[i] counts values[i].
func (m *Metrics) counters(out []prometheus.Counter, values []string, name, label, help string) {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	m.collectors = append(m.collectors, v)
	for i, value := range values {
		out[i] = v.WithLabelValues(value)
	}
}

// Collectors are the series to register (once, on one registry).
func (m *Metrics) Collectors() []prometheus.Collector { return m.collectors }

// hold counts a hold request's answer.
func (m *Metrics) hold(err error) {
	if m != nil {
		m.holds[holdResultOf(err)].Inc()
	}
}

// booking counts a booking that ended.
func (m *Metrics) booking(s bookingStatus) {
	if m != nil {
		m.bookings[s].Inc()
	}
}

// step times a saga step that began at start.
func (m *Metrics) step(s sagaStep, start time.Time) {
	if m != nil {
		m.sagaSteps[s].Observe(time.Since(start).Seconds())
	}
}

// payment counts a card gateway answer.
func (m *Metrics) payment(r paymentOutcome) {
	if m != nil {
		m.payments[r].Inc()
	}
}

// activated counts a grain activation.
func (m *Metrics) activated(k grainKind) {
	if m != nil {
		m.activations[k].Inc()
	}
}

// notification counts a delivery attempt.
func (m *Metrics) notification(r notifyResult) {
	if m != nil {
		m.notifications[r].Inc()
	}
}

// journalFlush records one journal write of events that took d.
func (m *Metrics) journalFlush(events int, d time.Duration) {
	if m != nil {
		m.flushEvents.Observe(float64(events))
		m.flushSeconds.Observe(d.Seconds())
	}
}
