package main

import (
	"os"
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
	b, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var compose struct {
		Services map[string]struct {
			Profiles    []string          `yaml:"profiles"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(b, &compose))
	demo := false
	for name, svc := range compose.Services {
		if slices.Contains(svc.Profiles, "demo") {
			demo = true
			continue
		}
		require.NotContains(t, svc.Command, "--demo", "service %s", name)
		for k, v := range svc.Environment {
			require.NotEqual(t, "BOXOFFICE_DEMO", k, "service %s", name)
			if strings.Contains(k, "PASSWORD") || strings.Contains(k, "SECRET") || strings.HasSuffix(k, "DATABASE_URL") {
				require.True(t, strings.HasSuffix(k, "_FILE"), "service %s: %s=%s is a secret in plain text: use %s_FILE", name, k, v, k)
			}
		}
	}
	require.True(t, demo, "a demo service keeps its own profile")
}
