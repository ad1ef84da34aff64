package deploylock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SSMAPI is the part of the SSM API the lock uses (satisfied by *ssm.Client).
type SSMAPI interface {
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// DefaultSSMPrefix is where the locks live unless configured: /delivery/deploy-locks/<env>/<target>/<name>.
const DefaultSSMPrefix = "/delivery/deploy-locks"

// SSMStore keeps each lock as a String parameter under Prefix. PutParameter without overwrite is the
// atomic create (ParameterAlreadyExists for the loser). SSM has no conditional delete: Delete reads
// the token first, so a lock removed by an operator and re-taken by another deploy in the instant
// between that read and the delete could be removed; the window is one API round trip.
type SSMStore struct {
	API    SSMAPI
	Prefix string
}

func (s SSMStore) name(key string) string {
	p := s.Prefix
	if p == "" {
		p = DefaultSSMPrefix
	}
	return strings.TrimRight(p, "/") + "/" + key
}

// Where names the parameter.
func (s SSMStore) Where(key string) string { return "SSM parameter " + s.name(key) }

// Create puts the parameter unless it exists.
func (s SSMStore) Create(ctx context.Context, key string, h Holder) (bool, error) {
	raw, err := json.Marshal(h)
	if err != nil {
		return false, err
	}
	_, err = s.API.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(s.name(key)), Value: aws.String(string(raw)),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(false),
		Description: aws.String("deploy lock: delete only when no deploy runs (release unlock)")})
	var exists *ssmtypes.ParameterAlreadyExists
	if errors.As(err, &exists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put %s: %w (the deploy role needs ssm:PutParameter, GetParameter and DeleteParameter on it)", s.name(key), err)
	}
	return true, nil
}

// Read gets the parameter (nil when absent).
func (s SSMStore) Read(ctx context.Context, key string) (*Holder, error) {
	out, err := s.API.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.name(key))})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", s.name(key), err)
	}
	var h Holder
	if out.Parameter == nil || json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &h) != nil {
		return nil, fmt.Errorf("%s does not hold a deploy lock record: remove or rename it", s.name(key))
	}
	return &h, nil
}

// Delete removes the parameter if it holds token.
func (s SSMStore) Delete(ctx context.Context, key, token string) error {
	h, err := s.Read(ctx, key)
	if err != nil || h == nil {
		return err
	}
	if h.Token != token {
		return fmt.Errorf("%s is now held by %s under another token: left in place", s.name(key), h.Who)
	}
	_, err = s.API.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(s.name(key))})
	var nf *ssmtypes.ParameterNotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete %s: %w", s.name(key), err)
	}
	return nil
}
