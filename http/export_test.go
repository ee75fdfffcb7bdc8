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
