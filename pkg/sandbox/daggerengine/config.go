package daggerengine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// engineTOML is the engine's buildkit configuration: the sandbox registry is plain HTTP, so that
// From("<registry>/...") and Publish("<registry>/...") work without TLS.
func engineTOML(registry string) string {
	var b strings.Builder
	b.WriteString("# Written by pkg/sandbox/daggerengine on every start; edits are overwritten.\n")
	b.WriteString("debug = false\n")
	if registry != "" {
		fmt.Fprintf(&b, "\n[registry.%s]\n  http = true\n  insecure = true\n", strconv.Quote(registry))
	}
	return b.String()
}

// engineJSON is the engine's own configuration (/etc/dagger/engine.json inside its namespace).
const engineJSON = `{"logLevel": "info"}` + "\n"

func (l paths) etcDaggerDir() string { return filepath.Join(l.stateDir, "etc-dagger") }

func writeEngineConfig(l paths) error {
	if err := l.ensureStateDirs(); err != nil {
		return err
	}
	if err := os.MkdirAll(l.etcDaggerDir(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", l.etcDaggerDir(), err)
	}
	if err := os.WriteFile(l.configFile(), []byte(engineTOML(l.registry)), 0o644); err != nil {
		return fmt.Errorf("write engine config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(l.etcDaggerDir(), "engine.json"), []byte(engineJSON), 0o644); err != nil {
		return fmt.Errorf("write engine.json: %w", err)
	}
	return nil
}
