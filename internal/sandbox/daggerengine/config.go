package daggerengine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/platformteam/delivery/internal/atomicfile"
)

// engineTOML is the engine's buildkit configuration: the sandbox registry is plain HTTP, so that
// From("<registry>/...") and Publish("<registry>/...") work without TLS.
func engineTOML(registry string) string {
	var b strings.Builder
	b.WriteString("# Written by internal/sandbox/daggerengine on every start; edits are overwritten.\n")
	b.WriteString("debug = false\n")
	if registry != "" {
		fmt.Fprintf(&b, "\n[registry.%s]\n  http = true\n  insecure = true\n", strconv.Quote(registry))
	}
	return b.String()
}

// engineJSON is the engine's own configuration (/etc/dagger/engine.json inside its namespace). The
// garbage collector gets fixed bounds: its defaults are fractions of the whole disk, and on a disk
// shared with other work they let the cache grow until builds fail with "no space left on device".
// The collector runs a second after every session ends, while the next call's execs start; a cache
// held at its cap was pruned on every call, and twice in 20 minutes an exec of the next call lost a
// snapshot it was using ("snapshot … does not exist: not found"). So the cap leaves a whole test run
// room (25GB), and a pass sweeps half the allowed space at once, so passes are rare.
const engineJSON = `{"logLevel": "info", "gc": {"reservedSpace": "2GB", "maxUsedSpace": "25GB", "minFreeSpace": "10GB", "sweepSize": "50%"}}` + "\n"

func (l paths) etcDaggerDir() string { return filepath.Join(l.stateDir, "etc-dagger") }

// engineFiles are the files an engine is started with: its configuration (see process), so a running
// engine whose files differ from the wanted ones is restarted.
type engineFiles map[string][]byte

func wantedFiles(l paths, script []byte) engineFiles {
	return engineFiles{
		l.configFile(): []byte(engineTOML(l.registry)),
		filepath.Join(l.etcDaggerDir(), "engine.json"): []byte(engineJSON),
		l.startScript(): script,
	}
}

// write stores the files atomically: a running engine's shell keeps reading the script it started with.
func (f engineFiles) write() error {
	for path, content := range f {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, ".sh") {
			mode = 0o755
		}
		if err := atomicfile.Write(path, content, mode); err != nil {
			return fmt.Errorf("write engine file %s: %w", path, err)
		}
	}
	return nil
}
