package diagnosis

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func code(n int32) *int32 { return &n }

func sample() *Diagnosis {
	at := time.Date(2026, 1, 1, 10, 0, 5, 0, time.UTC)
	return &Diagnosis{
		Tasks: []Task{{ID: "abc123", TaskDefinition: "demo-app:7", StopCode: "EssentialContainerExited",
			StoppedReason: "Essential container in task exited",
			Containers:    []Container{{Name: "app", State: "STOPPED", Reason: "OutOfMemoryError: Container killed due to memory usage", ExitCode: code(137)}}}},
		Pods: []Pod{{Name: "web-7d9-x", Containers: []Container{{Name: "app", State: "waiting", Reason: "CrashLoopBackOff",
			Message: "back-off 10s restarting failed container", Restarts: 3}}}},
		Events: []Event{{At: at, Object: "pod/web-7d9-x", Reason: "Failed",
			Message: "Failed to pull image: GET https://registry.test/v2/?X-Amz-Security-Token=FwoGZXIvYXdzEJr%2Fsecret&X-Amz-Signature=deadbeef01"}},
	}
}

func TestLinesSayEveryFact(t *testing.T) {
	got := strings.Join(sample().Lines(), "\n")
	for _, want := range []string{
		"task abc123 (demo-app:7) stopped [EssentialContainerExited]: Essential container in task exited",
		"  container app STOPPED OutOfMemoryError: Container killed due to memory usage exit code 137",
		"pod web-7d9-x",
		"  container app waiting CrashLoopBackOff after 3 restart(s): back-off 10s restarting failed container",
		"event 10:00:05 pod/web-7d9-x Failed: Failed to pull image",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("lines lack %q:\n%s", want, got)
		}
	}
	var nilDiag *Diagnosis
	if !nilDiag.Empty() || (&Diagnosis{}).Empty() == false || sample().Empty() {
		t.Fatal("Empty is wrong")
	}
}

func TestCredentialsAreFoundAndMaskedEverywhere(t *testing.T) {
	d := sample()
	d.Tasks[0].StoppedReason = "CannotPullContainerError: pull https://AWS:s3cr3tpassw0rd@registry.test/v2/: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"
	d.Pods[0].Containers[0].Message = "token k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u rejected"
	found := FindCredentials(d.Text())
	for _, want := range []string{"FwoGZXIvYXdzEJr%2Fsecret", "deadbeef01", "s3cr3tpassw0rd", "eyJhbGciOiJSUzI1NiJ9.payload.sig",
		"k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u"} {
		if !contains(found, want) {
			t.Fatalf("credential %q not found in %v", want, found)
		}
	}
	masked := d.Masked(append(found, "demo-app:7-not-present"))
	raw, _ := json.Marshal(masked)
	for _, v := range found {
		if strings.Contains(string(raw), v) || strings.Contains(masked.Text(), v) {
			t.Fatalf("%q survives masking: %s", v, raw)
		}
	}
	if !strings.Contains(masked.Text(), "X-Amz-Security-Token=***") || !strings.Contains(masked.Text(), "Bearer ***") {
		t.Fatalf("masked text: %s", masked.Text())
	}
	// The original is untouched, and facts that are not credentials stay.
	if !strings.Contains(d.Text(), "s3cr3tpassw0rd") || !strings.Contains(masked.Text(), "exit code 137") {
		t.Fatal("masking changed the original or lost facts")
	}
	if Mask(nil)("x") != "x" || Mask([]string{" "})("a b") != "a b" {
		t.Fatal("blank secrets must not mask anything")
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
