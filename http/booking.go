package http

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

const headerIdempotencyKey = "Idempotency-Key"

func (s *Server) bookingRoutes(g routeGroup) {
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
// key is 409. The request is checked here by the domain's own rule, so
// every implementation of the service answers a bad request alike.
func (s *Server) handleCreateBooking(c echo.Context) error {
	var body bookingRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req := boxoffice.CreateBookingRequest{
		UserID:         callerOf(c).UserID,
		HoldID:         body.HoldID,
		PaymentMethod:  body.Payment.Method,
		PaymentToken:   body.Payment.Token,
		IdempotencyKey: c.Request().Header.Get(headerIdempotencyKey),
		RequestHash:    body.hash(),
	}
	if err := req.Validate(); err != nil {
		return err
	}
	b, err := s.cfg.Bookings.CreateBooking(c.Request().Context(), req)
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
