package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bcstream/bigcommerce/bctest"
	"bcstream/internal/pubsubtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// registrarBinary builds this package once per test run, so exit codes
// are tested at the process level.
func registrarBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "registrar-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "registrar")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type result struct {
	code           int
	stdout, stderr string
}

// runBinary runs the binary with env (and nothing else of the test's
// environment but PATH and HOME) and waits for it.
func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), registrarBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestUsageAndConfigErrorsExit1(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{name: "no command", want: "usage: registrar"},
		{name: "unknown command", args: []string{"destroy"}, want: `unknown command "destroy"`},
		{name: "missing config", args: []string{"plan"}, want: "GOOGLE_CLOUD_PROJECT: missing required value"},
		{name: "bad scope", args: []string{"plan"}, env: []string{"GOOGLE_CLOUD_PROJECT=p", "STORES_FILE=/nonexistent", "WEBHOOK_SCOPES=orders"},
			want: "WEBHOOK_SCOPES: scope \"orders\" must start with store/"},
		{name: "missing stores file", args: []string{"plan"}, env: []string{"GOOGLE_CLOUD_PROJECT=p", "STORES_FILE=/nonexistent/stores.yaml",
			"PUBSUB_SERVICE_AGENT=service-1@gcp-sa-pubsub.iam.gserviceaccount.com"},
			want: "STORES_FILE"},
		// On Google Cloud (no emulator) dead-lettering needs the service
		// agent's grants: a missing one is a startup error, not a failing pass.
		{name: "missing service agent", args: []string{"plan"}, env: []string{"GOOGLE_CLOUD_PROJECT=p", "STORES_FILE=/nonexistent/stores.yaml"},
			want: "PUBSUB_SERVICE_AGENT: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, tc.env, tc.args...)
			if r.code != exitFailed || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestIntegration_ExitCodes runs plan, apply, plan, status and run as a
// deploy would, against the simulator and the Pub/Sub emulator.
func TestIntegration_ExitCodes(t *testing.T) {
	em := pubsubtest.StartOrSkipShort(t)
	sim := bctest.NewSimulatorN(3, 2, -1, 0)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	var yaml strings.Builder
	yaml.WriteString("stores:\n")
	env := []string{
		"GOOGLE_CLOUD_PROJECT=exitcodes", "PUBSUB_EMULATOR_HOST=" + em.Host, "BIGCOMMERCE_API_URL=" + srv.URL,
		"STORES_FILE=" + filepath.Join(dir, "stores.yaml"), "WEBHOOK_SCOPES=store/order/*,store/product/*",
		"OTEL_SDK_DISABLED=true", "LOG_LEVEL=warn",
	}
	for i, s := range sim.Stores() {
		fmt.Fprintf(&yaml, "  - hash: %s\n    name: Store %d\n    token_env: BC_TOKEN_%d\n", s.Hash, i, i)
		env = append(env, fmt.Sprintf("BC_TOKEN_%d=%s", i, s.Token))
	}
	if err := os.WriteFile(filepath.Join(dir, "stores.yaml"), []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	r := runBinary(t, env, "plan")
	if r.code != exitPending || !strings.Contains(r.stdout, "+ create topic") || !strings.Contains(r.stdout, "+ create  store/order/*") {
		t.Fatalf("plan from nothing: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("plan from nothing:\n%s", r.stdout)
	if r = runBinary(t, env, "apply"); r.code != exitOK {
		t.Fatalf("apply: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r = runBinary(t, env, "plan"); r.code != exitOK || !strings.Contains(r.stdout, "Nothing to change") {
		t.Fatalf("second plan: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runBinary(t, env, "status", "--json")
	var status struct {
		Stores []struct {
			Store    string `json:"store"`
			Webhooks []struct {
				Action, Scope, Status string
			} `json:"webhooks"`
		} `json:"stores"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil || r.code != exitOK {
		t.Fatalf("status --json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	for _, s := range status.Stores {
		for _, w := range s.Webhooks {
			if w.Action == "keep" && w.Status != "ACTIVE" {
				t.Errorf("status: %s %s is %s", s.Store, w.Scope, w.Status)
			}
		}
	}

	// A revoked token fails the plan (exit 1) and is named in the output.
	hash := sim.Stores()[1].Hash
	tok := sim.Stores()[1].Token
	sim.SetToken(hash, "revoked")
	r = runBinary(t, env, "plan")
	if r.code != exitFailed || !strings.Contains(r.stdout, "rejected store "+hash) {
		t.Errorf("plan with a revoked store: exit %d, want 1 and the store named\n%s", r.code, r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, tok) {
		t.Error("the token appears in the output")
	}
	sim.SetToken(hash, tok)

	// run: ready once a pass finished, exits 0 on SIGTERM.
	addr := freeAddr(t)
	cmd := exec.Command(registrarBinary(t), "run", "--interval", "200ms")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HEALTH_ADDR=" + addr}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	ready := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				ready = true
				break
			}
		}
	}
	if !ready {
		t.Errorf("run never became ready\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("run after SIGTERM: %v\n%s", err, stderr.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
