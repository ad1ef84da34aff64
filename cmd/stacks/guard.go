package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// guardCommand runs a `dagger call` so that cancelling it stops terraform gracefully.
//
// A cancelled Dagger call kills its execs at once (SIGKILL), and terraform killed mid-apply leaves its
// state lock and unrecorded resources behind. So the guard holds a cancel beacon: a TCP listener on
// 127.0.0.1 passed to the module as --cancel-beacon, to which every terraform supervisor in the run keeps
// a connection. On the first SIGINT/SIGTERM the guard does not forward it: it closes the beacon, every
// supervisor interrupts its terraform (one SIGINT, then its grace period), the engine stops scheduling,
// and the call returns by itself. Only if it has not returned within --grace (or on a second signal) is
// the signal passed on to dagger. dagger runs in its own process group so a terminal's Ctrl-C or a CI
// runner's signal reaches the guard alone.
func guardCommand(args []string) error {
	grace := 90 * time.Second
	var rest []string
	for len(args) > 0 && args[0] != "--" {
		switch args[0] {
		case "--grace":
			if len(args) < 2 {
				return errors.New("--grace needs a duration")
			}
			d, err := time.ParseDuration(args[1])
			if err != nil {
				return fmt.Errorf("--grace: %w", err)
			}
			grace, args = d, args[2:]
		default:
			return fmt.Errorf("usage: stacks guard [--grace 90s] -- dagger call [constructor flags] <function> ...")
		}
	}
	if len(args) > 0 {
		rest = args[1:]
	}
	if len(rest) == 0 {
		return errors.New("usage: stacks guard [--grace 90s] -- dagger call [constructor flags] <function> ...")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cancel beacon: %w", err)
	}
	beacon := &cancelBeacon{ln: ln}
	go beacon.serve()
	argv, err := withBeacon(rest, "tcp://"+ln.Addr().String())
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", argv[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var deadline <-chan time.Time
	cancelled := false
	for {
		select {
		case err := <-exited:
			beacon.close()
			var ee *exec.ExitError
			switch {
			case err == nil && cancelled:
				return &exitError{code: 130, err: errors.New("cancelled; terraform was interrupted gracefully")}
			case err == nil:
				return nil
			case errors.As(err, &ee):
				if cancelled {
					return &exitError{code: 130, err: errors.New("cancelled; terraform was interrupted gracefully (see the run's output for what each stack did)")}
				}
				return &exitError{code: ee.ExitCode()}
			}
			return err
		case sig := <-sigs:
			if !cancelled {
				cancelled = true
				fmt.Fprintf(os.Stderr, "stacks guard: %s: stopping terraform gracefully (it gets up to %s to write its state and release its lock; signal again to abort at once)\n", sig, grace)
				beacon.close()
				deadline = time.After(grace)
				continue
			}
			fmt.Fprintf(os.Stderr, "stacks guard: %s again: passing it to dagger (running terraform is killed and may leave its lock)\n", sig)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		case <-deadline:
			fmt.Fprintf(os.Stderr, "stacks guard: the run did not stop within %s: interrupting dagger\n", grace)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			deadline = nil
		}
	}
}

// withBeacon adds --cancel-beacon right after `call` (a constructor argument of the module).
func withBeacon(argv []string, addr string) ([]string, error) {
	for i, a := range argv {
		if a == "call" {
			out := append(append([]string{}, argv[:i+1]...), "--cancel-beacon", addr)
			return append(out, argv[i+1:]...), nil
		}
	}
	return nil, fmt.Errorf("stacks guard runs `dagger call ...`: no `call` in %v", argv)
}

// cancelBeacon accepts connections and holds them until close, which closes them all: the signal.
type cancelBeacon struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func (b *cancelBeacon) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		if b.closed {
			c.Close()
		} else {
			b.conns = append(b.conns, c)
		}
		b.mu.Unlock()
	}
}

func (b *cancelBeacon) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	b.ln.Close()
	for _, c := range b.conns {
		c.Close()
	}
}
