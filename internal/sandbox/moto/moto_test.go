package moto

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The sandbox's moto and the private ones run the same server with the same settings; the sandbox's
// extra setting comes first, so its configuration fingerprint is what it was before this package.
func TestCommand(t *testing.T) {
	cmd := Command("/usr/bin/python3", 4567, RunningTasksEnv())
	if got := strings.Join(cmd.Args, " "); got != "/usr/bin/python3 -m moto.server -H 127.0.0.1 -p 4567" {
		t.Errorf("args = %s", got)
	}
	added := cmd.Env[len(os.Environ()):]
	want := []string{"MOTO_ECS_SERVICE_RUNNING=2", "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "PYTHONUNBUFFERED=1"}
	if !slices.Equal(added, want) {
		t.Errorf("added environment = %v, want %v", added, want)
	}
	console := command([]string{"/usr/local/bin/moto_server"}, 5000, nil)
	if got := strings.Join(console.Args, " "); got != "/usr/local/bin/moto_server -H 127.0.0.1 -p 5000" {
		t.Errorf("console script args = %s", got)
	}
}
