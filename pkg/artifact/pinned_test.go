package artifact

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParsePinned(t *testing.T) {
	p, err := ParsePinned("127.0.0.1:5000/team/demo-app:abc1234@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	if p.Registry() != "127.0.0.1:5000" || p.Path() != "team/demo-app" || p.Repository() != "127.0.0.1:5000/team/demo-app" ||
		p.Tag() != "abc1234" || p.Digest() != digest || p.Hash().Hex != digest[len("sha256:"):] {
		t.Fatalf("parsed %+v", p)
	}
	if p.String() != "127.0.0.1:5000/team/demo-app@"+digest || p.Tagged() != "127.0.0.1:5000/team/demo-app:abc1234@"+digest {
		t.Fatalf("strings: %s %s", p, p.Tagged())
	}
	if p.Ref().String() != p.String() {
		t.Fatalf("ggcr reference %s", p.Ref())
	}
	for ref, want := range map[string]string{
		"127.0.0.1:5000/demo-app:abc1234":                                    "no digest",
		"demo-app@" + digest:                                                 "names no registry host",
		"team/demo-app@" + digest:                                            "names no registry host",
		"127.0.0.1:5000/Demo@" + digest:                                      "not a repository reference",
		"127.0.0.1:5000/demo-app@sha256:abc":                                 "sha256:<64 lower-case hex>",
		"127.0.0.1:5000/demo-app:a/b@" + digest:                              "not a repository reference",
		"127.0.0.1:5000/demo-app:" + strings.Repeat("t", 200) + "@" + digest: "tag",
	} {
		if _, err := ParsePinned(ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePinned(%q): want %q, got %v", ref, want, err)
		}
	}
	for _, ok := range []string{"localhost/demo-app@" + digest, "registry:5000/demo-app@" + digest,
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app@" + digest} {
		if _, err := ParsePinned(ok); err != nil {
			t.Errorf("ParsePinned(%q): %v", ok, err)
		}
	}
}

func TestPinnedJSONRoundTrip(t *testing.T) {
	p, _ := ParsePinned("127.0.0.1:5000/demo-app:abc1234@" + digest)
	raw, err := json.Marshal(struct {
		Image Pinned  `json:"image"`
		Zero  *Pinned `json:"zero,omitempty"`
	}{Image: p})
	if err != nil || string(raw) != `{"image":"127.0.0.1:5000/demo-app:abc1234@`+digest+`"}` {
		t.Fatalf("marshal: %s %v", raw, err)
	}
	var back struct{ Image Pinned }
	if err := json.Unmarshal(raw, &back); err != nil || back.Image.Tagged() != p.Tagged() {
		t.Fatalf("unmarshal: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"image":"demo-app:latest"}`), &back); err == nil {
		t.Fatal("an unpinned reference must not decode")
	}
}

func TestPinnedIn(t *testing.T) {
	p, _ := ParsePinned("222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app:abc1234@" + digest)
	q, err := p.In("333333333333.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app")
	if err != nil || q.Digest() != p.Digest() || q.Tag() != "abc1234" || q.SameImage(p) {
		t.Fatalf("In: %s %v", q.Tagged(), err)
	}
	if _, err := p.In("demo-app"); err == nil {
		t.Fatal("a repository without a registry host must be refused")
	}
}

func TestPinnedAccount(t *testing.T) {
	for ref, want := range map[string]string{
		"222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app@" + digest: "222222222222",
		"222222222222.dkr.ecr.cn-north-1.amazonaws.com.cn/demo-app@" + digest:  "222222222222",
		"127.0.0.1:5000/demo-app@" + digest:                                    "",
		"2222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app@" + digest:         "",
		"222222222222.registry.example/demo-app@" + digest:                     "",
	} {
		p, err := ParsePinned(ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Account(); got != want {
			t.Errorf("%s: account %q, want %q", ref, got, want)
		}
	}
}
