package proc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/platformteam/delivery/internal/atomicfile"
)

// commandFingerprint identifies how a process is configured: its arguments, the environment
// variables added to the inherited ones, and the content of its configuration files (configs,
// certificates, kubeconfigs, stage definitions, start scripts). Two starts with the same fingerprint
// run the same configuration; a different one means the running process is out of date.
func commandFingerprint(cmd *exec.Cmd, configFiles []string) string {
	h := sha256.New()
	for _, arg := range cmd.Args {
		fmt.Fprintf(h, "arg %s\n", arg)
	}
	inherited := os.Environ()
	for _, kv := range cmd.Env {
		if !slices.Contains(inherited, kv) {
			fmt.Fprintf(h, "env %s\n", kv)
		}
	}
	for _, path := range configFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(h, "file %s missing\n", path)
			continue
		}
		fmt.Fprintf(h, "file %s %x\n", path, sha256.Sum256(data))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// configChanged compares a running process's recorded fingerprint with the current one. A missing
// record (a process started before fingerprints existed) counts as unchanged and is recorded now.
func (p Process) configChanged(current string) bool {
	data, err := os.ReadFile(p.Files.Config)
	if err != nil {
		_ = atomicfile.Write(p.Files.Config, []byte(current+"\n"), 0o644)
		return false
	}
	return strings.TrimSpace(string(data)) != current
}
