package iampolicy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Sources are the directories, relative to the repository root, that Load reads: the templates and
// the environments. Copy them to render the identities of a modified repository.
var Sources = []string{Dir, "modules/ecr/policies", "environments"}

// CopySources copies Sources from the repository at from into the directory to (created if needed),
// so a test can edit a template or an environment in the copy and Load(to, env).
func CopySources(from, to string) error {
	for _, dir := range Sources {
		src := filepath.Join(from, filepath.FromSlash(dir))
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(from, p)
			if err != nil {
				return err
			}
			dst := filepath.Join(to, rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			if !d.Type().IsRegular() {
				return nil
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, raw, 0o644)
		})
		if err != nil {
			return fmt.Errorf("copy %s: %w", dir, err)
		}
	}
	return nil
}
