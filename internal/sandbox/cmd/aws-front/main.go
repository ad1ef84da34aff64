// Command aws-front serves the sandbox's AWS endpoint: moto behind the stand-ins of package awsfront
// (today the ECS rollout simulator, which plays service deployments out the way ECS reports them).
// The sandbox builds and starts it; nobody runs it by hand.
//
//	aws-front --listen 127.0.0.1:4566 --backend http://127.0.0.1:4567 [--rollout-time 2s]
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

	"github.com/platformteam/delivery/internal/sandbox/awsfront"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "aws-front:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:4566", "address to serve on")
	backend := flag.String("backend", "http://127.0.0.1:4567", "the AWS API stand-in (moto) to forward to")
	rolloutTime := flag.Duration("rollout-time", 2*time.Second, "how long an ECS deployment stays IN_PROGRESS")
	flag.Parse()
	front, err := awsfront.New(awsfront.Config{Backend: *backend, RolloutTime: *rolloutTime})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another process using the port?)", *listen, err)
	}
	srv := &http.Server{Handler: front, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, "aws-front: serving %s, forwarding to %s\n", ln.Addr(), *backend)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
