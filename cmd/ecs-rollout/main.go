// Command ecs-rollout serves the sandbox's ECS API: a proxy in front of moto that plays out service
// deployments the way ECS reports them (see package ecsrollout).
//
//	ecs-rollout --listen 127.0.0.1:4566 --backend http://127.0.0.1:4567 [--rollout-time 2s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/platformteam/delivery/pkg/ecsrollout"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ecs-rollout:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:4566", "address to serve on")
	backend := flag.String("backend", "http://127.0.0.1:4567", "the AWS API stand-in (moto) to forward to")
	rollout := flag.Duration("rollout-time", 2*time.Second, "how long a deployment stays IN_PROGRESS")
	flag.Parse()
	sim, err := ecsrollout.New(*backend)
	if err != nil {
		return err
	}
	sim.RolloutTime = *rollout
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another process using the port?)", *listen, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, "ecs-rollout: serving %s, forwarding to %s\n", ln.Addr(), *backend)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
