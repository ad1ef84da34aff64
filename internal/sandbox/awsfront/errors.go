package awsfront

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// APIError is an error the twin answers itself, as the service would.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

func accessDenied(message string) *APIError {
	return &APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: message}
}

// jsonCodes maps the query-protocol code to the code JSON-protocol services use for the same refusal.
var jsonCodes = map[string]string{
	"AccessDenied":               "AccessDeniedException",
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"ExpiredToken":               "ExpiredTokenException",
	"Throttling":                 "ThrottlingException",
	"InternalFailure":            "InternalFailure",
	"ServiceUnavailable":         "ServiceUnavailableException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"IncompleteSignature":        "IncompleteSignatureException",
}

// s3Codes maps to S3's own codes.
var s3Codes = map[string]string{
	"InvalidClientTokenId":       "InvalidAccessKeyId",
	"ExpiredToken":               "ExpiredToken",
	"Throttling":                 "SlowDown",
	"InternalFailure":            "InternalError",
	"ServiceUnavailable":         "ServiceUnavailable",
	"MissingAuthenticationToken": "AccessDenied",
	"IncompleteSignature":        "AccessDenied",
	"SignatureExpired":           "AccessDenied",
	"RequestExpired":             "AccessDenied",
}

// ec2Codes maps to EC2's codes.
var ec2Codes = map[string]string{
	"AccessDenied":          "UnauthorizedOperation",
	"InvalidClientTokenId":  "AuthFailure",
	"SignatureDoesNotMatch": "AuthFailure",
	"Throttling":            "RequestLimitExceeded",
	"InternalFailure":       "InternalError",
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// writeError answers e in the shape of the call's protocol.
func WriteError(w http.ResponseWriter, c *Call, e *APIError) {
	id := requestID()
	w.Header().Set("X-Amzn-RequestId", id)
	switch {
	case c == nil || c.Protocol == ProtocolJSON:
		code := e.Code
		if j, ok := jsonCodes[code]; ok {
			code = j
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": e.Message})
	case c.Protocol == ProtocolRESTJSON:
		code := e.Code
		if j, ok := jsonCodes[code]; ok {
			code = j
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
	case c.Protocol == ProtocolRESTXML:
		code := e.Code
		if s, ok := s3Codes[code]; ok {
			code = s
		}
		status := e.Status
		if code == "SlowDown" {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string
			Message   string
			RequestID string `xml:"RequestId"`
		}{Code: code, Message: e.Message, RequestID: id})
	case c.Service == "ec2":
		code := e.Code
		if s, ok := ec2Codes[code]; ok {
			code = s
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			xmlEscape(code), xmlEscape(e.Message), id)
	default:
		typ := "Sender"
		if e.Status >= 500 {
			typ = "Receiver"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			queryNamespace(c.Service), typ, xmlEscape(e.Code), xmlEscape(e.Message), id)
	}
}

func queryNamespace(service string) string {
	switch service {
	case "sts":
		return "https://sts.amazonaws.com/doc/2011-06-15/"
	case "iam":
		return "https://iam.amazonaws.com/doc/2010-05-08/"
	}
	return "https://" + service + ".amazonaws.com/doc/"
}

func xmlEscape(s string) string {
	var b []byte
	buf := &byteWriter{b: b}
	_ = xml.EscapeText(buf, []byte(s))
	return string(buf.b)
}

type byteWriter struct{ b []byte }

func (w *byteWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// throttleError is the service's throttling answer.
func throttleError() *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
}

// serverError is the service's internal error answer with the given 5xx status.
func serverError(status int) *APIError {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	code := "InternalFailure"
	if status == http.StatusServiceUnavailable {
		code = "ServiceUnavailable"
	}
	return &APIError{Status: status, Code: code, Message: "We encountered an internal error. Please try again. (fault injected by the sandbox twin, status " + strconv.Itoa(status) + ")"}
}
