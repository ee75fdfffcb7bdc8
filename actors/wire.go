package actors

import (
	"encoding/json"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/boxoffice/boxoffice"
)

// This file converts between the domain types and the messages of
// boxoffice.proto, in both directions: everything that crosses nodes goes
// through one of these functions.

// failureOf turns an error into the Failure reply that carries it across
// nodes. Errors that are not application errors become internal ones; the
// grain logs them before replying.
func failureOf(err error) *Failure {
	return &Failure{
		Code:    boxoffice.ErrorCode(err),
		Message: boxoffice.ErrorMessage(err),
		Details: detailsOf(boxoffice.ErrorDetails(err)),
	}
}

// Err turns a Failure back into a *boxoffice.Error.
func (f *Failure) Err() error {
	return &boxoffice.Error{Code: f.Code, Message: f.Message, Details: detailsFrom(f.Details)}
}

// detailsOf carries an error's details as JSON values, which is how the
// HTTP answer shows them anyway. A value that cannot be a JSON value is
// left out rather than failing the reply that explains an error.
func detailsOf(d map[string]any) *structpb.Struct {
	if len(d) == 0 {
		return nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(d))}
	for k, v := range d {
		if pv, err := detailValue(v); err == nil {
			s.Fields[k] = pv
		}
	}
	return s
}

// detailValue converts the values structpb knows directly and any other
// (a []string, a struct) through its JSON form.
func detailValue(v any) (*structpb.Value, error) {
	if pv, err := structpb.NewValue(v); err == nil {
		return pv, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	return structpb.NewValue(generic)
}

// detailsFrom is the inverse of detailsOf. Lists of strings (the seats of
// a hold conflict) come back as []string, as the seat map made them;
// numbers come back as float64, as from any JSON.
func detailsFrom(s *structpb.Struct) map[string]any {
	if len(s.GetFields()) == 0 {
		return nil
	}
	d := make(map[string]any, len(s.Fields))
	for k, v := range s.Fields {
		if ss, ok := stringsOf(v); ok {
			d[k] = ss
			continue
		}
		d[k] = v.AsInterface()
	}
	return d
}

// stringsOf returns a list value whose items are all strings as []string.
func stringsOf(v *structpb.Value) ([]string, bool) {
	l, ok := v.GetKind().(*structpb.Value_ListValue)
	if !ok {
		return nil, false
	}
	out := make([]string, len(l.ListValue.GetValues()))
	for i, item := range l.ListValue.GetValues() {
		s, ok := item.GetKind().(*structpb.Value_StringValue)
		if !ok {
			return nil, false
		}
		out[i] = s.StringValue
	}
	return out, true
}

// bookingInfo is the wire form of a booking, the reply of a booking grain.
func bookingInfo(b *boxoffice.Booking) *BookingInfo {
	bi := &BookingInfo{
		Id: b.ID, UserId: b.UserID, ShowtimeId: b.ShowtimeID, HoldId: b.HoldID, Seats: b.Seats,
		TotalCents: b.TotalCents, Currency: b.Currency, Status: b.Status,
		Failure: b.Failure, FailureCode: b.FailureCode,
		CreatedAt: timestampOf(b.CreatedAt), UpdatedAt: timestampOf(b.UpdatedAt),
	}
	if b.Payment != nil {
		bi.Payment = &PaymentSummaryInfo{Id: b.Payment.ID, Status: b.Payment.Status}
	}
	return bi
}

// bookingOf is the inverse of bookingInfo.
func bookingOf(bi *BookingInfo) *boxoffice.Booking {
	b := &boxoffice.Booking{
		ID: bi.Id, UserID: bi.UserId, ShowtimeID: bi.ShowtimeId, HoldID: bi.HoldId, Seats: bi.Seats,
		TotalCents: bi.TotalCents, Currency: bi.Currency, Status: bi.Status,
		Failure: bi.Failure, FailureCode: bi.FailureCode,
		CreatedAt: timeOf(bi.CreatedAt), UpdatedAt: timeOf(bi.UpdatedAt),
	}
	if bi.Payment != nil {
		b.Payment = &boxoffice.PaymentSummary{ID: bi.Payment.Id, Status: bi.Payment.Status}
	}
	return b
}

// timestampOf leaves a zero time out, so that it comes back zero.
func timestampOf(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// holdInfo is the wire form of a hold.
func holdInfo(h *boxoffice.Hold) *HoldInfo {
	hi := &HoldInfo{HoldId: h.ID, ShowtimeId: h.ShowtimeID, Owner: h.Owner, Seats: h.Seats,
		TotalCents: h.TotalCents, Currency: h.Currency}
	if !h.ExpiresAt.IsZero() { // a hold that became a booking has no expiry
		hi.ExpiresAtMs = h.ExpiresAt.UnixMilli()
	}
	return hi
}

// holdOf is the inverse of holdInfo.
func holdOf(h *HoldInfo) *boxoffice.Hold {
	out := &boxoffice.Hold{ID: h.HoldId, ShowtimeID: h.ShowtimeId, Owner: h.Owner, Seats: h.Seats,
		TotalCents: h.TotalCents, Currency: h.Currency}
	if h.ExpiresAtMs != 0 {
		out.ExpiresAt = time.UnixMilli(h.ExpiresAtMs).UTC()
	}
	return out
}

// seatsReply is the wire form of a seat map view.
func seatsReply(v boxoffice.SeatMapView) *SeatsReply {
	r := &SeatsReply{Version: v.Version, Seats: make([]*SeatInfo, len(v.Seats))}
	for i, s := range v.Seats {
		r.Seats[i] = &SeatInfo{Id: s.ID, Category: s.Category, PriceCents: s.PriceCents, Status: string(s.Status)}
	}
	return r
}

// seatMapViewOf is the inverse of seatsReply; the reply does not repeat
// the showtime ID it was asked for.
func seatMapViewOf(showtimeID string, r *SeatsReply) *boxoffice.SeatMapView {
	v := &boxoffice.SeatMapView{ShowtimeID: showtimeID, Version: r.Version, Seats: make([]boxoffice.Seat, len(r.Seats))}
	for i, x := range r.Seats {
		v.Seats[i] = boxoffice.Seat{ID: x.Id, Category: x.Category, PriceCents: x.PriceCents, Status: boxoffice.SeatStatus(x.Status)}
	}
	return v
}

// seatChange is the wire form of one seat's new status.
func seatChange(id string, status boxoffice.SeatStatus) *SeatChange {
	return &SeatChange{Id: id, Status: string(status)}
}

// seatChangesOf is the domain form of a live-feed reply.
func seatChangesOf(r *SeatChangesReply) *boxoffice.SeatChanges {
	out := &boxoffice.SeatChanges{Version: r.Version, Full: r.Full, Changes: make([]boxoffice.SeatChange, len(r.Changes))}
	for i, c := range r.Changes {
		out.Changes[i] = boxoffice.SeatChange{ID: c.Id, Status: boxoffice.SeatStatus(c.Status)}
	}
	return out
}
