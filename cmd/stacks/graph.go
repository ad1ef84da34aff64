package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/stackgraph"
)

func graphCommand(ctx context.Context, args []string) error {
	var f commonFlags
	var format, changedSince string
	fs := newFlagSet("graph", "[--root DIR] [--env ENV] [--format text|dot|json] [--changed-since REF]")
	f.register(fs)
	fs.StringVar(&format, "format", "text", "text, dot or json")
	fs.StringVar(&changedSince, "changed-since", "", "also list the stacks changed since this git ref plus their dependents")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.json {
		format = "json"
	}
	if format != "text" && format != "dot" && format != "json" {
		return fmt.Errorf("--format %q: use text, dot or json", format)
	}
	stacksRoot := "."
	if f.env != "" {
		env, err := environment.Load(f.root, f.env)
		if err != nil {
			return err
		}
		stacksRoot = cleanRel(env.Terraform.StacksRoot)
	}
	bp, err := blueprint.Load(filepath.Join(f.root, stacksRoot))
	if err != nil {
		return err
	}
	if syntax := bp.Syntax(); syntax.Errors() > 0 {
		return fmt.Errorf("the blueprint has malformed files; run stacks lint:\n  %s", syntax[0])
	}
	g, err := stackgraph.Build(bp)
	if err != nil {
		return err
	}
	var changes []stackgraph.Change
	if changedSince != "" {
		files, err := stackgraph.GitChangedFiles(ctx, f.root, changedSince)
		if err != nil {
			return err
		}
		_, changes = stackgraph.Affected(g, bp, stacksRoot, f.env, files)
	}
	switch format {
	case "dot":
		fmt.Print(g.DOT())
	case "json":
		raw, err := g.JSON()
		if err != nil {
			return err
		}
		if changedSince != "" {
			var v map[string]any
			_ = json.Unmarshal(raw, &v)
			v["changed"] = changes
			raw, _ = json.MarshalIndent(v, "", "  ")
		}
		fmt.Println(string(raw))
	default:
		fmt.Print(g.Text())
		if changedSince != "" {
			fmt.Printf("changed since %s (%d stacks):\n", changedSince, len(changes))
			for _, c := range changes {
				fmt.Printf("  %s: %s\n", c.Stack, c.Reason)
			}
		}
	}
	return nil
}
