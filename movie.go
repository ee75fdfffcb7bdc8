package boxoffice

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Movie is a film in the catalog.
type Movie struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	Genres          []string  `json:"genres"`
	DurationMinutes int       `json:"duration_minutes"`
	Rating          string    `json:"rating"`
	ReleaseDate     string    `json:"release_date"` // YYYY-MM-DD
	CreatedAt       time.Time `json:"created_at"`
}

// Limits on movie fields.
const (
	TitleLenMax       = 300
	DescriptionLenMax = 10000
	GenresMax         = 10
	GenreLenMax       = 50
	RatingLenMax      = 20
	DurationMax       = 24 * 60
)

// Validate checks a movie's fields.
func (m *Movie) Validate() error {
	m.Title = strings.TrimSpace(m.Title)
	switch {
	case m.Title == "":
		return Errorf(EINVALID, "title is required")
	case utf8.RuneCountInString(m.Title) > TitleLenMax:
		return Errorf(EINVALID, "title is longer than %d characters", TitleLenMax)
	case len(m.Description) > DescriptionLenMax:
		return Errorf(EINVALID, "description is longer than %d bytes", DescriptionLenMax)
	case m.DurationMinutes <= 0 || m.DurationMinutes > DurationMax:
		return Errorf(EINVALID, "duration_minutes must be between 1 and %d", DurationMax)
	case len(m.Genres) > GenresMax:
		return Errorf(EINVALID, "at most %d genres", GenresMax)
	case len(m.Rating) > RatingLenMax:
		return Errorf(EINVALID, "rating is longer than %d bytes", RatingLenMax)
	}
	for i, g := range m.Genres {
		g = strings.ToLower(strings.TrimSpace(g))
		if g == "" || len(g) > GenreLenMax {
			return Errorf(EINVALID, "genre %d must be 1 to %d bytes", i, GenreLenMax)
		}
		m.Genres[i] = g
	}
	if m.Genres == nil {
		m.Genres = []string{}
	}
	if m.ReleaseDate != "" {
		if _, err := time.Parse(time.DateOnly, m.ReleaseDate); err != nil {
			return Errorf(EINVALID, "release_date must be YYYY-MM-DD")
		}
	}
	return nil
}

// MovieFilter selects movies: Query matches the title (case-insensitive
// substring), Genre one of the genres exactly.
type MovieFilter struct {
	Query string
	Genre string
	Page  Page
}
