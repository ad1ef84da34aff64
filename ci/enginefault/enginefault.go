// Package enginefault tells the Dagger engine's own failures from a process's: an error the engine
// raised before a container's process started, where running the same exec again is safe.
package enginefault

import "strings"

// NotStarted reports an error from before the container's process started: a mount the engine could
// not set up. Seen on Dagger v0.19.10 with parallel stacks ("failed to mount /.dagger_meta_mount:
// snapshot … does not exist: not found"). The caller first rules out an exec error (the process ran
// and exited non-zero), whose output is the process's and may say anything.
func NotStarted(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "failed to mount ") && strings.Contains(msg, "does not exist: not found")
}
