package http

// RoutesOf lists the method and path of every route the server registered,
// for the test that compares them with the OpenAPI document.
func RoutesOf(s *Server) [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

// RateLimitKeys returns how many keys the named rate limit remembers, for
// the test that bounds its memory.
func RateLimitKeys(s *Server, name string) int {
	if s.limits == nil {
		return 0
	}
	return s.limits[name].len()
}

// ErrorJSON returns the body of an error answer as the server writes it,
// and whether it was built without encoding/json, for the test that
// compares it with encoding/json's.
func ErrorJSON(code, message string, details map[string]any) ([]byte, bool) {
	return appendErrorJSON(nil, errorBody{Code: code, Message: message, Details: details})
}

// ClientKey is how the rate limits and logs name a client address.
func ClientKey(raw string) string { return clientKey(raw) }

// ParseHoldSeats is the parser of the common hold request.
func ParseHoldSeats(b []byte) ([]string, bool) { return parseHoldSeats(b) }
