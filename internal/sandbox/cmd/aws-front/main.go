// Command aws-front serves the sandbox's twin of AWS (package awsfront): the AWS endpoint in front of
// moto, the GitHub-like OIDC issuer, and one ECR-like registry per twin account. The sandbox writes
// its configuration and starts it; nobody runs it by hand.
//
//	aws-front --config .sandbox/twin/front.json [--rollout-time 2s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs/rollout"
	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/registryfront"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "aws-front:", err)
		os.Exit(1)
	}
}

type server struct {
	name string
	addr string
	h    http.Handler
}

func run() error {
	configPath := flag.String("config", "", "the front's configuration (written by `sandbox up`)")
	rolloutTime := flag.Duration("rollout-time", 2*time.Second, "how long an ECS deployment stays IN_PROGRESS")
	flag.Parse()
	if *configPath == "" {
		return errors.New("--config is required")
	}
	cfg, err := awsfront.ReadConfig(*configPath)
	if err != nil {
		return err
	}
	front, err := awsfront.New(cfg)
	if err != nil {
		return err
	}
	logger := log.New(os.Stderr, "aws-front: ", log.LstdFlags)
	front.SetLogger(logger)
	sim, err := rollout.New(cfg.Backend)
	if err != nil {
		return err
	}
	sim.RolloutTime = *rolloutTime
	sim.SetTransport(front.Transport())
	sim.Cloud = front.StrategyCloud()
	if t := cfg.ECSTime; t.MinuteSeconds > 0 || t.StageSeconds > 0 {
		sim.Minute = time.Duration(t.MinuteSeconds * float64(time.Second))
		sim.StageTime = time.Duration(t.StageSeconds * float64(time.Second))
	}
	front.SetECS(sim)

	servers := []server{{"AWS endpoint", cfg.Listen, front}}
	if cfg.OIDC.Listen != "" {
		iss, err := oidc.LoadOrCreate(cfg.OIDC.KeyFile)
		if err != nil {
			return err
		}
		servers = append(servers, server{"OIDC issuer", cfg.OIDC.Listen, iss.Handler("http://" + cfg.OIDC.Listen)})
	}
	for _, a := range cfg.Accounts {
		if a.Registry == "" {
			continue
		}
		reg, err := registryfront.New(a.ID, cfg.RegistryBackend, front, front.Faults(), front.Counters())
		if err != nil {
			return err
		}
		reg.SetLogger(logger)
		servers = append(servers, server{"registry of " + a.Environment + " (" + a.ID + ")", a.Registry, reg})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Service deployments move (traffic steps, alarm checks) whether or not anyone polls them.
	go sim.Run(ctx, 200*time.Millisecond)
	errs := make(chan error, len(servers))
	var wg sync.WaitGroup
	for _, s := range servers {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			return fmt.Errorf("%s: listen on %s: %w (is another process using the port?)", s.name, s.addr, err)
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		}()
		go func(name string) {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s: %w", name, err)
				stop()
			}
		}(s.name)
		logger.Printf("%s on %s", s.name, ln.Addr())
	}
	<-ctx.Done()
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
