package http

import (
	_ "embed"
	nethttp "net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the API's contract: every route of the server in
// OpenAPI 3.1. A test walks the router and this document and fails if they
// differ.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI document the server publishes.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

func (s *Server) handleOpenAPI(c echo.Context) error {
	return c.Blob(nethttp.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
