package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The compose file's default services are its production profile: none
// runs --demo or carries a secret in plain text; the demo has a profile of
// its own.
func TestComposeProductionProfile(t *testing.T) {
	compose := readCompose(t)
	demo := false
	for name, svc := range compose.Services {
		if slices.Contains(svc.Profiles, "demo") {
			demo = true
			continue
		}
		require.NotContains(t, svc.Command, "--demo", "service %s", name)
		if len(svc.Command) > 0 && svc.Command[0] == "serve" {
			requireComposeNodeStarts(t, name, svc.Command[1:], svc.Environment)
		}
		for k, v := range svc.Environment {
			require.NotEqual(t, "BOXOFFICE_DEMO", k, "service %s", name)
			if strings.Contains(k, "PASSWORD") || strings.Contains(k, "SECRET") || strings.HasSuffix(k, "DATABASE_URL") || strings.HasSuffix(k, "CLUSTER_KEY") {
				require.True(t, strings.HasSuffix(k, "_FILE"), "service %s: %s=%s is a secret in plain text: use %s_FILE", name, k, v, k)
			}
		}
	}
	require.True(t, demo, "a demo service keeps its own profile")
}

// requireComposeNodeStarts checks that a node's command and environment,
// its Docker secret files written with fresh values, pass the checks a
// start makes (no published default among them).
func requireComposeNodeStarts(t *testing.T, name string, args []string, environment map[string]string) {
	t.Helper()
	dir := t.TempDir()
	values := map[string]string{
		"BOXOFFICE_DATABASE_URL_FILE":   "postgres://boxoffice:pw@postgres:5432/postgres?sslmode=disable",
		"BOXOFFICE_JWT_SECRET_FILE":     "a-secret-of-this-install-0123456789abcdef",
		"BOXOFFICE_ADMIN_PASSWORD_FILE": "an-admin-password-of-this-install",
		"BOXOFFICE_CLUSTER_KEY_FILE":    "Y2x1c3Rlci1rZXktb2YtdGhpcy1pbnN0YWxsLTAxMjM=",
	}
	env := map[string]string{}
	for k, v := range environment {
		if val, ok := values[k]; ok {
			v = filepath.Join(dir, filepath.Base(v))
			require.NoError(t, os.WriteFile(v, []byte(val+"\n"), 0o600))
		}
		env[k] = v
	}
	cfg, err := ParseConfig(args, envOf(env), io.Discard)
	require.NoError(t, err, "service %s", name)
	require.NoError(t, cfg.Validate(), "service %s", name)
	require.False(t, cfg.Demo, "service %s", name)
	require.NotEmpty(t, cfg.JWTSecret, "service %s", name)
	require.Len(t, cfg.ClusterKey, 32, "service %s: gossip keyed", name)
}

// composeFile is what the tests read of docker-compose.yml.
type composeFile struct {
	Services map[string]struct {
		Profiles    []string          `yaml:"profiles"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
	} `yaml:"services"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var compose composeFile
	require.NoError(t, yaml.Unmarshal(b, &compose))
	return compose
}
