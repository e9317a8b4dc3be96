package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	runv1 "google.golang.org/api/run/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// closeBudget mirrors internal/worker's budget for closing sinks and
// flushing telemetry after the drain.
const closeBudget = 2500 * time.Millisecond

// cloudRunSIGKILL is Cloud Run's time from SIGTERM to SIGKILL.
const cloudRunSIGKILL = 10 * time.Second

func TestCloudRunWorkerPool(t *testing.T) {
	t.Parallel()
	const path = "cloudrun/worker-pool.yaml"
	var wp runv1.WorkerPool
	strict(t, path, readManifest(t, path), &wp)
	if wp.ApiVersion != "run.googleapis.com/v1" || wp.Kind != "WorkerPool" {
		t.Fatalf("%s: %s/%s, want run.googleapis.com/v1 WorkerPool", path, wp.ApiVersion, wp.Kind)
	}
	spec := wp.Spec.Template.Spec
	worker := runContainer(t, path, spec.Containers, "worker")
	env := runEnv(worker.Env)
	drain, err := time.ParseDuration(env["DRAIN_TIMEOUT"])
	if err != nil {
		t.Fatalf("%s: DRAIN_TIMEOUT: %v", path, err)
	}
	if drain+closeBudget >= cloudRunSIGKILL {
		t.Errorf("%s: DRAIN_TIMEOUT %s + close budget %s does not fit Cloud Run's %s SIGTERM window", path, drain, closeBudget, cloudRunSIGKILL)
	}
	if _, ok := env["HEALTH_ADDR"]; ok {
		t.Errorf("%s: worker pools have no port to probe; HEALTH_ADDR should not be set", path)
	}
	if !strings.HasPrefix(spec.ServiceAccountName, "bcstream-worker@") {
		t.Errorf("%s: service account %q, want the dedicated bcstream-worker", path, spec.ServiceAccountName)
	}
	checkRunMounts(t, path, spec.Containers, spec.Volumes)
}

func TestCloudRunRegistrarJob(t *testing.T) {
	t.Parallel()
	const path = "cloudrun/registrar-job.yaml"
	var job runv1.Job
	strict(t, path, readManifest(t, path), &job)
	if job.ApiVersion != "run.googleapis.com/v1" || job.Kind != "Job" {
		t.Fatalf("%s: %s/%s, want run.googleapis.com/v1 Job", path, job.ApiVersion, job.Kind)
	}
	spec := job.Spec.Template.Spec.Template.Spec
	c := runContainer(t, path, spec.Containers, "registrar")
	if !slices.Equal(c.Command, []string{"/registrar"}) || !slices.Equal(c.Args, []string{"apply"}) {
		t.Errorf("%s: runs %q %q, want /registrar apply", path, c.Command, c.Args)
	}
	if !strings.HasPrefix(spec.ServiceAccountName, "bcstream-registrar@") {
		t.Errorf("%s: service account %q, want the dedicated bcstream-registrar", path, spec.ServiceAccountName)
	}
	checkRunMounts(t, path, spec.Containers, spec.Volumes)
}

func runContainer(tb testing.TB, path string, cs []*runv1.Container, name string) *runv1.Container {
	tb.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("%s: no container %q", path, name)
	return nil
}

func runEnv(env []*runv1.EnvVar) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		m[e.Name] = e.Value
	}
	return m
}

// checkRunMounts checks every volume mount names a volume, and that
// STORES_FILE is inside a mounted volume.
func checkRunMounts(t *testing.T, path string, containers []*runv1.Container, volumes []*runv1.Volume) {
	t.Helper()
	vols := map[string]bool{}
	for _, v := range volumes {
		vols[v.Name] = true
	}
	for _, c := range containers {
		var mounts []string
		for _, m := range c.VolumeMounts {
			if !vols[m.Name] {
				t.Errorf("%s: container %s mounts undefined volume %q", path, c.Name, m.Name)
			}
			mounts = append(mounts, m.MountPath)
		}
		if f := runEnv(c.Env)["STORES_FILE"]; f != "" && !slices.Contains(mounts, filepath.Dir(f)) {
			t.Errorf("%s: STORES_FILE %s is not in a mounted volume (%v)", path, f, mounts)
		}
	}
}

// kustomization is the subset of kustomize's Kustomization (and
// Component) that bcstream's files use; unknown fields fail the parse, so
// a new feature must be added here and checked.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels,omitempty"`
	Resources          []string `json:"resources,omitempty"`
	Components         []string `json:"components,omitempty"`
	ConfigMapGenerator []struct {
		Name     string   `json:"name"`
		Files    []string `json:"files,omitempty"`
		Literals []string `json:"literals,omitempty"`
	} `json:"configMapGenerator,omitempty"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
	Patches []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
}

// scaledObject mirrors the fields of KEDA's keda.sh/v1alpha1
// ScaledObject that bcstream uses (KEDA's Go module is too heavy a
// dependency for a parse check).
type scaledObject struct {
	typeMeta `json:",inline"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount int `json:"minReplicaCount"`
		MaxReplicaCount int `json:"maxReplicaCount"`
		CooldownPeriod  int `json:"cooldownPeriod"`
		Triggers        []struct {
			Type              string `json:"type"`
			AuthenticationRef struct {
				Name string `json:"name"`
			} `json:"authenticationRef"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// triggerAuthentication mirrors KEDA's TriggerAuthentication fields used.
type triggerAuthentication struct {
	typeMeta `json:",inline"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		PodIdentity struct {
			Provider string `json:"provider"`
		} `json:"podIdentity"`
	} `json:"spec"`
}

// kubeObjects holds every parsed Kubernetes object by kind/name.
type kubeObjects map[string]any

// parseKube decodes each document of path strictly into its type.
func parseKube(t *testing.T, path string, objs kubeObjects) {
	t.Helper()
	for _, doc := range documents(readManifest(t, path)) {
		tm := kindOf(t, path, doc)
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 Namespace":
			obj = &corev1.Namespace{}
		case "v1 ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "apps/v1 Deployment":
			obj = &appsv1.Deployment{}
		case "policy/v1 PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		case "autoscaling/v2 HorizontalPodAutoscaler":
			obj = &autoscalingv2.HorizontalPodAutoscaler{}
		case "batch/v1 CronJob":
			obj = &batchv1.CronJob{}
		case "keda.sh/v1alpha1 ScaledObject":
			obj = &scaledObject{}
		case "keda.sh/v1alpha1 TriggerAuthentication":
			obj = &triggerAuthentication{}
		default:
			t.Errorf("%s: no type to check %s %s against; add it to parseKube", path, tm.APIVersion, tm.Kind)
			continue
		}
		// A $patch: delete directive is kustomize's, not the type's.
		if strings.Contains(string(doc), "$patch: delete") {
			doc = []byte(strings.ReplaceAll(string(doc), "$patch: delete\n", ""))
		}
		strict(t, path, doc, obj)
		var meta struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = yaml.Unmarshal(doc, &meta)
		objs[tm.Kind+"/"+meta.Metadata.Name] = obj
	}
}

// loadKustomization parses dir/kustomization.yaml and every file it
// names, checking that each exists, recursing into directories.
func loadKustomization(t *testing.T, dir string, objs kubeObjects) *kustomization {
	t.Helper()
	path := filepath.Join(dir, "kustomization.yaml")
	var k kustomization
	strict(t, path, readManifest(t, path), &k)
	exists := func(what, p string) string {
		full := filepath.Join(dir, p)
		if _, err := os.Stat(full); err != nil {
			t.Errorf("%s: %s %s: %v", path, what, p, err)
		}
		return full
	}
	for _, r := range append(slices.Clone(k.Resources), k.Components...) {
		full := exists("resource", r)
		if fi, err := os.Stat(full); err == nil && fi.IsDir() {
			loadKustomization(t, full, objs)
		} else if err == nil {
			parseKube(t, full, objs)
		}
	}
	for _, p := range k.Patches {
		parseKube(t, exists("patch", p.Path), kubeObjects{})
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			_, src, _ := strings.Cut(f, "=")
			if src == "" {
				src = f
			}
			exists("configMapGenerator file", src)
		}
	}
	return &k
}

func TestGKEManifests(t *testing.T) {
	t.Parallel()
	objs := kubeObjects{}
	overlay := loadKustomization(t, "gke/overlays/example", objs)
	keda := loadKustomization(t, "gke/keda", kubeObjects{})
	if keda.Kind != "Component" {
		t.Errorf("gke/keda: kind %q, want Component", keda.Kind)
	}

	dep, ok := objs["Deployment/bcstream-worker"].(*appsv1.Deployment)
	if !ok {
		t.Fatal("no Deployment bcstream-worker in the overlay")
	}
	pod := dep.Spec.Template.Spec
	worker := kubeContainer(t, pod.Containers, "worker")
	env := map[string]string{}
	for _, e := range worker.Env {
		env[e.Name] = e.Value
	}
	drain, err := time.ParseDuration(env["DRAIN_TIMEOUT"])
	if err != nil {
		t.Fatalf("DRAIN_TIMEOUT: %v", err)
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= drain+closeBudget {
		t.Errorf("terminationGracePeriodSeconds %v must exceed DRAIN_TIMEOUT %s + close budget %s", g, drain, closeBudget)
	}
	_, port, _ := strings.Cut(env["HEALTH_ADDR"], ":")
	var healthPort int32
	for _, p := range worker.Ports {
		if p.Name == "health" {
			healthPort = p.ContainerPort
		}
	}
	if port == "" || port != strconv.Itoa(int(healthPort)) {
		t.Errorf("HEALTH_ADDR %q does not match the health port %d", env["HEALTH_ADDR"], healthPort)
	}
	for _, pr := range []struct {
		name, path string
		probe      *corev1.Probe
	}{{"readiness", "/readyz", worker.ReadinessProbe}, {"liveness", "/healthz", worker.LivenessProbe}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil || pr.probe.HTTPGet.Path != pr.path || pr.probe.HTTPGet.Port.String() != "health" {
			t.Errorf("%s probe must GET %s on the health port, got %+v", pr.name, pr.path, pr.probe)
		}
	}
	checkPodSecurity(t, "worker", pod)

	cron, ok := objs["CronJob/bcstream-registrar"].(*batchv1.CronJob)
	if !ok {
		t.Fatal("no CronJob bcstream-registrar in the overlay")
	}
	checkPodSecurity(t, "registrar", cron.Spec.JobTemplate.Spec.Template.Spec)
	reg := kubeContainer(t, cron.Spec.JobTemplate.Spec.Template.Spec.Containers, "registrar")
	if !slices.Equal(reg.Command, []string{"/registrar"}) || !slices.Equal(reg.Args, []string{"apply"}) {
		t.Errorf("registrar CronJob runs %q %q, want /registrar apply", reg.Command, reg.Args)
	}

	hpa, ok := objs["HorizontalPodAutoscaler/bcstream-worker"].(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok || hpa.Spec.ScaleTargetRef.Name != dep.Name || len(hpa.Spec.Metrics) == 0 || hpa.Spec.Metrics[0].External == nil {
		t.Errorf("the HPA must scale Deployment %s on an external (Pub/Sub backlog) metric", dep.Name)
	}
	if _, ok := objs["PodDisruptionBudget/bcstream-worker"]; !ok {
		t.Error("no PodDisruptionBudget for the worker")
	}
	if len(overlay.Images) == 0 || overlay.Images[0].Name != worker.Image {
		t.Errorf("the overlay's images transformer does not rewrite the worker image %q", worker.Image)
	}
	if !equalFiles(t, "gke/base/otel-collector.yaml", "observability/otel-collector.yaml") {
		t.Error("gke/base/otel-collector.yaml differs from observability/otel-collector.yaml; copy it over")
	}
}

func kubeContainer(tb testing.TB, cs []corev1.Container, name string) corev1.Container {
	tb.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("no container %q", name)
	return corev1.Container{}
}

// checkPodSecurity requires a non-root pod whose containers cannot
// escalate and have a read-only root file system.
func checkPodSecurity(t *testing.T, what string, pod corev1.PodSpec) {
	t.Helper()
	sc := pod.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: pod must run as a non-root user, got %+v", what, sc)
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		cs := c.SecurityContext
		if cs == nil || cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem ||
			cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation {
			t.Errorf("%s: container %s needs readOnlyRootFilesystem and no privilege escalation", what, c.Name)
		}
	}
}

func TestPlaceholdersAreExported(t *testing.T) {
	t.Parallel()
	exported := exportedInRunbook(t)
	for name := range placeholders {
		if !slices.Contains(exported, name) {
			t.Errorf("manifests use ${%s}, but deploy/README.md does not export it", name)
		}
	}
}
