package main

import (
	"context"
	"fmt"
	"io"

	"github.com/platformteam/delivery/pkg/release"
)

func unlockCmd(ctx context.Context, args []string) error {
	c := newFlags("unlock")
	key := c.fs.String("key", "", "the lock: <env>/<ecs|eks>/<service or release>, as the refused deploy printed it")
	token := c.fs.String("token", "", "the holder's token, as the refused deploy printed it (a lock under another token is left alone)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *key == "" || *token == "" {
		return usageError("--key and --token are required (the refused deploy prints both)")
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	if err := release.Unlock(ctx, acc, *key, *token); err != nil {
		return err
	}
	return c.emit(map[string]string{"unlocked": *key}, func(w io.Writer) { fmt.Fprintf(w, "removed deploy lock %s\n", *key) })
}
