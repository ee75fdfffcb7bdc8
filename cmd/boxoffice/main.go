// Command boxoffice is the booking engine: `serve` runs a node, `migrate`
// prepares the databases, `loadtest` drives a flash sale against nodes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `boxoffice: an actor-based booking engine for cinema tickets

Usage:
  boxoffice serve    [flags]   run a node (HTTP API, showtime grains, stores)
  boxoffice migrate  [flags]   create and migrate the databases, then exit
  boxoffice health   [--url U] exit 0 if a node's /readyz answers 200
  boxoffice loadtest [flags]   drive a flash sale against nodes and audit the invariants
  boxoffice events tail [flags] print booking events as they arrive (a node's outbox, RabbitMQ or NATS)
  boxoffice version            print the version

Run "boxoffice <command> -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "boxoffice:", err)
		os.Exit(1)
	}
}

// run dispatches a command; ctx ends on SIGINT or SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is required")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "health":
		return health(ctx, args[1:], stdout, stderr)
	case "loadtest":
		return loadtestCmd(ctx, args[1:], getenv, stdout, stderr)
	case "events":
		return events(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "boxoffice", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
