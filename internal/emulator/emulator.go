// Package emulator runs Google's Pub/Sub emulator (the Java one that ships
// with the gcloud CLI) as a child process, for integration tests (through
// internal/pubsubtest), the local demo and the load tool.
//
// It starts the emulator's jar with java directly rather than through
// `gcloud beta emulators pubsub start`, because gcloud forks the JVM: killing
// gcloud's PID would orphan the JVM, which keeps its port and memory. The JVM
// runs in its own process group, and Stop signals the whole group.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	// JarEnv names a variable that overrides where the emulator jar is.
	JarEnv = "PUBSUB_EMULATOR_JAR"
	// JavaOptsEnv names a variable with JVM options (space-separated) that
	// replace DefaultJavaOpts.
	JavaOptsEnv = "PUBSUB_EMULATOR_JAVA_OPTS"

	// DefaultStartTimeout bounds the wait for the emulator to answer. The
	// JVM is up in 1–2 s on an idle 2-core machine, but much slower on a
	// loaded CI box running several test binaries at once.
	DefaultStartTimeout = 60 * time.Second

	// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
)

// DefaultJavaOpts caps the JVM heap. Left alone, the JVM may grow its heap to
// a quarter of the machine's memory and collects lazily (the perf runs saw
// 0.5–4.2 GiB resident with no cap), so parallel test binaries each running
// an emulator crowd each other out. The heap grows only as needed, so the
// cap costs small tests nothing. Measured on the project's 2-core machine: a
// 100k-message backlog of 1.5 KB messages on two subscriptions, published and
// drained, runs with -Xmx512m (0.7 GiB resident) and with -Xmx1g (1.2 GiB),
// so 1 GiB leaves 2x headroom for the load tool. Override with
// PUBSUB_EMULATOR_JAVA_OPTS or Options.JavaOpts for bigger backlogs.
var DefaultJavaOpts = []string{"-Xms64m", "-Xmx1g"}

// ErrNotFound is returned (wrapped) when the emulator jar or java cannot be
// found.
var ErrNotFound = errors.New("pubsub emulator not found")

// defaultSDKRoots are where Debian/Ubuntu packages and Google's tarball put
// the gcloud SDK, checked before asking gcloud (which takes a second or two).
var defaultSDKRoots = []string{"/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk"}

// Available returns the emulator jar to run: the file named by
// PUBSUB_EMULATOR_JAR if set, else the newest
// platform/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar under a usual
// gcloud SDK location or under `gcloud info`'s installation.sdk_root. It
// also checks that java can be found. The error wraps ErrNotFound and says
// what was looked for.
func Available() (jarPath string, err error) {
	jar, err := findJar()
	if err != nil {
		return "", err
	}
	if _, err := javaPath(""); err != nil {
		return "", err
	}
	return jar, nil
}

func findJar() (string, error) {
	if p := os.Getenv(JarEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %w", ErrNotFound, JarEnv, p, err)
		}
		return p, nil
	}
	// The usual places first: asking gcloud takes a second or two.
	for _, root := range defaultSDKRoots {
		if jar := newestJar(root); jar != "" {
			return jar, nil
		}
	}
	root, gerr := gcloudSDKRoot()
	if gerr == nil {
		if jar := newestJar(root); jar != "" {
			return jar, nil
		}
		gerr = fmt.Errorf("sdk_root %q has none", root)
	}
	return "", fmt.Errorf("%w: no platform/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar under %s, nor via gcloud info (%v); "+
		"install google-cloud-cli-pubsub-emulator or set %s", ErrNotFound, strings.Join(defaultSDKRoots, ", "), gerr, JarEnv)
}

var (
	sdkRootOnce sync.Once
	sdkRoot     string
	sdkRootErr  error
)

// gcloudSDKRoot asks gcloud where its SDK is, once per process.
func gcloudSDKRoot() (string, error) {
	sdkRootOnce.Do(func() {
		if _, err := exec.LookPath("gcloud"); err != nil {
			sdkRootErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "gcloud", "info", "--format=value(installation.sdk_root)").Output()
		if err != nil {
			sdkRootErr = fmt.Errorf("gcloud info: %w", err)
			return
		}
		sdkRoot = strings.TrimSpace(string(out))
	})
	return sdkRoot, sdkRootErr
}

// newestJar returns the emulator jar under an SDK root with the highest
// version, or "".
func newestJar(root string) string {
	if root == "" {
		return ""
	}
	jars, _ := filepath.Glob(filepath.Join(root, "platform", "pubsub-emulator", "lib", "cloud-pubsub-emulator-*.jar"))
	if len(jars) == 0 {
		return ""
	}
	slices.SortFunc(jars, func(a, b string) int { return compareVersions(jarVersion(a), jarVersion(b)) })
	return jars[len(jars)-1]
}

// jarVersion extracts "0.8.20" from ".../cloud-pubsub-emulator-0.8.20-all.jar".
func jarVersion(path string) string {
	v := strings.TrimPrefix(filepath.Base(path), "cloud-pubsub-emulator-")
	v = strings.TrimSuffix(v, ".jar")
	return strings.TrimSuffix(v, "-all")
}

// compareVersions compares dotted versions numerically (0.8.9 < 0.8.20).
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return strings.Compare(a, b)
}

func javaPath(java string) (string, error) {
	if java == "" {
		java = "java"
		if home := os.Getenv("JAVA_HOME"); home != "" {
			java = filepath.Join(home, "bin", "java")
		}
	}
	p, err := exec.LookPath(java)
	if err != nil {
		return "", fmt.Errorf("%w: java: %w", ErrNotFound, err)
	}
	return p, nil
}

// Options configure Start. The zero value is ready to use.
type Options struct {
	// JarPath is the emulator jar; "" means Available's choice.
	JarPath string
	// Java is the java binary; "" means $JAVA_HOME/bin/java or java on PATH.
	Java string
	// JavaOpts are JVM options; nil means PUBSUB_EMULATOR_JAVA_OPTS if set,
	// else DefaultJavaOpts.
	JavaOpts []string
	// Host is the address to bind; "" means 127.0.0.1 (loopback only: the
	// emulator has no authentication).
	Host string
	// Port is the port to bind; 0 means a free one.
	Port int
	// LogDir, if set, receives the emulator's output in
	// pubsub-emulator-<port>.log (see Process.LogPath). Otherwise the output
	// goes to an unlinked temporary file, read only for Process.LogTail.
	LogDir string
	// StartTimeout bounds the wait for the emulator to answer; 0 means
	// DefaultStartTimeout.
	StartTimeout time.Duration
}

// Process is a running emulator. Call Stop when done with it.
type Process struct {
	cmd     *exec.Cmd
	host    string
	logPath string
	log     *os.File

	done    chan struct{} // closed when the JVM has exited and been reaped
	waitErr error         // cmd.Wait's result, set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start launches the emulator and waits until it answers a gRPC call
// (ListTopics), so callers can use Host at once. ctx bounds only that wait
// (together with Options.StartTimeout); the emulator runs until Stop, not
// until ctx is done. On error nothing is left running, and the error carries
// the tail of the emulator's output.
//
// The JVM gets its own process group so that Stop can signal everything it
// started. On Linux it is also killed if the thread that started it exits,
// which covers a test binary that crashes or is killed before Stop runs;
// elsewhere such a crash leaves the emulator running.
func Start(ctx context.Context, opts Options) (*Process, error) {
	jar := opts.JarPath
	if jar == "" {
		var err error
		if jar, err = findJar(); err != nil {
			return nil, err
		}
	}
	java, err := javaPath(opts.Java)
	if err != nil {
		return nil, err
	}
	javaOpts := opts.JavaOpts
	if javaOpts == nil {
		if env, ok := os.LookupEnv(JavaOptsEnv); ok {
			javaOpts = strings.Fields(env)
		} else {
			javaOpts = DefaultJavaOpts
		}
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(host); err != nil {
			return nil, err
		}
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}

	p := &Process{host: net.JoinHostPort(host, strconv.Itoa(port)), done: make(chan struct{})}
	if opts.LogDir != "" {
		p.logPath = filepath.Join(opts.LogDir, fmt.Sprintf("pubsub-emulator-%d.log", port))
		p.log, err = os.Create(p.logPath)
	} else {
		p.log, err = os.CreateTemp("", "pubsub-emulator-*.log")
		if err == nil {
			_ = os.Remove(p.log.Name()) // readable through p.log until closed
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pubsub emulator log: %w", err)
	}

	args := append(slices.Clone(javaOpts), "-jar", jar, "--host="+host, "--port="+strconv.Itoa(port))
	// Not CommandContext: ctx bounds the start, not the emulator's life.
	p.cmd = exec.Command(java, args...) //nolint:noctx // see above
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		p.log.Close()
		return nil, fmt.Errorf("start pubsub emulator: %w", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := p.waitReady(wctx); err != nil {
		tail := p.LogTail(4096) // before Stop closes the log
		_ = p.Stop()
		return nil, fmt.Errorf("pubsub emulator (%s) on %s: %w\n%s", p.cmd.String(), p.host, err, tail)
	}
	return p, nil
}

// waitReady polls until a TCP connection succeeds, then until a ListTopics
// call does. Polling TCP first keeps gRPC's reconnect backoff (which grows
// past a second) out of the JVM's start-up time.
func (p *Process) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	wait := func() error {
		select {
		case <-p.done:
			return fmt.Errorf("exited during start-up: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not answering: %w", ctx.Err())
		case <-tick.C:
			return nil
		}
	}
	var d net.Dialer
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, "tcp", p.host)
		cancel()
		if err == nil {
			c.Close()
			break
		}
		if err := wait(); err != nil {
			return err
		}
	}

	conn, err := grpc.NewClient(p.host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	pub := pubsubpb.NewPublisherClient(conn)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := pub.ListTopics(cctx, &pubsubpb.ListTopicsRequest{Project: "projects/emulator-probe", PageSize: 1})
		cancel()
		if err == nil {
			return nil
		}
		if werr := wait(); werr != nil {
			return fmt.Errorf("%w (last call: %v)", werr, err)
		}
	}
}

// freePort asks the kernel for a free port on host. Another process can take
// it before the emulator binds it; Start then fails with the emulator's
// "address in use" in the error.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Host returns host:port, the value for PUBSUB_EMULATOR_HOST or
// option.WithEndpoint.
func (p *Process) Host() string { return p.host }

// Pid returns the JVM's process ID (also its process group ID).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath returns the file with the emulator's output, or "" when
// Options.LogDir was empty.
func (p *Process) LogPath() string { return p.logPath }

// Done is closed when the emulator process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// LogTail returns up to the last n bytes of the emulator's output so far, or
// "" after Stop (read LogPath's file then).
func (p *Process) LogTail(n int64) string {
	fi, err := p.log.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-n, 0)
	b := make([]byte, fi.Size()-off)
	k, err := p.log.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	return string(b[:k])
}

// Stop terminates the emulator: SIGTERM to its process group, then SIGKILL
// if it has not exited within 5 s. It returns once the process has been
// reaped. It returns an error if the emulator had already exited on its own
// with a failure (it crashed), or if it could not be signalled. Stop is safe
// to call more than once and from several goroutines; later calls return the
// first call's result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			if p.waitErr != nil {
				p.stopErr = fmt.Errorf("pubsub emulator had exited: %w", p.waitErr)
			}
		default:
			// ESRCH: it exited (and was reaped) since the select.
			if err := signalGroup(p.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				p.stopErr = fmt.Errorf("stop pubsub emulator: %w", err)
			}
			select {
			case <-p.done:
			case <-time.After(stopGrace):
				_ = signalGroup(p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
		_ = p.log.Close()
	})
	return p.stopErr
}
