package daggerengine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// debianSource is a Debian archive the machine's apt already uses: where debootstrap downloads from.
type debianSource struct {
	Mirror string // archive URL, e.g. the value of URIs: in debian.sources
	Suite  string // release codename, e.g. bookworm
}

// aptSourceFiles lists the machine's apt source files in apt's own order.
func aptSourceFiles(root string) []string {
	files := []string{filepath.Join(root, "etc/apt/sources.list")}
	more, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d/*"))
	sort.Strings(more)
	return append(files, more...)
}

// findDebianSource reads the apt sources under root ("/" on a real machine) and returns the first
// Debian archive with a main component and a plain release suite (not -updates, not -security).
func findDebianSource(root string) (debianSource, error) {
	var entries []debianSource
	for _, f := range aptSourceFiles(root) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(f, ".sources"):
			entries = append(entries, parseDeb822(strings.NewReader(string(b)))...)
		case strings.HasSuffix(f, ".list"):
			entries = append(entries, parseOneLine(strings.NewReader(string(b)))...)
		}
	}
	for _, e := range entries {
		u, err := url.Parse(e.Mirror)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		if path.Base(strings.TrimRight(u.Path, "/")) == "debian" && !strings.Contains(e.Suite, "-") {
			return e, nil
		}
	}
	return debianSource{}, errors.New("no Debian archive with a main component found in " + filepath.Join(root, "etc/apt/sources.list*") +
		"; debootstrap needs the mirror the machine already uses: add a Debian source there (apt-get update must work)")
}

// parseDeb822 parses deb822 stanzas (Types/URIs/Suites/Components), keeping binary "deb" entries with main.
func parseDeb822(r io.Reader) []debianSource {
	var out []debianSource
	flush := func(fields map[string]string) {
		if !hasWord(fields["types"], "deb") || !hasWord(fields["components"], "main") || strings.EqualFold(fields["enabled"], "no") {
			return
		}
		for _, uri := range strings.Fields(fields["uris"]) {
			for _, suite := range strings.Fields(fields["suites"]) {
				out = append(out, debianSource{Mirror: uri, Suite: suite})
			}
		}
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush(fields)
			fields = map[string]string{}
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
			fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	flush(fields)
	return out
}

// parseOneLine parses the classic "deb [options] uri suite components..." format.
func parseOneLine(r io.Reader) []debianSource {
	var out []debianSource
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // options, possibly spanning several fields
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) < 3 || !hasWord(strings.Join(f[2:], " "), "main") {
			continue
		}
		out = append(out, debianSource{Mirror: f[0], Suite: f[1]})
	}
	return out
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

func (s debianSource) String() string { return fmt.Sprintf("%s %s", s.Mirror, s.Suite) }
