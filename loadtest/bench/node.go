package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
)

// node is a `boxoffice serve` the bench started.
type node struct {
	url  string
	stop func()
}

// startNode runs `boxoffice serve` on free loopback ports, on PostgreSQL
// with databases named prefix_* when databaseURL is set, else on an
// embedded store in dir, and waits for /readyz. stop ends it with SIGTERM,
// or SIGKILL after 15 s.
func startNode(bin, dir, databaseURL, prefix string) (*node, error) {
	remote, err := nodeproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	gossip, err := nodeproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"--remote", remote, "--gossip", gossip, "--data", filepath.Join(dir, "data"), "--log-level", "warn"}
	if databaseURL != "" {
		args = append(args, "--database-url", databaseURL, "--database-prefix", prefix)
	}
	logPath := filepath.Join(dir, "node.log")
	logs, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	n, err := nodeproc.Start(nodeproc.Options{Binary: bin, Args: args, Output: logs,
		// Limits off: the load comes from one address, far faster than one
		// client may; hold caps off: hold-release holds again the seat it
		// has just released, which the cool-down refuses.
		Env: []string{"BOXOFFICE_ADMIN_EMAIL=" + adminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + adminPassword,
			"BOXOFFICE_RATE_LIMITS=off", "BOXOFFICE_HOLD_CAPS=off", "BOXOFFICE_JWT_SECRET=" + jwtSecret}})
	if err != nil {
		logs.Close()
		return nil, err
	}
	stop := func() {
		if n.Stop(15*time.Second) != nil {
			n.Kill()
		}
		logs.Close()
	}
	if err := n.WaitReady(readyWait); err != nil {
		stop()
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w:\n%s", err, tail(string(b), 4000))
	}
	return &node{url: n.URL, stop: stop}, nil
}

// freeConnections is how many more connections the server accepts from
// ordinary users: max_connections less its reserved ones and those open.
func freeConnections(ctx context.Context, serverURL string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return 0, nil // no connection at all: none free
	}
	defer c.Close(ctx)
	var free int
	err = c.QueryRow(ctx, `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
		- (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int`).Scan(&free)
	return free, err
}
