package http

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

const (
	headerIdempotencyKey = "Idempotency-Key"
	paymentTokenLenMax   = 256
)

func (s *Server) bookingRoutes(g *echo.Group) {
	g.POST("/bookings", s.handleCreateBooking, s.authn)
	g.GET("/bookings", s.handleBookings, s.authn)
	g.GET("/bookings/:id", s.handleBooking, s.authn)
	g.POST("/bookings/:id/cancel", s.handleCancelBooking, s.authn)
}

type bookingRequest struct {
	HoldID  string         `json:"hold_id"`
	Payment paymentRequest `json:"payment"`
}

type paymentRequest struct {
	Method string `json:"method"`
	Token  string `json:"token"`
}

func (r *bookingRequest) validate() error {
	switch {
	case r.HoldID == "":
		return boxoffice.Errorf(boxoffice.EINVALID, "hold_id is required")
	case r.Payment.Method != boxoffice.PaymentMethodCard:
		return boxoffice.Errorf(boxoffice.EINVALID, "payment.method must be %q", boxoffice.PaymentMethodCard)
	case r.Payment.Token == "":
		return boxoffice.Errorf(boxoffice.EINVALID, "payment.token is required")
	case len(r.Payment.Token) > paymentTokenLenMax:
		return boxoffice.Errorf(boxoffice.EINVALID, "payment.token is longer than %d bytes", paymentTokenLenMax)
	}
	if _, err := boxoffice.HoldShowtimeID(r.HoldID); err != nil {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "hold_id: hold not found")
	}
	return nil
}

// hash is the SHA-256 of the request re-encoded canonically (fixed field
// order, no whitespace), so that a retry with the same content matches
// whatever its formatting.
func (r *bookingRequest) hash() string {
	b, _ := json.Marshal(r) // strings and structs only: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// handleCreateBooking runs the booking saga. With an Idempotency-Key the
// same request gets the first answer again; another body under the same
// key is 409.
func (s *Server) handleCreateBooking(c echo.Context) error {
	key := c.Request().Header.Get(headerIdempotencyKey)
	if len(key) > boxoffice.IdempotencyKeyLenMax {
		return boxoffice.Errorf(boxoffice.EINVALID, "%s is longer than %d bytes", headerIdempotencyKey, boxoffice.IdempotencyKeyLenMax)
	}
	var req bookingRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	b, err := s.cfg.Bookings.CreateBooking(c.Request().Context(), boxoffice.CreateBookingRequest{
		UserID:         callerOf(c).UserID,
		HoldID:         req.HoldID,
		PaymentMethod:  req.Payment.Method,
		PaymentToken:   req.Payment.Token,
		IdempotencyKey: key,
		RequestHash:    req.hash(),
	})
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, b)
}

// handleBookings lists the caller's bookings, newest first.
func (s *Server) handleBookings(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	bookings, next, err := s.cfg.Bookings.Bookings(c.Request().Context(), callerOf(c), p)
	if err != nil {
		return err
	}
	return list(c, bookings, next)
}

// handleBooking shows a booking to its owner or an admin; to anyone else it
// does not exist.
func (s *Server) handleBooking(c echo.Context) error {
	id, err := pathID(c, "booking")
	if err != nil {
		return err
	}
	b, err := s.cfg.Bookings.Booking(c.Request().Context(), id, callerOf(c))
	if err != nil {
		return notFoundAs(err, "booking %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, b)
}

// handleCancelBooking cancels and refunds; cancelling twice answers the same.
func (s *Server) handleCancelBooking(c echo.Context) error {
	id, err := pathID(c, "booking")
	if err != nil {
		return err
	}
	b, err := s.cfg.Bookings.CancelBooking(c.Request().Context(), id, callerOf(c))
	if err != nil {
		return notFoundAs(err, "booking %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, b)
}
