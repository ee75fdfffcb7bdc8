package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// A secret on the command line shows in ps: the JWT secret is no flag.
func TestJWTSecretIsNoFlag(t *testing.T) {
	_, err := ParseConfig([]string{"--jwt-secret", strings.Repeat("s", 40)}, envOf(nil), io.Discard)
	require.ErrorContains(t, err, "jwt-secret")
}

// Docker secrets: each secret may come from the file its _FILE twin names.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, v string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(v+"\n"), 0o600))
		return p
	}
	env := map[string]string{
		"BOXOFFICE_JWT_SECRET_FILE":            file("jwt", "file-jwt-secret-0123456789abcdef0123"),
		"BOXOFFICE_ADMIN_EMAIL":                "root@example.org",
		"BOXOFFICE_ADMIN_PASSWORD_FILE":        file("admin", "file-admin-password"),
		"BOXOFFICE_DATABASE_URL_FILE":          file("db", "postgres://u:pw@db/postgres"),
		"BOXOFFICE_SEATS_DATABASE_URL_FILE":    file("seats", "postgres://u:pw@seats/postgres"),
		"BOXOFFICE_NOTIFY_WEBHOOK_SECRET_FILE": file("hook", "whsec"),
	}
	c, err := ParseConfig(nil, envOf(env), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "file-jwt-secret-0123456789abcdef0123", c.JWTSecret)
	require.Equal(t, "file-admin-password", c.AdminPassword)
	require.Equal(t, "postgres://u:pw@db/postgres", c.DatabaseURL)
	require.Equal(t, "postgres://u:pw@seats/postgres", c.ServiceURLs["seats"])
	require.Equal(t, "whsec", c.WebhookSecret)
	require.NoError(t, c.Validate())
	require.NotContains(t, c.String(), "pw@", "the start-up line hides the password")

	// A flag still wins over the environment, files included.
	c, err = ParseConfig([]string{"--database-url", "postgres://other/postgres"}, envOf(env), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "postgres://other/postgres", c.DatabaseURL)

	env["BOXOFFICE_JWT_SECRET"] = "env-jwt-secret-0123456789abcdef0123"
	_, err = ParseConfig(nil, envOf(env), io.Discard)
	require.ErrorContains(t, err, "both BOXOFFICE_JWT_SECRET and BOXOFFICE_JWT_SECRET_FILE")

	_, err = ParseConfig(nil, envOf(map[string]string{"BOXOFFICE_ADMIN_PASSWORD_FILE": filepath.Join(dir, "missing")}), io.Discard)
	require.ErrorContains(t, err, "BOXOFFICE_ADMIN_PASSWORD_FILE")
}

// The published development defaults do not start a real node: the
// program refuses them, naming the variable, unless --demo is on.
func TestKnownDefaultSecretsRefused(t *testing.T) {
	for _, tc := range []struct{ name, env, value string }{
		{"JWTSecret", "BOXOFFICE_JWT_SECRET", "dev-only-secret-change-me-0123456789abcdef"},
		{"AdminPassword", "BOXOFFICE_ADMIN_PASSWORD", "admin-password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"BOXOFFICE_ADMIN_EMAIL": "admin@boxoffice.local", "BOXOFFICE_ADMIN_PASSWORD": "admin-password-1", tc.env: tc.value}
			args := []string{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--remote", "127.0.0.1:0", "--log-level", "error"}
			// Were the node to start, it would serve until ctx ends and
			// run would answer nil.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, args, envOf(env), io.Discard, io.Discard)
			require.ErrorContains(t, err, tc.env+" is the published development default")
			require.ErrorContains(t, err, "--demo")

			cfg, err := ParseConfig(append(args[1:], "--demo"), envOf(env), io.Discard)
			require.NoError(t, err)
			require.NoError(t, cfg.Validate(), "a demo may use them")
		})
	}
}
