package main

import (
	"io"
	"strings"
	"testing"
)

// The cluster flags: who may join, and what must be advertised.
func TestClusterConfig(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	const pg = "postgres://127.0.0.1/postgres"
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		err  string // substring; "" means valid
	}{
		{"SQLiteIsOneNode", nil, nil, ""},
		{"SQLiteRefusesJoin", []string{"--join", "10.0.0.1:7946"}, nil, "--join needs PostgreSQL"},
		{"PostgresWithoutJoinIsAClusterOfOne", []string{"--database-url", pg}, nil, ""},
		{"PostgresJoins", []string{"--database-url", pg, "--join", "a:7946,b:7946"}, nil, ""},
		{"WildcardGossipNeedsAdvertise", []string{"--database-url", pg, "--gossip", "0.0.0.0:7946"}, nil, "--gossip 0.0.0.0:7946 binds every interface"},
		{"WildcardRemoteNeedsAdvertise", []string{"--database-url", pg, "--remote", ":8090"}, nil, "--remote :8090 binds every interface"},
		{"WildcardWithAdvertise", []string{"--database-url", pg, "--gossip", "0.0.0.0:7946", "--remote", "0.0.0.0:8090", "--advertise", "node1"}, nil, ""},
		{"AdvertiseFromEnv", []string{"--gossip", "0.0.0.0:7946"}, map[string]string{
			"BOXOFFICE_DATABASE_URL": pg, "BOXOFFICE_JWT_SECRET": secret, "BOXOFFICE_ADVERTISE_HOST": "node1",
		}, ""},
		{"ClusterNeedsSecret", []string{"--database-url", pg, "--join", "a:7946"}, nil, "BOXOFFICE_JWT_SECRET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"BOXOFFICE_JWT_SECRET": secret}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.name == "ClusterNeedsSecret" {
				delete(env, "BOXOFFICE_JWT_SECRET")
			}
			cfg, err := ParseConfig(tc.args, func(k string) string { return env[k] }, io.Discard)
			if err == nil {
				err = cfg.Validate()
			}
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestAdvertisedHTTP(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"0.0.0.0:8080", "node1"}:     "node1:8080",
		{":8080", "node1"}:            "node1:8080",
		{"127.0.0.1:8080", "node1"}:   "127.0.0.1:8080",
		{"0.0.0.0:8080", ""}:          "0.0.0.0:8080",
		{"[::]:8080", "10.0.0.7"}:     "10.0.0.7:8080",
		{"example.org:80", "ignored"}: "example.org:80",
	} {
		if got := advertised(in[0], in[1]); got != want {
			t.Errorf("advertised(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
