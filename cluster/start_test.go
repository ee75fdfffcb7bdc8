package cluster_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/leaktest"
)

func TestStartFails(t *testing.T) {
	t.Run("with an error on a taken port", func(t *testing.T) {
		ignore := goleak.IgnoreCurrent()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := cluster.Start(ctx, cluster.Config{Name: "n1", RemoteAddr: l.Addr().String(), Logger: testLogger(t)})
		if err == nil {
			_ = n.Stop(ctx)
			t.Fatal("started on a taken port")
		}
		goleak.VerifyNone(t, leaktest.Options(ignore)...)
	})

	t.Run("at once with a done context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := cluster.Start(ctx, cluster.Config{Name: "n1"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("on a wildcard address without AdvertiseHost", func(t *testing.T) {
		_, err := cluster.Start(context.Background(), cluster.Config{Name: "n1", RemoteAddr: ":0"})
		if err == nil {
			t.Fatal("started")
		}
	})
}

func TestStartAdvertisesHost(t *testing.T) {
	n := MustStart(t, cluster.Config{Name: "n1", RemoteAddr: "0.0.0.0:0", AdvertiseHost: "127.0.0.1"})
	host, port, err := net.SplitHostPort(n.Address())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("address %q: %v", n.Address(), err)
	}
	if !n.Healthy() {
		t.Error("unhealthy")
	}
	MustStop(t, n)
	if n.Healthy() {
		t.Error("healthy after stop")
	}
}
