package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// secretVars are the environment variables that may hold a secret. Each
// may instead name a file in its _FILE twin (Docker secrets), so that the
// secret never sits in the environment of a container's definition.
// Secrets are never flags: a command line shows in ps and in process
// listings to every user of the machine.
func secretVars() []string {
	vars := []string{"BOXOFFICE_JWT_SECRET", "BOXOFFICE_ADMIN_PASSWORD", "BOXOFFICE_DATABASE_URL", "BOXOFFICE_NOTIFY_WEBHOOK_SECRET", clusterKeyEnv,
		"BOXOFFICE_AMQP_URL", "BOXOFFICE_NATS_URL"}
	for _, s := range boxoffice.Services {
		vars = append(vars, "BOXOFFICE_"+strings.ToUpper(s)+"_DATABASE_URL")
	}
	return vars
}

// secretFileMax bounds a secret file: a secret is a line, not a document.
const secretFileMax = 64 << 10

// withSecretFiles returns getenv with every secret variable whose _FILE
// twin is set answered from that file (its trailing newline trimmed).
// Setting both a variable and its _FILE twin is an error: which one wins
// would be a guess.
func withSecretFiles(getenv func(string) string) (func(string) string, error) {
	files := map[string]string{}
	for _, name := range secretVars() {
		path := getenv(name + "_FILE")
		if path == "" {
			continue
		}
		if getenv(name) != "" {
			return nil, fmt.Errorf("both %s and %s_FILE are set: set one", name, name)
		}
		v, err := readSecretFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s_FILE: %w", name, err)
		}
		files[name] = v
	}
	if len(files) == 0 {
		return getenv, nil
	}
	return func(k string) string {
		if v, ok := files[k]; ok {
			return v
		}
		return getenv(k)
	}, nil
}

func readSecretFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Size() > secretFileMax {
		return "", fmt.Errorf("%s is larger than %d bytes", path, secretFileMax)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// knownSecrets are published development defaults: the compose file's JWT
// secret and the development admin password of make run and the compose
// file. Anyone can read them, so a node refuses them unless it runs a demo.
var knownSecrets = []struct{ env, value, where string }{
	{"BOXOFFICE_JWT_SECRET", "dev-only-secret-change-me-0123456789abcdef", "docker-compose.yml"},
	{"BOXOFFICE_ADMIN_PASSWORD", "admin-password", "the Makefile and README"},
}

// checkKnownSecrets refuses a published default secret outside --demo.
func (c Config) checkKnownSecrets() error {
	if c.Demo {
		return nil
	}
	values := map[string]string{"BOXOFFICE_JWT_SECRET": c.JWTSecret, "BOXOFFICE_ADMIN_PASSWORD": c.AdminPassword}
	for _, k := range knownSecrets {
		if values[k.env] == k.value {
			return errors.New(k.env + " is the published development default (from " + k.where + "): set a secret of your own " +
				"(in the environment or a file named by " + k.env + "_FILE), or start with --demo for a trial")
		}
	}
	return nil
}
