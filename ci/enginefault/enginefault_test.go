package enginefault

import (
	"errors"
	"fmt"
	"testing"
)

func TestNotStartedOnlyMatchesAMountTheEngineCouldNotSetUp(t *testing.T) {
	mount := errors.New(`input: container.withExec.file.contents failed to mount /.dagger_meta_mount: snapshot cqfjuc4pbuy590nn2sju0038g does not exist: not found`)
	if !NotStarted(mount) {
		t.Errorf("a meta mount the engine lost is not seen as not started: %v", mount)
	}
	if !NotStarted(fmt.Errorf("run terraform init for w3/s1: %w", mount)) {
		t.Error("a wrapped mount error is not seen as not started")
	}
	for _, err := range []error{
		nil,
		errors.New(`process "stacks exec" did not complete successfully: exit code: 1`),
		errors.New("failed to mount /src: permission denied"),
		errors.New("state file does not exist: not found"),
	} {
		if NotStarted(err) {
			t.Errorf("NotStarted(%v) = true, want false: the process may have run", err)
		}
	}
}
