package artifact

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCommit(t *testing.T) {
	full := "0123456789ABCDEF0123456789abcdef01234567"
	c, err := ParseCommit(full)
	if err != nil || c.Short() != "0123456" || !c.Full() || c.String() != strings.ToLower(full) {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := ParseCommit("abc1234"); err != nil || c.Full() || c.Short() != "abc1234" {
		t.Fatalf("abbreviated: %+v %v", c, err)
	}
	for _, bad := range []string{"", "abc", "main", "abc123g", strings.Repeat("a", 65)} {
		if _, err := ParseCommit(bad); err == nil {
			t.Errorf("ParseCommit(%q) must fail", bad)
		}
	}
	if _, err := ParseFullCommit("abc1234"); err == nil || !strings.Contains(err.Error(), "full commit SHA") {
		t.Errorf("an abbreviated SHA is not full: %v", err)
	}
}

// memReader is what a Dagger directory supplies: files by relative path, nothing outside.
func memReader(files map[string]string) ReadFile {
	return func(name string) ([]byte, error) {
		if v, ok := files[name]; ok {
			return []byte(v), nil
		}
		return nil, fs.ErrNotExist
	}
}

func TestHeadCommitFromAnyReader(t *testing.T) {
	full := "0123456789abcdef0123456789abcdef01234567"
	cases := map[string]struct {
		files map[string]string
		want  string
		err   string
	}{
		"loose ref":                   {files: map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": full + "\n"}, want: full},
		"packed ref":                  {files: map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".git/packed-refs": "# pack-refs\n" + strings.Repeat("e", 40) + " refs/heads/main\n"}, want: strings.Repeat("e", 40)},
		"detached":                    {files: map[string]string{".git/HEAD": strings.Repeat("d", 40) + "\n"}, want: strings.Repeat("d", 40)},
		"unborn":                      {files: map[string]string{".git/HEAD": "ref: refs/heads/main\n"}, err: "no commit yet"},
		"garbage HEAD":                {files: map[string]string{".git/HEAD": "hello\n"}, err: "not a full commit SHA"},
		"no git":                      {files: map[string]string{}, err: "no git metadata"},
		"worktree outside the source": {files: map[string]string{".git": "gitdir: /elsewhere/.git/worktrees/x\n"}, err: "cannot be read here"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := HeadCommit(memReader(tc.files))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want %q, got %v (%v)", tc.err, err, c)
				}
				return
			}
			if err != nil || c.String() != tc.want {
				t.Fatalf("got %v %v, want %s", c, err, tc.want)
			}
		})
	}
}

func TestHeadCommitOfAHostWorktree(t *testing.T) {
	full := strings.Repeat("c", 40)
	main := t.TempDir()
	git := filepath.Join(main, ".git")
	wtGit := filepath.Join(git, "worktrees", "x")
	for _, d := range []string{filepath.Join(git, "refs", "heads"), wtGit} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(git, "refs", "heads", "feature"), full+"\n")
	write(filepath.Join(wtGit, "HEAD"), "ref: refs/heads/feature\n")
	write(filepath.Join(wtGit, "commondir"), "../..\n")
	wt := t.TempDir()
	write(filepath.Join(wt, ".git"), "gitdir: "+wtGit+"\n")
	c, err := HeadCommit(DirReader(wt))
	if err != nil || c.String() != full {
		t.Fatalf("worktree: %v %v", c, err)
	}
	if _, err := HeadCommit(DirReader(t.TempDir())); err == nil || errors.Is(err, nil) {
		t.Fatal("an empty directory has no commit")
	}
}
