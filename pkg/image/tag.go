package image

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ShortSHALength is the length of the image tag cut from a commit SHA.
const ShortSHALength = 7

// Environment variables CI systems set to the commit being built, in the order they are consulted.
var commitEnvVars = []string{"CODEBUILD_RESOLVED_SOURCE_VERSION", "GITHUB_SHA"}

var fullSHARE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// CommitSource says where a commit SHA was found.
type CommitSource struct {
	// SHA is the full commit SHA (40 or 64 lower-case hex characters).
	SHA string
	// From names the source: an environment variable or "git metadata in <dir>".
	From string
}

// Short is the image tag: the first 7 characters of the commit SHA.
func (c CommitSource) Short() string { return c.SHA[:ShortSHALength] }

// Commit finds the commit being built: CODEBUILD_RESOLVED_SOURCE_VERSION, then GITHUB_SHA, then the
// git metadata of dir (read directly from .git, so no git binary is needed inside a build container).
// getenv is os.Getenv when nil.
func Commit(dir string, getenv func(string) string) (CommitSource, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, key := range commitEnvVars {
		v := strings.ToLower(strings.TrimSpace(getenv(key)))
		if v == "" {
			continue
		}
		if !fullSHARE.MatchString(v) {
			return CommitSource{}, fmt.Errorf("%s=%q is not a full commit SHA (40 hex characters); unset it or fix the CI source settings", key, v)
		}
		return CommitSource{SHA: v, From: key}, nil
	}
	sha, err := gitHead(dir)
	if err != nil {
		return CommitSource{}, fmt.Errorf("find the commit to tag: %w (or set %s)", err, strings.Join(commitEnvVars, " / "))
	}
	return CommitSource{SHA: sha, From: "git metadata in " + dir}, nil
}

// ShortSHA returns the 7-character tag for the commit being built (see Commit).
func ShortSHA(dir string, getenv func(string) string) (string, error) {
	c, err := Commit(dir, getenv)
	if err != nil {
		return "", err
	}
	return c.Short(), nil
}

// gitHead resolves HEAD from the .git directory found at or above dir.
func gitHead(dir string) (string, error) {
	gitDir, err := findGitDir(dir)
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", filepath.Join(gitDir, "HEAD"), err)
	}
	head := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(head, "ref: ") {
		if !fullSHARE.MatchString(head) {
			return "", fmt.Errorf("%s holds %q, not a commit SHA", filepath.Join(gitDir, "HEAD"), head)
		}
		return head, nil
	}
	ref := strings.TrimPrefix(head, "ref: ")
	// Worktrees keep refs in the common dir.
	common := gitDir
	if c, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		common = filepath.Clean(filepath.Join(gitDir, strings.TrimSpace(string(c))))
	}
	for _, d := range []string{gitDir, common} {
		if raw, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(ref))); err == nil {
			sha := strings.TrimSpace(string(raw))
			if fullSHARE.MatchString(sha) {
				return sha, nil
			}
		}
	}
	if sha, ok := packedRef(filepath.Join(common, "packed-refs"), ref); ok {
		return sha, nil
	}
	return "", fmt.Errorf("HEAD points at %s, which has no commit yet (commit first)", ref)
}

func findGitDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".git")
		fi, err := os.Stat(p)
		if err == nil && fi.IsDir() {
			return p, nil
		}
		if err == nil {
			// A worktree or submodule: ".git" is a file "gitdir: <path>".
			raw, err := os.ReadFile(p)
			if err != nil {
				return "", err
			}
			line := strings.TrimSpace(string(raw))
			if !strings.HasPrefix(line, "gitdir: ") {
				return "", fmt.Errorf("%s is neither a directory nor a gitdir link", p)
			}
			target := strings.TrimPrefix(line, "gitdir: ")
			if !filepath.IsAbs(target) {
				target = filepath.Join(d, target)
			}
			return filepath.Clean(target), nil
		}
		if d == filepath.Dir(d) {
			return "", errors.New("no git metadata (.git) at or above " + abs)
		}
	}
}

func packedRef(path, ref string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[1] == ref && fullSHARE.MatchString(fields[0]) {
			return fields[0], true
		}
	}
	return "", false
}
