package kms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// ServeHTTP answers KMS's JSON protocol (X-Amz-Target: TrentService.GetPublicKey or .Sign) for
// clients that talk HTTP (aws-sdk-go-v2 with a base endpoint). Other operations get 400. Nothing is
// authenticated: put a front that checks identities before it when that matters.
func (k *KMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	var in struct {
		KeyId            string
		Message          []byte
		MessageType      string
		SigningAlgorithm string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, "ValidationException", err.Error())
		return
	}
	ctx := context.Background()
	switch op {
	case "GetPublicKey":
		out, err := k.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(in.KeyId)})
		if err != nil {
			writeKMSError(w, err)
			return
		}
		writeJSON(w, map[string]any{"KeyId": aws.ToString(out.KeyId), "PublicKey": out.PublicKey, "KeySpec": out.KeySpec,
			"KeyUsage": out.KeyUsage, "SigningAlgorithms": out.SigningAlgorithms})
	case "Sign":
		out, err := k.Sign(ctx, &awskms.SignInput{KeyId: aws.String(in.KeyId), Message: in.Message,
			MessageType: kmstypes.MessageType(in.MessageType), SigningAlgorithm: kmstypes.SigningAlgorithmSpec(in.SigningAlgorithm)})
		if err != nil {
			writeKMSError(w, err)
			return
		}
		writeJSON(w, map[string]any{"KeyId": aws.ToString(out.KeyId), "Signature": out.Signature, "SigningAlgorithm": out.SigningAlgorithm})
	default:
		writeError(w, "UnsupportedOperationException", "the fake KMS answers GetPublicKey and Sign, not "+op)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func writeKMSError(w http.ResponseWriter, err error) {
	var nf *kmstypes.NotFoundException
	var usage *kmstypes.InvalidKeyUsageException
	switch {
	case errors.As(err, &nf):
		writeError(w, "NotFoundException", nf.ErrorMessage())
	case errors.As(err, &usage):
		writeError(w, "InvalidKeyUsageException", usage.ErrorMessage())
	default:
		writeError(w, "ValidationException", err.Error())
	}
}

func writeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
