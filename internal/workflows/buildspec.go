package workflows

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// BuildspecFile is the CodeBuild build specification at the repository root.
const BuildspecFile = "buildspec.yml"

// Buildspec is buildspec.yml: its variables and its phases' commands, in phase order.
type Buildspec struct {
	File      string
	Variables map[string]string
	Phases    []Phase
	Artifacts []string
}

// Phase is one buildspec phase.
type Phase struct {
	Name     string
	Commands []string
}

// buildspecPhases is the order CodeBuild runs the phases in.
var buildspecPhases = []string{"install", "pre_build", "build", "post_build"}

// LoadBuildspec parses root/buildspec.yml.
func LoadBuildspec(root string) (Buildspec, error) {
	data, err := os.ReadFile(filepath.Join(root, BuildspecFile))
	if err != nil {
		return Buildspec{}, err
	}
	return ParseBuildspec(BuildspecFile, data)
}

// ParseBuildspec parses a buildspec's content.
func ParseBuildspec(file string, data []byte) (Buildspec, error) {
	var raw struct {
		Version string `yaml:"version"`
		Env     struct {
			Variables map[string]string `yaml:"variables"`
		} `yaml:"env"`
		Phases map[string]struct {
			Commands []string `yaml:"commands"`
		} `yaml:"phases"`
		Artifacts struct {
			Files []string `yaml:"files"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Buildspec{}, fmt.Errorf("%s: %w", file, err)
	}
	if raw.Version != "0.2" {
		return Buildspec{}, fmt.Errorf("%s: version %q: the checks read buildspec version 0.2", file, raw.Version)
	}
	b := Buildspec{File: file, Variables: raw.Env.Variables, Artifacts: raw.Artifacts.Files}
	for name := range raw.Phases {
		known := false
		for _, p := range buildspecPhases {
			known = known || p == name
		}
		if !known {
			return Buildspec{}, fmt.Errorf("%s: unknown phase %q (CodeBuild runs %v)", file, name, buildspecPhases)
		}
	}
	for _, p := range buildspecPhases {
		if ph, ok := raw.Phases[p]; ok {
			b.Phases = append(b.Phases, Phase{Name: p, Commands: ph.Commands})
		}
	}
	return b, nil
}
