package stackrun

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// trapScript counts the interrupts it gets, then "releases its lock" (writes a marker) and exits 130, as
// terraform does on its first SIGINT.
const trapScript = `n=0
trap 'n=$((n+1)); echo "interrupts: $n" >> ../../private.log' INT
echo started > ../../started
i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); if [ $n -gt 0 ]; then sleep 0.3; echo released >> ../../private.log; exit 130; fi; done`

func waitFile(t *testing.T, p string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(p); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", p)
}

// TestSuperviseInterruptsOnceWhenTheBeaconCloses: closing the cancel beacon makes the supervisor send
// terraform exactly one SIGINT and wait for it to finish (it releases its lock), not kill it.
func TestSuperviseInterruptsOnceWhenTheBeaconCloses(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "stacks", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			conns <- c
		}
	}()
	done := make(chan ContainerResult, 1)
	go func() {
		done <- Supervise(context.Background(), ws, ContainerRequest{Binary: "sh", Grace: 10 * time.Second, CancelBeacon: ln.Addr().String(),
			Invocation: Invocation{Stack: "a", Dir: "stacks/a", Args: []string{"-c", trapScript}}})
	}()
	waitFile(t, filepath.Join(ws, "started"))
	c := <-conns
	c.Close()
	ln.Close()
	select {
	case res := <-done:
		log, _ := os.ReadFile(filepath.Join(ws, "private.log"))
		if res.Interrupted != InterruptCancelled || res.ExitCode != 130 || string(log) != "interrupts: 1\nreleased\n" {
			t.Fatalf("result %+v, log %q", res, log)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the supervisor did not return after the beacon closed")
	}
}

func TestSuperviseInterruptsAtTheDeadline(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "stacks", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := Supervise(context.Background(), ws, ContainerRequest{Binary: "sh", Grace: 10 * time.Second, Deadline: time.Now().Add(time.Second),
		Invocation: Invocation{Stack: "a", Dir: "stacks/a", Args: []string{"-c", trapScript}}})
	if res.Interrupted != InterruptDeadline || res.ExitCode != 130 {
		t.Fatalf("result %+v", res)
	}
}

func TestSealRoundTripsAndRefusesAlteredText(t *testing.T) {
	key, err := NewSealKey()
	if err != nil {
		t.Fatal(err)
	}
	in := ContainerRequest{Binary: "terraform", Invocation: Invocation{Files: map[string][]byte{PrivateDir + "/x": {0, 1, 2, 255}}}}
	text, err := Seal(key, in)
	if err != nil || strings.Contains(text, "terraform") {
		t.Fatalf("sealed %q (%v)", text, err)
	}
	var out ContainerRequest
	if err := Unseal(key, text, &out); err != nil || string(out.Invocation.Files[PrivateDir+"/x"]) != "\x00\x01\x02\xff" {
		t.Fatalf("unsealed %+v (%v)", out, err)
	}
	altered := []byte(text)
	altered[20] ^= 1
	if err := Unseal(key, string(altered), &out); err == nil {
		t.Fatal("an altered text was opened")
	}
}

// TestLocalExecutorRemovesPrivateFiles: inputs and plans under PrivateDir do not stay on disk.
func TestLocalExecutorRemovesPrivateFiles(t *testing.T) {
	e := shellExecutor(t)
	in, out := PrivateDir+"/dev/a/inputs.tfvars.json", PrivateDir+"/dev/a/plan.tfplan"
	res, err := e.Run(context.Background(), Invocation{Dir: "stacks/a", Args: []string{"-c", "cp ../../" + in + " ../../" + out},
		Files: map[string][]byte{in: []byte(`{"token":"s3cr3t"}`)}, Collect: []string{out}})
	if err != nil || string(res.Files[out]) != `{"token":"s3cr3t"}` {
		t.Fatalf("%+v %v", res, err)
	}
	for _, p := range []string{in, out} {
		if _, err := os.Stat(filepath.Join(e.Workspace, p)); !os.IsNotExist(err) {
			t.Errorf("%s left on disk: %v", p, err)
		}
	}
}
