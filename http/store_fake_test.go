package http_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// In-memory stores, simple and mutex-guarded: enough to drive the server
// while the real stores are written elsewhere. They copy on the way in and
// out so that the server cannot share memory with them by accident.

// paginate returns up to p.Limit items after p.Cursor of items sorted by
// key, and the cursor of the next page.
func paginate[T any](items []T, key func(T) string, p boxoffice.Page, desc bool) ([]T, string) {
	p = p.Normalize()
	slices.SortFunc(items, func(a, b T) int {
		if desc {
			return cmp.Compare(key(b), key(a))
		}
		return cmp.Compare(key(a), key(b))
	})
	start := 0
	if p.Cursor != "" {
		start = len(items)
		for i, it := range items {
			if desc && key(it) < p.Cursor || !desc && key(it) > p.Cursor {
				start = i
				break
			}
		}
	}
	items = items[start:]
	if len(items) <= p.Limit {
		return items, ""
	}
	return items[:p.Limit], key(items[p.Limit-1])
}

type memUsers struct {
	mu     sync.Mutex
	users  map[string]boxoffice.User
	tokens map[string]boxoffice.RefreshToken
}

func newMemUsers() *memUsers {
	return &memUsers{users: map[string]boxoffice.User{}, tokens: map[string]boxoffice.RefreshToken{}}
}

func (s *memUsers) CreateUser(_ context.Context, u *boxoffice.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.users {
		if o.Email == u.Email {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "email taken")
		}
	}
	s.users[u.ID] = *u
	return nil
}

func (s *memUsers) UserByID(_ context.Context, id string) (*boxoffice.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "user not found")
	}
	return &u, nil
}

func (s *memUsers) UserByEmail(_ context.Context, email string) (*boxoffice.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Email == email {
			return &u, nil
		}
	}
	return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "user not found")
}

func (s *memUsers) update(id string, f func(*boxoffice.User)) (*boxoffice.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "user not found")
	}
	f(&u)
	s.users[id] = u
	return &u, nil
}

func (s *memUsers) UpdateUserName(_ context.Context, id, name string) (*boxoffice.User, error) {
	return s.update(id, func(u *boxoffice.User) { u.Name = name })
}

func (s *memUsers) SetUserRole(_ context.Context, id, role string) (*boxoffice.User, error) {
	return s.update(id, func(u *boxoffice.User) { u.Role = role })
}

func (s *memUsers) UpsertAdmin(_ context.Context, u *boxoffice.User) (*boxoffice.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.users {
		if o.Email == u.Email {
			o.Role, o.PasswordHash = boxoffice.RoleAdmin, u.PasswordHash
			s.users[id] = o
			return &o, nil
		}
	}
	s.users[u.ID] = *u
	return u, nil
}

func (s *memUsers) CreateRefreshToken(_ context.Context, t *boxoffice.RefreshToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.Hash] = *t
	return nil
}

func (s *memUsers) UseRefreshToken(_ context.Context, hash string, now time.Time) (*boxoffice.RefreshToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	errInvalid := boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "invalid refresh token")
	t, ok := s.tokens[hash]
	switch {
	case !ok:
		return nil, errInvalid
	case t.UsedAt != nil:
		for h, o := range s.tokens {
			if o.Family == t.Family {
				o.RevokedAt = &now
				s.tokens[h] = o
			}
		}
		return nil, errInvalid
	case t.RevokedAt != nil || !now.Before(t.ExpiresAt):
		return nil, errInvalid
	}
	before := t
	t.UsedAt = &now
	s.tokens[hash] = t
	return &before, nil
}

type memCatalog struct {
	mu        sync.Mutex
	movies    map[string]boxoffice.Movie
	cinemas   map[string]boxoffice.Cinema
	halls     map[string]boxoffice.Hall
	showtimes map[string]boxoffice.Showtime
}

func newMemCatalog() *memCatalog {
	return &memCatalog{movies: map[string]boxoffice.Movie{}, cinemas: map[string]boxoffice.Cinema{},
		halls: map[string]boxoffice.Hall{}, showtimes: map[string]boxoffice.Showtime{}}
}

func notFound(what string) error { return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", what) }

func (s *memCatalog) CreateMovie(_ context.Context, m *boxoffice.Movie) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *m
	c.Genres = slices.Clone(m.Genres)
	s.movies[m.ID] = c
	return nil
}

func (s *memCatalog) Movie(_ context.Context, id string) (*boxoffice.Movie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.movies[id]
	if !ok {
		return nil, notFound("movie")
	}
	return &m, nil
}

func (s *memCatalog) Movies(_ context.Context, f boxoffice.MovieFilter) ([]*boxoffice.Movie, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*boxoffice.Movie
	for _, m := range s.movies {
		if f.Query != "" && !strings.Contains(strings.ToLower(m.Title), strings.ToLower(f.Query)) {
			continue
		}
		if f.Genre != "" && !slices.Contains(m.Genres, f.Genre) {
			continue
		}
		out = append(out, &m)
	}
	items, next := paginate(out, func(m *boxoffice.Movie) string { return m.ID }, f.Page, false)
	return items, next, nil
}

func (s *memCatalog) UpdateMovie(_ context.Context, m *boxoffice.Movie) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.movies[m.ID]; !ok {
		return notFound("movie")
	}
	s.movies[m.ID] = *m
	return nil
}

func (s *memCatalog) DeleteMovie(_ context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.movies[id]; !ok {
		return notFound("movie")
	}
	for _, st := range s.showtimes {
		if st.MovieID == id && st.Status == boxoffice.ShowtimeScheduled && st.StartsAt.After(now) {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "movie has future showtimes")
		}
	}
	delete(s.movies, id)
	return nil
}

func (s *memCatalog) CreateCinema(_ context.Context, c *boxoffice.Cinema) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cinemas[c.ID] = *c
	for _, h := range c.Halls {
		s.halls[h.ID] = h
	}
	return nil
}

func (s *memCatalog) Cinema(_ context.Context, id string) (*boxoffice.Cinema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cinemas[id]
	if !ok {
		return nil, notFound("cinema")
	}
	return &c, nil
}

func (s *memCatalog) Cinemas(_ context.Context, p boxoffice.Page) ([]*boxoffice.Cinema, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*boxoffice.Cinema
	for _, c := range s.cinemas {
		out = append(out, &c)
	}
	items, next := paginate(out, func(c *boxoffice.Cinema) string { return c.ID }, p, false)
	return items, next, nil
}

func (s *memCatalog) Hall(_ context.Context, id string) (*boxoffice.Hall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.halls[id]
	if !ok {
		return nil, notFound("hall")
	}
	return &h, nil
}

func (s *memCatalog) CreateShowtime(_ context.Context, st *boxoffice.Showtime) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.showtimes[st.ID] = *st
	return nil
}

func (s *memCatalog) Showtime(_ context.Context, id string) (*boxoffice.Showtime, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.showtimes[id]
	if !ok {
		return nil, notFound("showtime")
	}
	return &st, nil
}

func (s *memCatalog) Showtimes(_ context.Context, f boxoffice.ShowtimeFilter) ([]*boxoffice.Showtime, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*boxoffice.Showtime
	for _, st := range s.showtimes {
		switch {
		case f.MovieID != "" && st.MovieID != f.MovieID,
			f.CinemaID != "" && st.CinemaID != f.CinemaID,
			!f.From.IsZero() && st.StartsAt.Before(f.From),
			!f.To.IsZero() && !st.StartsAt.Before(f.To):
			continue
		}
		out = append(out, &st)
	}
	items, next := paginate(out, func(st *boxoffice.Showtime) string { return st.ID }, f.Page, false)
	return items, next, nil
}

func (s *memCatalog) CancelShowtime(_ context.Context, id string) (*boxoffice.Showtime, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.showtimes[id]
	if !ok {
		return nil, notFound("showtime")
	}
	st.Status = boxoffice.ShowtimeCancelled
	s.showtimes[id] = st
	return &st, nil
}

type memNotifications struct {
	mu    sync.Mutex
	notes map[string]boxoffice.Notification
}

func newMemNotifications() *memNotifications {
	return &memNotifications{notes: map[string]boxoffice.Notification{}}
}

func (s *memNotifications) EnqueueNotification(_ context.Context, n *boxoffice.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.notes[n.ID]; !ok {
		s.notes[n.ID] = *n
	}
	return nil
}

func (s *memNotifications) DueNotifications(context.Context, time.Time, int) ([]*boxoffice.Notification, error) {
	return nil, nil
}

func (s *memNotifications) MarkDelivered(context.Context, string, time.Time) error { return nil }

func (s *memNotifications) MarkAttempt(context.Context, string, time.Time, string) error { return nil }

func (s *memNotifications) NotificationsByUser(_ context.Context, userID string, p boxoffice.Page) ([]*boxoffice.Notification, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*boxoffice.Notification
	for _, n := range s.notes {
		if n.UserID == userID {
			out = append(out, &n)
		}
	}
	items, next := paginate(out, func(n *boxoffice.Notification) string { return n.CreatedAt.Format(time.RFC3339Nano) + n.ID }, p, true)
	return items, next, nil
}
