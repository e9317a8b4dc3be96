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
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"bcstream/internal/childproc"
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

// Process is a running emulator. Call Stop when done with it. Its Pid
// (the JVM's, also its process group ID), LogPath (the file with the
// emulator's output, or "" when Options.LogDir was empty), Done, LogTail
// and Stop (SIGTERM to the group, SIGKILL after 5 s, an error if the
// emulator had crashed) come from childproc.Process.
type Process struct {
	*childproc.Process
	host string
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
		if port, err = childproc.FreePort(host); err != nil {
			return nil, err
		}
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	p := &Process{host: net.JoinHostPort(host, strconv.Itoa(port))}

	probe, err := newReadyProbe(p.host)
	if err != nil {
		return nil, err
	}
	defer probe.close()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p.Process, err = childproc.Start(wctx, childproc.Spec{
		Name:    "pubsub emulator",
		Path:    java,
		Args:    append(slices.Clone(javaOpts), "-jar", jar, "--host="+host, "--port="+strconv.Itoa(port)),
		LogDir:  opts.LogDir,
		LogName: fmt.Sprintf("pubsub-emulator-%d.log", port),
		Ready:   probe.ready,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// readyProbe tells whether the emulator answers: first whether its port
// accepts TCP connections, then whether a ListTopics call succeeds.
// Polling TCP first keeps gRPC's reconnect backoff (which grows past a
// second) out of the JVM's start-up time.
type readyProbe struct {
	host      string
	listening bool
	conn      *grpc.ClientConn
	pub       pubsubpb.PublisherClient
}

func newReadyProbe(host string) (*readyProbe, error) {
	// NewClient does not connect; the first ListTopics does.
	conn, err := grpc.NewClient(host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &readyProbe{host: host, conn: conn, pub: pubsubpb.NewPublisherClient(conn)}, nil
}

// ready returns nil once the emulator answers.
func (r *readyProbe) ready(ctx context.Context) error {
	if !r.listening {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		var d net.Dialer
		c, err := d.DialContext(dctx, "tcp", r.host)
		cancel()
		if err != nil {
			return err
		}
		c.Close()
		r.listening = true
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := r.pub.ListTopics(cctx, &pubsubpb.ListTopicsRequest{Project: "projects/emulator-probe", PageSize: 1})
	return err
}

func (r *readyProbe) close() { _ = r.conn.Close() }

// Host returns host:port, the value for PUBSUB_EMULATOR_HOST or
// option.WithEndpoint.
func (p *Process) Host() string { return p.host }
