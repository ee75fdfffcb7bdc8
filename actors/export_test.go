package actors

// SetShowtimeCancelPage makes b's CancelShowtime read a showtime's bookings
// n at a time, so that a test covers several pages with a small hall.
func SetShowtimeCancelPage(b *Bookings, n int) { b.cancelPage = n }
