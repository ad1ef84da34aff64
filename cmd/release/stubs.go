package main

import (
	"context"
	"errors"
)

func eksDeploy(context.Context, []string) error   { return errors.New("not implemented yet") }
func eksRollback(context.Context, []string) error { return errors.New("not implemented yet") }
func eksHistory(context.Context, []string) error  { return errors.New("not implemented yet") }
func verifyCmd(context.Context, []string) error   { return errors.New("not implemented yet") }
