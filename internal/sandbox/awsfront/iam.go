package awsfront

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
)

func (f *Front) registerIAM() {
	f.HandleOperation("iam", "CreateAccessKey", f.createAccessKey)
}

// createAccessKey forwards the call (for the caller itself when it names no user, as IAM does) and
// records the key moto issues, so the twin can authenticate it.
func (f *Front) createAccessKey(w http.ResponseWriter, r *http.Request, call *Call) {
	if e := f.Authorize(r.Context(), call, accessFor(call, r)...); e != nil {
		WriteError(w, call, e)
		return
	}
	user := call.Form.Get("UserName")
	if user == "" {
		if !strings.Contains(call.Caller.Principal, ":user/") {
			WriteError(w, call, &APIError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "Must specify userName when calling with non-User credentials"})
			return
		}
		user = call.Caller.Principal[strings.LastIndex(call.Caller.Principal, "/")+1:]
		call.Form.Set("UserName", user)
		call.Body = []byte(formWithout(call.Form, "").Encode())
	}
	resp, body, err := f.backend.do(r.Context(), call, r, call.Body)
	if err != nil {
		WriteError(w, call, &APIError{Status: http.StatusBadGateway, Code: "InternalFailure", Message: err.Error()})
		return
	}
	if resp.StatusCode == http.StatusOK {
		var out struct {
			Key struct {
				UserName        string `xml:"UserName"`
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
			} `xml:"CreateAccessKeyResult>AccessKey"`
		}
		if err := xml.Unmarshal(body, &out); err != nil || out.Key.AccessKeyID == "" {
			WriteError(w, call, &APIError{Status: http.StatusBadGateway, Code: "InternalFailure", Message: fmt.Sprintf("moto's CreateAccessKey answer is not understood: %s", body)})
			return
		}
		userID, userARN := f.userIdentity(r, call.Account, out.Key.UserName)
		if err := f.creds.Add(credentials.Credential{AccessKeyID: out.Key.AccessKeyID, SecretAccessKey: out.Key.SecretAccessKey,
			Principal: userARN, UserID: userID, Account: call.Account, Source: "CreateAccessKey"}); err != nil {
			WriteError(w, call, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()})
			return
		}
		f.policies.invalidate(call.Account)
	}
	copyResponse(w, resp, body)
}

func formWithout(form url.Values, drop string) url.Values {
	out := url.Values{}
	for k, v := range form {
		if k != drop {
			out[k] = v
		}
	}
	return out
}

// userIdentity reads a user's ID and ARN (with its path) from moto; it falls back to the path-less ARN.
func (f *Front) userIdentity(r *http.Request, account, user string) (id, arn string) {
	arn = fmt.Sprintf("arn:aws:iam::%s:user/%s", account, user)
	cfg, err := f.AdminConfig(account)
	if err != nil {
		return "", arn
	}
	out, err := iam.NewFromConfig(cfg).GetUser(r.Context(), &iam.GetUserInput{UserName: aws.String(user)})
	if err != nil || out.User == nil {
		return "", arn
	}
	return aws.ToString(out.User.UserId), aws.ToString(out.User.Arn)
}
