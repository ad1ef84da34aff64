// Command demo-app is the blueprint's demo service: one image deployed unchanged to ECS Fargate and EKS.
// It prints which platform it runs on, exposes health, readiness and version endpoints, logs JSON and
// shuts down gracefully on SIGTERM. It uses only the standard library.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// `demo-app -healthcheck` probes the running server's /healthz and exits 0 or 1: a container
	// health check that needs no shell or curl in the image (ECS healthCheck, docker HEALTHCHECK).
	if len(os.Args) > 1 && (os.Args[1] == "-healthcheck" || os.Args[1] == "--healthcheck") {
		if err := healthcheck(osGetenv); err != nil {
			fmt.Fprintln(os.Stderr, "demo-app healthcheck:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), osGetenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo-app:", err)
		os.Exit(1)
	}
}

func newLogger(out io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: l})).
		With("service", "demo-app", "version", version, "commit", commit)
}

// run serves until ctx is cancelled or SIGTERM/SIGINT arrives, then drains in-flight requests.
func run(ctx context.Context, getenv func(string) string, logOut io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(logOut, cfg.LogLevel)

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()

	checks := BuildChecks(cfg, &http.Client{Timeout: cfg.CheckTimeout})
	srv := NewServer(cfg, checks, log)
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set PORT or LISTEN_ADDR to a free address)", cfg.Addr, err)
	}
	names := make([]string, 0, len(checks))
	for _, c := range checks {
		names = append(names, c.Name)
	}
	log.Info("listening", "addr", ln.Addr().String(), "platform", string(cfg.Platform),
		"platform_source", cfg.PlatformSource, "readiness_checks", names, "auth", cfg.AuthToken != "")

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutdown signal received", "drain_delay", cfg.DrainDelay.String(), "timeout", cfg.ShutdownTimeout.String())
	srv.StartDraining()
	if cfg.DrainDelay > 0 {
		time.Sleep(cfg.DrainDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown did not finish within %s: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutdown complete")
	return nil
}

// healthcheck calls GET /healthz on the local listener configured by PORT or LISTEN_ADDR.
func healthcheck(getenv func(string) string) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}
