// Package ghfake is a recording stand-in for the GitHub CLI (`gh api`) that the workflows' comment
// steps call: it keeps a pull request's comments in a JSON state file between invocations, records
// every call, and models only the requests the workflows make (list an issue's comments, create one,
// update one). --jq is evaluated by the real jq. Anything else fails, naming what is not modelled.
package ghfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// State is what the fake GitHub holds and what it was asked.
type State struct {
	NextID   int       `json:"next_id"`
	Comments []Comment `json:"comments"`
	Calls    []Call    `json:"calls"`
}

// Comment is an issue (pull request) comment.
type Comment struct {
	ID    int    `json:"id"`
	Issue string `json:"issue"` // owner/repo#number
	Body  string `json:"body"`
}

// Call is one recorded `gh` invocation.
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body,omitempty"`
}

// Load reads the state file (an absent file is an empty GitHub).
func Load(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return State{NextID: 1}, nil
	}
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

func (s State) save(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

var (
	issueComments = regexp.MustCompile(`^repos/([^/]+/[^/]+)/issues/([0-9]+)/comments$`)
	oneComment    = regexp.MustCompile(`^repos/([^/]+/[^/]+)/issues/comments/([0-9]+)$`)
)

// Run is one `gh` invocation with args (without the program name) against the state file.
func Run(stateFile string, args []string, stdout io.Writer) error {
	if os.Getenv("GH_TOKEN") == "" {
		return errors.New("gh: set the GH_TOKEN environment variable to use the GitHub CLI in a workflow")
	}
	if len(args) == 0 || args[0] != "api" {
		return fmt.Errorf("the fake gh models only `gh api`, not %q", args)
	}
	method, path, jq := "GET", "", ""
	fields := map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("gh api %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		var err error
		switch a {
		case "-X", "--method":
			method, err = next()
		case "--jq", "-q":
			jq, err = next()
		case "-f", "--raw-field", "-F", "--field":
			var kv string
			kv, err = next()
			k, v, _ := strings.Cut(kv, "=")
			fields[k] = v
		case "--paginate":
		default:
			if strings.HasPrefix(a, "-") || path != "" {
				return fmt.Errorf("the fake gh does not model the argument %q", a)
			}
			path = a
		}
		if err != nil {
			return err
		}
	}
	s, err := Load(stateFile)
	if err != nil {
		return err
	}
	s.Calls = append(s.Calls, Call{Method: method, Path: path, Body: fields["body"]})
	var out any
	switch m := issueComments.FindStringSubmatch(path); {
	case m != nil && method == "GET":
		list := []Comment{}
		for _, c := range s.Comments {
			if c.Issue == m[1]+"#"+m[2] {
				list = append(list, c)
			}
		}
		out = list
	case m != nil && method == "POST":
		c := Comment{ID: s.NextID, Issue: m[1] + "#" + m[2], Body: fields["body"]}
		s.NextID++
		s.Comments = append(s.Comments, c)
		out = c
	default:
		m := oneComment.FindStringSubmatch(path)
		if m == nil || method != "PATCH" {
			return fmt.Errorf("the fake gh does not model %s %s", method, path)
		}
		id, _ := strconv.Atoi(m[2])
		found := false
		for i := range s.Comments {
			if s.Comments[i].ID == id && strings.HasPrefix(s.Comments[i].Issue, m[1]+"#") {
				s.Comments[i].Body = fields["body"]
				out, found = s.Comments[i], true
			}
		}
		if !found {
			return fmt.Errorf("gh: Not Found (HTTP 404): no comment %d in %s", id, m[1])
		}
	}
	if err := s.save(stateFile); err != nil {
		return err
	}
	data, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if jq == "" {
		_, err = fmt.Fprintln(stdout, string(data))
		return err
	}
	cmd := exec.Command("jq", "-r", jq) // gh evaluates --jq like jq -r, with the environment visible
	cmd.Stdin = strings.NewReader(string(data))
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--jq %s: %w", jq, err)
	}
	return nil
}
