package artifact

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ShortLength is the length of a short commit SHA: the image tag and artifact.json's commit_sha.
const ShortLength = 7

// Commit is a git commit SHA: lower-case hex, 7 to 64 characters (abbreviated, SHA-1 or SHA-256).
type Commit struct{ sha string }

// ParseCommit accepts a full or abbreviated commit SHA (at least 7 hex characters), any case.
func ParseCommit(s string) (Commit, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if len(v) < ShortLength || len(v) > 64 || strings.Trim(v, "0123456789abcdef") != "" {
		return Commit{}, fmt.Errorf("%q is not a git commit SHA (7 to 64 hex characters)", s)
	}
	return Commit{sha: v}, nil
}

// ParseFullCommit accepts only a full SHA (40 or 64 hex characters), as CI systems and git store them.
func ParseFullCommit(s string) (Commit, error) {
	c, err := ParseCommit(s)
	if err != nil || !c.Full() {
		return Commit{}, fmt.Errorf("%q is not a full commit SHA (40 or 64 hex characters)", s)
	}
	return c, nil
}

// Short is the first 7 characters: the image tag.
func (c Commit) Short() string {
	if len(c.sha) < ShortLength {
		return c.sha
	}
	return c.sha[:ShortLength]
}

// Full reports whether the SHA is complete (40 or 64 characters).
func (c Commit) Full() bool { return len(c.sha) == 40 || len(c.sha) == 64 }

// IsZero reports whether c was never set.
func (c Commit) IsZero() bool { return c.sha == "" }

// String is the SHA as given (lower-case).
func (c Commit) String() string { return c.sha }

// ReadFile reads one file of a repository checkout by slash-separated path relative to the checkout
// root (".git/HEAD"), or by absolute path when git metadata points outside it (a worktree's gitdir).
// A host directory (DirReader) and a Dagger *Directory both supply one.
type ReadFile func(name string) ([]byte, error)

// DirReader reads files under root on this machine.
func DirReader(root string) ReadFile {
	return func(name string) ([]byte, error) {
		if path.IsAbs(name) {
			return os.ReadFile(filepath.FromSlash(name))
		}
		return os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	}
}

// HeadCommit resolves HEAD from the checkout's git metadata, read directly (no git binary): a
// detached HEAD, a loose ref, a packed ref, and a worktree (".git" is a "gitdir:" link whose refs live
// in the common dir).
func HeadCommit(read ReadFile) (Commit, error) {
	gitDir := ".git"
	head, err := read(gitDir + "/HEAD")
	if err != nil {
		link, lerr := read(".git")
		target, ok := strings.CutPrefix(strings.TrimSpace(string(link)), "gitdir: ")
		if lerr != nil || !ok {
			return Commit{}, fmt.Errorf("no git metadata (.git/HEAD) in the checkout: %w", err)
		}
		gitDir = path.Clean(filepath.ToSlash(target))
		if head, err = read(gitDir + "/HEAD"); err != nil {
			return Commit{}, fmt.Errorf(".git links to %s, which cannot be read here (a worktree whose git directory is outside the source): %w", gitDir, err)
		}
	}
	h := strings.TrimSpace(string(head))
	ref, symbolic := strings.CutPrefix(h, "ref: ")
	if !symbolic {
		c, err := ParseFullCommit(h)
		if err != nil {
			return Commit{}, fmt.Errorf("%s/HEAD: %w", gitDir, err)
		}
		return c, nil
	}
	common := gitDir
	if raw, err := read(gitDir + "/commondir"); err == nil {
		c := strings.TrimSpace(string(raw))
		if path.IsAbs(filepath.ToSlash(c)) {
			common = path.Clean(filepath.ToSlash(c))
		} else {
			common = path.Join(gitDir, filepath.ToSlash(c))
		}
	}
	for _, d := range []string{gitDir, common} {
		if raw, err := read(d + "/" + ref); err == nil {
			if c, err := ParseFullCommit(string(raw)); err == nil {
				return c, nil
			}
		}
	}
	if raw, err := read(common + "/packed-refs"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) == 2 && fields[1] == ref {
				if c, err := ParseFullCommit(fields[0]); err == nil {
					return c, nil
				}
			}
		}
	}
	return Commit{}, fmt.Errorf("HEAD points at %s, which has no commit yet (commit first)", ref)
}
