package iameval

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// operator is a parsed condition operator.
type operator struct {
	base     string // e.g. StringLike
	ifExists bool
	set      string // "", "ForAnyValue", "ForAllValues"
}

var baseOperators = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"NumericEquals": true, "NumericNotEquals": true, "NumericLessThan": true, "NumericLessThanEquals": true,
	"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
	"DateEquals": true, "DateNotEquals": true, "DateLessThan": true, "DateLessThanEquals": true,
	"DateGreaterThan": true, "DateGreaterThanEquals": true,
	"Bool": true, "BinaryEquals": true, "IpAddress": true, "NotIpAddress": true,
	"ArnEquals": true, "ArnLike": true, "ArnNotEquals": true, "ArnNotLike": true,
	"Null": true,
}

func parseOperator(op string) (operator, error) {
	var o operator
	rest := op
	if set, after, ok := strings.Cut(op, ":"); ok {
		if set != "ForAnyValue" && set != "ForAllValues" {
			return o, fmt.Errorf("unknown set qualifier %q in %q", set, op)
		}
		o.set, rest = set, after
	}
	if base, ok := strings.CutSuffix(rest, "IfExists"); ok && base != "" {
		o.ifExists, rest = true, base
	}
	if !baseOperators[rest] {
		return o, fmt.Errorf("unknown condition operator %q", op)
	}
	if rest == "Null" && (o.ifExists || o.set != "") {
		return o, fmt.Errorf("Null takes neither IfExists nor a set qualifier: %q", op)
	}
	o.base = rest
	return o, nil
}

// negated reports whether the operator is a "not" operator (true when the key is absent).
func (o operator) negated() bool {
	switch o.base {
	case "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
		"NotIpAddress", "ArnNotEquals", "ArnNotLike":
		return true
	}
	return false
}

// positive is the operator's match without negation.
func (o operator) positive() string {
	switch o.base {
	case "StringNotEquals":
		return "StringEquals"
	case "StringNotEqualsIgnoreCase":
		return "StringEqualsIgnoreCase"
	case "StringNotLike":
		return "StringLike"
	case "NumericNotEquals":
		return "NumericEquals"
	case "DateNotEquals":
		return "DateEquals"
	case "NotIpAddress":
		return "IpAddress"
	case "ArnNotEquals":
		return "ArnEquals"
	case "ArnNotLike":
		return "ArnLike"
	}
	return o.base
}

// holds evaluates the condition against the request context.
func (c Condition) holds(ctx Context, substituteVars bool) bool {
	o, err := parseOperator(c.Operator)
	if err != nil {
		return false // Parse refused it already; never allow on an unknown operator
	}
	values, present := ctx.lookup(c.Key)
	if o.base == "Null" {
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return want == !present
	}
	policyValues := c.Values
	if substituteVars {
		policyValues = make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			if s, ok := substitute(v, ctx); ok {
				policyValues = append(policyValues, s)
			}
		}
	}
	// matchesAny: the value matches at least one policy value under the positive operator.
	matchesAny := func(v string) bool {
		for _, p := range policyValues {
			if match(o.positive(), p, v) {
				return true
			}
		}
		return false
	}
	// single: the (possibly negated) operator on one request value.
	single := func(v string) bool { return matchesAny(v) != o.negated() }

	switch o.set {
	case "ForAllValues":
		for _, v := range values {
			if !single(v) {
				return false
			}
		}
		return true // also when the key is absent or empty, as documented
	case "ForAnyValue":
		for _, v := range values {
			if single(v) {
				return true
			}
		}
		return false
	}
	if !present || len(values) == 0 {
		return o.ifExists || o.negated()
	}
	if o.negated() {
		for _, v := range values {
			if matchesAny(v) {
				return false
			}
		}
		return true
	}
	for _, v := range values {
		if matchesAny(v) {
			return true
		}
	}
	return false
}

// match applies a positive operator to a policy value p and a request value v.
func match(op, p, v string) bool {
	switch op {
	case "StringEquals":
		return p == v
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(p, v)
	case "StringLike":
		return globMatch(p, v)
	case "ArnEquals", "ArnLike":
		return arnMatch(p, v)
	case "Bool":
		return strings.EqualFold(p, v)
	case "BinaryEquals":
		pb, err1 := base64.StdEncoding.DecodeString(p)
		vb, err2 := base64.StdEncoding.DecodeString(v)
		return err1 == nil && err2 == nil && string(pb) == string(vb)
	case "IpAddress":
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, err2 := netip.ParseAddr(p)
			if err2 != nil {
				return false
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		addr, err := netip.ParseAddr(v)
		return err == nil && prefix.Contains(addr)
	}
	if cmp, ok := strings.CutPrefix(op, "Numeric"); ok {
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(p, 64)
		return err1 == nil && err2 == nil && compare(cmp, a, b)
	}
	if cmp, ok := strings.CutPrefix(op, "Date"); ok {
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(p)
		return ok1 && ok2 && compare(cmp, float64(a.UnixNano()), float64(b.UnixNano()))
	}
	return false
}

// compare applies Equals/LessThan/... to request value a and policy value b.
func compare(cmp string, a, b float64) bool {
	switch cmp {
	case "Equals":
		return a == b
	case "LessThan":
		return a < b
	case "LessThanEquals":
		return a <= b
	case "GreaterThan":
		return a > b
	case "GreaterThanEquals":
		return a >= b
	}
	return false
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0), true
	}
	return time.Time{}, false
}
