package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/platformteam/delivery/pkg/artifact"
)

// Environment variables CI systems set to the commit being built, in the order they are consulted.
var commitEnvVars = []string{"CODEBUILD_RESOLVED_SOURCE_VERSION", "GITHUB_SHA"}

// CommitSource says where a commit SHA was found.
type CommitSource struct {
	artifact.Commit
	// From names the source: an environment variable or "git metadata in <dir>".
	From string
}

// Commit finds the commit being built: CODEBUILD_RESOLVED_SOURCE_VERSION, then GITHUB_SHA, then the
// git metadata of the checkout at or above dir (read with artifact.HeadCommit, so no git binary is
// needed inside a build container). getenv is os.Getenv when nil.
func Commit(dir string, getenv func(string) string) (CommitSource, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, key := range commitEnvVars {
		v := strings.TrimSpace(getenv(key))
		if v == "" {
			continue
		}
		c, err := artifact.ParseFullCommit(v)
		if err != nil {
			return CommitSource{}, fmt.Errorf("%s: %w; unset it or fix the CI source settings", key, err)
		}
		return CommitSource{Commit: c, From: key}, nil
	}
	root, err := checkoutRoot(dir)
	if err == nil {
		var c artifact.Commit
		if c, err = artifact.HeadCommit(artifact.DirReader(root)); err == nil {
			return CommitSource{Commit: c, From: "git metadata in " + root}, nil
		}
	}
	return CommitSource{}, fmt.Errorf("find the commit to tag: %w (or set %s)", err, strings.Join(commitEnvVars, " / "))
}

// checkoutRoot is the nearest directory at or above dir holding .git (a directory, or a worktree's
// "gitdir:" file).
func checkoutRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", errors.New("no git metadata (.git) at or above " + abs)
		}
	}
}
