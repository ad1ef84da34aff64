package stackrun

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// An executor that runs terraform in containers (the Dagger module's) hands each invocation to
// `stacks exec` inside the container: the supervisor. The request and the result cross the container
// boundary as sealed JSON (AES-256-GCM, a per-run key passed as a secret), because both can carry
// secret values (generated inputs, plan files, `show -json`, `output -json`): what lands in a container
// layer is ciphertext only, and the plaintext files live on a tmpfs at PrivateDir.
//
// The supervisor is also what makes a cancel graceful. A container runtime kills a cancelled exec at
// once (Dagger v0.19 sends SIGKILL to an exec whose call is cancelled), which would leave the state lock
// behind and in-flight resources unrecorded. So the supervisor does not wait to be cancelled: it watches
// a cancel beacon (a TCP connection to the host that launched the run, held open for the whole run) and
// a deadline, and on either interrupts terraform itself: one SIGINT, then Grace to write its state and
// release its lock, then SIGKILL.

// ContainerRequest is one invocation for the supervisor.
type ContainerRequest struct {
	Invocation Invocation `json:"invocation"`
	// Binary is the terraform or tofu executable in the container.
	Binary string `json:"binary"`
	// Deadline (optional) interrupts terraform when reached: the stack timeout.
	Deadline time.Time `json:"deadline,omitzero"`
	// Grace is how long terraform gets after its interrupt before it is killed (default 30s).
	Grace time.Duration `json:"grace,omitempty"`
	// CancelBeacon (optional) is host:port of the run's cancel beacon: when the connection to it closes
	// (or cannot be made), the run was cancelled and terraform is interrupted.
	CancelBeacon string `json:"cancel_beacon,omitempty"`
}

// ContainerResult is what the supervisor returns.
type ContainerResult struct {
	Result
	// Interrupted says why terraform was interrupted ("" when it was not).
	Interrupted string `json:"interrupted,omitempty"`
	// Error is set when terraform could not be run at all.
	Error string `json:"error,omitempty"`
}

// Reasons for an interrupt.
const (
	InterruptCancelled = "the run was cancelled"
	InterruptDeadline  = "the stack timeout was reached"
)

// Supervise runs one request with a LocalExecutor rooted at workspace (terraform in its own process
// group, one SIGINT on interrupt, Grace, then SIGKILL), interrupting it when the beacon closes, the
// deadline passes or ctx ends (a signal to the supervisor itself).
func Supervise(ctx context.Context, workspace string, req ContainerRequest) ContainerResult {
	exec, err := NewLocalExecutor(workspace, req.Binary)
	if err != nil {
		return ContainerResult{Error: err.Error()}
	}
	exec.GracePeriod = req.Grace
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !req.Deadline.IsZero() {
		var stop context.CancelFunc
		runCtx, stop = context.WithDeadlineCause(runCtx, req.Deadline, errors.New(InterruptDeadline))
		defer stop()
	}
	if req.CancelBeacon != "" {
		go watchBeacon(runCtx, req.CancelBeacon, func() { cancel(errors.New(InterruptCancelled)) })
	}
	res, err := exec.Run(runCtx, req.Invocation)
	out := ContainerResult{Result: res}
	if runCtx.Err() != nil {
		out.Interrupted = InterruptCancelled
		if cause := context.Cause(runCtx); cause != nil && cause.Error() == InterruptDeadline {
			out.Interrupted = InterruptDeadline
		}
		return out
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// watchBeacon holds a connection to the beacon and calls cancelled when it closes or cannot be made
// within a few tries. It returns when ctx ends.
func watchBeacon(ctx context.Context, addr string, cancelled func()) {
	var conn net.Conn
	var err error
	for try := 0; try < 10; try++ {
		d := net.Dialer{Timeout: 2 * time.Second}
		if conn, err = d.DialContext(ctx, "tcp", addr); err == nil || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	if ctx.Err() != nil {
		if conn != nil {
			conn.Close()
		}
		return
	}
	if err != nil {
		cancelled() // the host that launched the run is gone
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the beacon closes the connection
		close(done)
	}()
	select {
	case <-ctx.Done():
		conn.Close()
	case <-done:
		cancelled()
	}
}

// NewSealKey returns a fresh random key for Seal/Unseal.
func NewSealKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return key, nil
}

// Seal encrypts and authenticates v's JSON with key; the result is base64 text (safe in any file or
// string field).
func Seal(key []byte, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	gcm, err := sealCipher(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, nil)), nil
}

// Unseal reverses Seal into v; a wrong key or an altered text fails.
func Unseal(key []byte, text string, v any) error {
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return fmt.Errorf("unseal: %w", err)
	}
	gcm, err := sealCipher(key)
	if err != nil {
		return err
	}
	if len(raw) < gcm.NonceSize() {
		return errors.New("unseal: too short")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return fmt.Errorf("unseal: %w", err)
	}
	return json.Unmarshal(plain, v)
}

func sealCipher(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return cipher.NewGCM(block)
}
