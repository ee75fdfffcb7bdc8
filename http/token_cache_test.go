package http

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

func TestTokenCache(t *testing.T) {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	alice := boxoffice.Caller{UserID: boxoffice.NewID()}
	bob := boxoffice.Caller{UserID: boxoffice.NewID(), Admin: true}

	t.Run("HitUntilExpiry", func(t *testing.T) {
		c := newTokenCache(10)
		_, ok := c.get("a", now)
		assert.False(t, ok, "nothing is remembered at first")
		c.put("a", alice, now.Add(time.Minute).UnixNano())
		got, ok := c.get("a", now.Add(time.Minute-time.Nanosecond))
		require.True(t, ok)
		assert.Equal(t, alice, got)
		_, ok = c.get("a", now.Add(time.Minute))
		assert.False(t, ok, "an expired token is never a hit")
		_, ok = c.get("a.", now)
		assert.False(t, ok, "keys are the exact token text")
	})

	t.Run("Bounded", func(t *testing.T) {
		c := newTokenCache(4)
		until := now.Add(time.Hour).UnixNano()
		for i := range 100 {
			c.put(string(rune('A'+i)), alice, until)
			require.LessOrEqual(t, c.len(), 8, "two generations of 4 at most")
		}
	})

	t.Run("TokensInUseSurvive", func(t *testing.T) {
		c := newTokenCache(4)
		until := now.Add(time.Hour).UnixNano()
		c.put("busy", bob, until)
		// Every round fills a generation; the busy token is used in between
		// and moves back to the current one, while idle ones are dropped.
		for round := range 10 {
			for i := range 4 {
				c.put(string(rune('a'+round))+string(rune('0'+i)), alice, until)
			}
			got, ok := c.get("busy", now)
			require.True(t, ok, "round %d", round)
			assert.Equal(t, bob, got)
		}
		_, ok := c.get("a0", now)
		assert.False(t, ok, "idle tokens of old rounds are forgotten")
	})
}

// BenchmarkVerifyToken compares a token's first verification with the
// later ones that the cache answers.
func BenchmarkVerifyToken(b *testing.B) {
	clock := clocktest.New(time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC))
	ts := newTokenService([]byte("bench-secret-of-at-least-32-bytes-long"), 15*time.Minute, clock)
	raw, err := ts.issue(&boxoffice.User{ID: boxoffice.NewID(), Role: boxoffice.RoleUser})
	require.NoError(b, err)
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ts.cache = newTokenCache(tokenCacheSize)
			if _, err := ts.verify(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.verify(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
