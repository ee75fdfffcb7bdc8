package boxoffice_test

import (
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice"
)

func TestCreateBookingRequestValidate(t *testing.T) {
	valid := boxoffice.CreateBookingRequest{
		UserID: "u1", HoldID: boxoffice.NewHoldID(boxoffice.NewID()),
		PaymentMethod: boxoffice.PaymentMethodCard, PaymentToken: "tok_visa",
		IdempotencyKey: strings.Repeat("k", boxoffice.IdempotencyKeyLenMax),
	}
	tests := []struct {
		name          string
		edit          func(r *boxoffice.CreateBookingRequest)
		code, message string
	}{
		{"valid", func(*boxoffice.CreateBookingRequest) {}, "", ""},
		{"no key", func(r *boxoffice.CreateBookingRequest) { r.IdempotencyKey = "" }, "", ""},
		{"no user", func(r *boxoffice.CreateBookingRequest) { r.UserID = "" },
			boxoffice.EUNAUTHORIZED, "a user is required"},
		{"key too long", func(r *boxoffice.CreateBookingRequest) { r.IdempotencyKey += "k" },
			boxoffice.EINVALID, "Idempotency-Key is longer than 255 bytes"},
		{"no hold", func(r *boxoffice.CreateBookingRequest) { r.HoldID = "" },
			boxoffice.EINVALID, "hold_id is required"},
		{"not a card", func(r *boxoffice.CreateBookingRequest) { r.PaymentMethod = "cash" },
			boxoffice.EINVALID, `payment.method must be "card"`},
		{"no token", func(r *boxoffice.CreateBookingRequest) { r.PaymentToken = "" },
			boxoffice.EINVALID, "payment.token is required"},
		{"token too long", func(r *boxoffice.CreateBookingRequest) {
			r.PaymentToken = strings.Repeat("t", boxoffice.PaymentTokenLenMax+1)
		}, boxoffice.EINVALID, "payment.token is longer than 256 bytes"},
		{"token at the limit", func(r *boxoffice.CreateBookingRequest) {
			r.PaymentToken = strings.Repeat("t", boxoffice.PaymentTokenLenMax)
		}, "", ""},
		{"hold ID no hold can have", func(r *boxoffice.CreateBookingRequest) { r.HoldID = "nope" },
			boxoffice.ENOTFOUND, "hold_id: hold not found"},
		{"the key is checked before the body", func(r *boxoffice.CreateBookingRequest) {
			r.IdempotencyKey += "k"
			r.HoldID = ""
		}, boxoffice.EINVALID, "Idempotency-Key is longer than 255 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid
			tt.edit(&r)
			err := r.Validate()
			if boxoffice.ErrorCode(err) != tt.code || (err != nil && boxoffice.ErrorMessage(err) != tt.message) {
				t.Fatalf("Validate() = %v, want %q %q", err, tt.code, tt.message)
			}
		})
	}
}
