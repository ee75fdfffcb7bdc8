package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
	bohttp "github.com/boxoffice/boxoffice/http"
)

// jwtSecret returns the configured secret or, for a single node on the
// embedded store, a development secret generated once and kept in the data
// directory so tokens survive a restart.
func (m *Main) jwtSecret() ([]byte, error) {
	if m.Config.JWTSecret != "" {
		return []byte(m.Config.JWTSecret), nil
	}
	path := filepath.Join(m.Config.DataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= bohttp.JWTSecretLenMin {
		m.Logger.Warn("using the development JWT secret from the data directory; set BOXOFFICE_JWT_SECRET in production", "path", path)
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write development JWT secret: %w", err)
	}
	m.Logger.Warn("generated a development JWT secret in the data directory; set BOXOFFICE_JWT_SECRET in production", "path", path)
	return []byte(secret), nil
}

// bootstrap creates the admin account from the environment and, with
// --demo, the demo catalog and user.
func (m *Main) bootstrap(ctx context.Context) error {
	if m.Config.AdminEmail != "" {
		err := m.upsertAdmin(ctx)
		switch {
		case boxoffice.IsStorageFull(err):
			// A node restarted on a full disk serves reads and answers
			// writes 503 until space is freed, rather than not running.
			m.Logger.Warn("admin account not updated: storage is full; writes are refused until space is freed", "err", err)
		case err != nil:
			return fmt.Errorf("admin bootstrap: %w", err)
		}
	}
	if m.Config.Demo {
		if err := seedDemo(ctx, m.Stores, m.Clock.Now()); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	return nil
}

func (m *Main) upsertAdmin(ctx context.Context) error {
	u, err := bohttp.EnsureAdmin(ctx, m.Stores.Users, m.Config.AdminEmail, m.Config.AdminPassword, 0, m.Clock.Now())
	if err != nil {
		return err
	}
	m.Logger.Info("admin account ready", "email", u.Email, "id", u.ID)
	return nil
}

// Demo user: a development default, printed as such at start.
const (
	demoUserEmail    = "demo@boxoffice.local"
	demoUserPassword = "demo-password"
)

// seedDemo fills an empty catalog with a few movies, one cinema with two
// halls and a week of showtimes, and creates the demo user.
func seedDemo(ctx context.Context, s *boxoffice.Stores, now time.Time) error {
	if err := seedDemoUser(ctx, s, now); err != nil {
		return err
	}
	movies, _, err := s.Catalog.Movies(ctx, boxoffice.MovieFilter{Page: boxoffice.Page{Limit: 1}})
	if err != nil || len(movies) > 0 {
		return err
	}
	cinema := &boxoffice.Cinema{ID: boxoffice.NewID(), Name: "Boxoffice Palace", City: "Lisbon", CreatedAt: now,
		Halls: []boxoffice.Hall{
			{Name: "Hall 1", Rows: demoRows("ABCDEFGH", 12, "HI")},
			{Name: "Hall 2", Rows: demoRows("ABCDEF", 10, "F")},
		}}
	for i := range cinema.Halls {
		cinema.Halls[i].ID, cinema.Halls[i].CinemaID = boxoffice.NewID(), cinema.ID
	}
	if err := s.Catalog.CreateCinema(ctx, cinema); err != nil {
		return err
	}
	for i, mv := range demoMovies(now) {
		if err := s.Catalog.CreateMovie(ctx, mv); err != nil {
			return err
		}
		if err := seedDemoShowtimes(ctx, s, now, mv, cinema.Halls[i%len(cinema.Halls)], i); err != nil {
			return err
		}
	}
	return nil
}

func seedDemoUser(ctx context.Context, s *boxoffice.Stores, now time.Time) error {
	if _, err := s.Users.UserByEmail(ctx, demoUserEmail); err == nil {
		return nil
	} else if boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		return err
	}
	hash, err := bohttp.HashPassword(demoUserPassword, 0)
	if err != nil {
		return err
	}
	err = s.Users.CreateUser(ctx, &boxoffice.User{ID: boxoffice.NewID(), Email: demoUserEmail, Name: "Demo User",
		Role: boxoffice.RoleUser, PasswordHash: hash, CreatedAt: now})
	if boxoffice.ErrorCode(err) == boxoffice.ECONFLICT {
		return nil // another node created it first
	}
	return err
}

// demoRows lays out rows of n seats; the rows in premium are premium.
func demoRows(rows string, n int, premium string) []boxoffice.Row {
	var out []boxoffice.Row
	for _, r := range rows {
		cat := "standard"
		if strings.ContainsRune(premium, r) {
			cat = "premium"
		}
		out = append(out, boxoffice.Row{Row: string(r), Seats: n, Category: cat})
	}
	return out
}

func demoMovies(now time.Time) []*boxoffice.Movie {
	mk := func(title, desc string, genres []string, mins int, rating string) *boxoffice.Movie {
		return &boxoffice.Movie{ID: boxoffice.NewID(), Title: title, Description: desc, Genres: genres,
			DurationMinutes: mins, Rating: rating, ReleaseDate: now.AddDate(0, -1, 0).Format(time.DateOnly), CreatedAt: now}
	}
	return []*boxoffice.Movie{
		mk("The Last Seat", "A sold-out premiere and one seat left.", []string{"thriller"}, 118, "PG-13"),
		mk("Popcorn Galaxy", "An animated trip through a cinema's projector.", []string{"animation", "family"}, 94, "PG"),
		mk("Midnight Matinee", "Two projectionists, one reel, no sleep.", []string{"comedy", "drama"}, 105, "R"),
	}
}

// seedDemoShowtimes schedules a week of evening shows from tomorrow.
func seedDemoShowtimes(ctx context.Context, s *boxoffice.Stores, now time.Time, mv *boxoffice.Movie, hall boxoffice.Hall, slot int) error {
	day := now.UTC().Truncate(24 * time.Hour)
	for d := 1; d <= 7; d++ {
		starts := day.AddDate(0, 0, d).Add(time.Duration(17+2*slot) * time.Hour)
		st := &boxoffice.Showtime{ID: boxoffice.NewID(), MovieID: mv.ID, CinemaID: hall.CinemaID, HallID: hall.ID,
			StartsAt: starts, Prices: map[string]int64{"standard": 1200, "premium": 1800}, Currency: "EUR",
			Status: boxoffice.ShowtimeScheduled, CreatedAt: now}
		if err := st.Validate(&hall, now); err != nil {
			return err
		}
		if err := s.Catalog.CreateShowtime(ctx, st); err != nil {
			return err
		}
	}
	return nil
}
