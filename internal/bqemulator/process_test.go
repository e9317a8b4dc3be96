package bqemulator_test

import (
	"errors"
	"net/http"
	"syscall"
	"testing"

	"bcstream/internal/bqemulator/bqemutest"
)

// TestStartAndStop starts the real emulator on free ports, checks that
// its REST API answers for the project, and that Stop ends the process.
func TestStartAndStop(t *testing.T) {
	t.Parallel()
	p := bqemutest.Start(t, "bqemulator-test")
	resp, err := http.Get(p.RESTEndpoint() + "/bigquery/v2/projects/bqemulator-test/datasets")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list datasets: %s", resp.Status)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if err := syscall.Kill(p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("emulator pid %d still exists after Stop (kill -0: %v)", p.Pid(), err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop() = %v", err)
	}
}
