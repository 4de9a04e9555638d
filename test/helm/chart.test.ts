/**
 * The Helm chart in helm/vigil, rendered by the real helm binary (scripts/install-helm.sh installs it).
 *
 * Parsing: `helm template` prints a multi-document YAML stream. Each document is parsed with `loadYaml` from
 * @kubernetes/client-node — already a runtime dependency of Vigil, built on js-yaml (a complete YAML parser), so no
 * regexes over YAML and no PyYAML. `loadYaml` also deserializes each object into the client's typed model for its
 * apiVersion/kind, which drops fields the Kubernetes API does not have at that place: a securityContext or probe
 * indented one level wrong disappears and the assertion on it fails, as it would be ignored by the API server.
 * RBAC documents are additionally checked as raw text, so nothing the typed model dropped can hide a grant.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type KubernetesObject,
  loadYaml,
  type V1ClusterRole,
  type V1ClusterRoleBinding,
  type V1ConfigMap,
  type V1Container,
  type V1Deployment,
  type V1Ingress,
  type V1PersistentVolumeClaim,
  type V1PodDisruptionBudget,
  type V1PolicyRule,
  type V1Role,
  type V1RoleBinding,
  type V1Service,
  type V1ServiceAccount,
} from "@kubernetes/client-node";
import { ENV_DOCS } from "../../src/config.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CHART = join(ROOT, "helm", "vigil");
const SCALE_OUT_VALUES = join(CHART, "ci", "scale-out-values.yaml");
const RELEASE = "vigil";
const NAMESPACE = "observability";

interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real helm; a missing binary fails the test with what to do, it never skips. */
function helm(args: string[]): HelmRun {
  const run = spawnSync("helm", args, { encoding: "utf8", cwd: ROOT });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
    assert.fail("helm is not on PATH: run scripts/install-helm.sh (it installs helm to /usr/local/bin or to $1)");
  }
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface Rendered {
  docs: KubernetesObject[];
  raw: string[];
}

interface RenderOptions {
  /** --values files */
  files?: string[];
  /** --set flags (helm's syntax: {a,b} is a list) */
  set?: string[];
  /** --set-json flags, for strings that look like helm lists */
  setJson?: string[];
}

function templateArgs(options: RenderOptions): string[] {
  const args = ["template", RELEASE, CHART, "--namespace", NAMESPACE];
  for (const file of options.files ?? []) args.push("--values", file);
  for (const set of options.set ?? []) args.push("--set", set);
  for (const set of options.setJson ?? []) args.push("--set-json", set);
  return args;
}

const renderCache = new Map<string, Rendered>();

/** `helm template` with values files and --set flags; an error in rendering fails the calling test. */
function render(options: RenderOptions = {}): Rendered {
  const args = templateArgs(options);
  const key = args.join("\0");
  const cached = renderCache.get(key);
  if (cached) return cached;
  const run = helm(args);
  assert.equal(run.status, 0, `helm ${args.join(" ")} failed:\n${run.stderr}`);
  const raw = run.stdout
    .split(/^---[ \t]*$/m)
    .filter((doc) => doc.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("#")));
  // Typed deserialization, then back to plain objects so deepEqual compares data, not model classes.
  const docs = raw.map((doc) => JSON.parse(JSON.stringify(loadYaml<KubernetesObject>(doc))) as KubernetesObject);
  for (const doc of docs) assert.ok(doc.kind && doc.apiVersion, `a rendered document has no kind/apiVersion: ${doc}`);
  const rendered = { docs, raw };
  renderCache.set(key, rendered);
  return rendered;
}

/** `helm template` that must fail; returns its error output. */
function renderError(options: RenderOptions): string {
  const args = templateArgs(options);
  const run = helm(args);
  assert.notEqual(run.status, 0, `helm ${args.join(" ")} rendered, but it should have failed`);
  return run.stderr;
}

function ofKind<T extends KubernetesObject>(rendered: Rendered, kind: string): T[] {
  return rendered.docs.filter((doc) => doc.kind === kind) as T[];
}

function one<T extends KubernetesObject>(rendered: Rendered, kind: string): T {
  const found = ofKind<T>(rendered, kind);
  assert.equal(found.length, 1, `expected exactly one ${kind}, found ${found.length}`);
  return found[0] as T;
}

function vigilContainer(deployment: V1Deployment): V1Container {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  assert.equal(containers.length, 1, "the pod has one container");
  return containers[0] as V1Container;
}

function envValue(container: V1Container, name: string): string | undefined {
  const entry = (container.env ?? []).find((e) => e.name === name);
  return entry?.value;
}

const DEFAULT = {};
const SCALE_OUT = { files: [SCALE_OUT_VALUES] };
const NAMESPACED_NO_NODES = { set: ["rbac.namespaced=true", "rbac.namespaces={shop,payments}"] };

const READ_VERBS = new Set(["get", "list", "watch"]);

/** Every (apiGroup, resource) pair a rule grants, with its verbs. */
function grants(rules: V1PolicyRule[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const key = `${group || "core"}/${resource}`;
        out.set(key, [...(out.get(key) ?? []), ...rule.verbs].sort());
      }
    }
  }
  return out;
}

function rbacRules(rendered: Rendered): Array<{ where: string; rule: V1PolicyRule }> {
  const roles = [...ofKind<V1ClusterRole>(rendered, "ClusterRole"), ...ofKind<V1Role>(rendered, "Role")];
  return roles.flatMap((role) =>
    (role.rules ?? []).map((rule) => ({
      where: `${role.kind} ${role.metadata?.namespace ?? ""}/${role.metadata?.name}`,
      rule,
    })),
  );
}

describe("helm chart helm/vigil", () => {
  it("passes helm lint --strict with the default values", () => {
    const run = helm(["lint", "--strict", CHART]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("passes helm lint --strict with the scale-out values file", () => {
    const run = helm(["lint", "--strict", CHART, "--values", SCALE_OUT_VALUES]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /0 chart\(s\) failed/);
  });

  it("renders a minimal install by default: no PDB, ingress, ServiceMonitor, PVC or namespaced Roles", () => {
    const kinds = render(DEFAULT)
      .docs.map((d) => d.kind)
      .sort();
    assert.deepEqual(kinds, ["ClusterRole", "ClusterRoleBinding", "Deployment", "Secret", "Service", "ServiceAccount"]);
  });

  it("generates a UI token when no UI auth is configured, and none when one is", () => {
    const secret = one<{ metadata: { name: string }; data?: Record<string, string> }>(render(DEFAULT), "Secret");
    const container = vigilContainer(one(render(DEFAULT), "Deployment"));
    const token = (container.env ?? []).find((e) => e.name === "VIGIL_UI_TOKEN");

    assert.ok((Buffer.from(secret.data?.["ui-token"] ?? "", "base64").toString() ?? "").length >= 32);
    assert.equal(token?.valueFrom?.secretKeyRef?.name, secret.metadata.name);
    const withProxy = render({ set: ["config.trustedProxyHeader=X-Forwarded-User"] });
    assert.equal(withProxy.docs.filter((d) => d.kind === "Secret").length, 0);
  });

  describe("RBAC is read-only", () => {
    const variants = {
      "default values": DEFAULT,
      "scale-out values (namespaced, with nodes)": SCALE_OUT,
      "namespaced without nodes": NAMESPACED_NO_NODES,
      "without configmaps": { set: ["rbac.readConfigMaps=false"] },
    };
    for (const [label, options] of Object.entries(variants)) {
      it(`grants only get/list/watch, never secrets or wildcards (${label})`, () => {
        const rendered = render(options);
        const rules = rbacRules(rendered);
        assert.ok(rules.length > 0, "some RBAC rule is rendered");
        for (const { where, rule } of rules) {
          for (const verb of rule.verbs) assert.ok(READ_VERBS.has(verb), `${where} grants verb ${verb}`);
          for (const field of [rule.verbs, rule.resources ?? [], rule.apiGroups ?? []]) {
            assert.ok(!field.includes("*"), `${where} has a wildcard: ${JSON.stringify(rule)}`);
          }
          for (const resource of rule.resources ?? []) {
            assert.ok(!/secret/i.test(resource), `${where} names ${resource}`);
            assert.ok(!/\/(exec|attach|portforward|proxy)$/.test(resource), `${where} grants ${resource}`);
          }
          assert.equal(rule.nonResourceURLs, undefined, `${where} grants non-resource URLs`);
          if ((rule.resources ?? []).includes("pods/log")) assert.deepEqual(rule.verbs, ["get"]);
        }
        // The raw text too, in case the typed model dropped something the API server would still apply.
        for (const doc of rendered.raw.filter((d) => /^kind: (Cluster)?Role$/m.test(d))) {
          assert.doesNotMatch(doc, /secrets/i);
          assert.doesNotMatch(doc, /["'\s[,]\*["'\s\],]/, "no * anywhere in a role");
          assert.doesNotMatch(doc, /\b(create|update|patch|delete|deletecollection|escalate|bind|impersonate)\b/);
        }
      });
    }

    it("grants exactly the kinds Vigil reads, cluster-wide, bound to its ServiceAccount", () => {
      const rendered = render(DEFAULT);
      const role = one<V1ClusterRole>(rendered, "ClusterRole");
      const rw = ["get", "list", "watch"];
      assert.deepEqual(
        Object.fromEntries(grants(role.rules ?? [])),
        Object.fromEntries(
          [
            ["core/pods", rw],
            ["core/pods/log", ["get"]],
            ["core/events", rw],
            ["core/services", rw],
            ["core/endpoints", rw],
            ["core/configmaps", rw],
            ["core/nodes", rw],
            ["events.k8s.io/events", rw],
            ["apps/deployments", rw],
            ["apps/replicasets", rw],
            ["apps/statefulsets", rw],
            ["apps/daemonsets", rw],
            ["autoscaling/horizontalpodautoscalers", rw],
          ].sort(),
        ),
      );
      const binding = one<V1ClusterRoleBinding>(rendered, "ClusterRoleBinding");
      const account = one<V1ServiceAccount>(rendered, "ServiceAccount");
      assert.equal(binding.roleRef.kind, "ClusterRole");
      assert.equal(binding.roleRef.name, role.metadata?.name);
      assert.deepEqual(binding.subjects, [
        { kind: "ServiceAccount", name: account.metadata?.name, namespace: NAMESPACE },
      ]);
      const pod = one<V1Deployment>(rendered, "Deployment").spec?.template.spec;
      assert.equal(pod?.serviceAccountName, account.metadata?.name);
    });

    it("drops configmaps from the grant when rbac.readConfigMaps is false", () => {
      const role = one<V1ClusterRole>(render({ set: ["rbac.readConfigMaps=false"] }), "ClusterRole");
      assert.ok(!grants(role.rules ?? []).has("core/configmaps"));
      assert.ok(grants(role.rules ?? []).has("core/pods"));
    });

    it("in namespaced mode renders a Role and RoleBinding per namespace and a nodes-only ClusterRole", () => {
      const rendered = render(SCALE_OUT);
      const roles = ofKind<V1Role>(rendered, "Role");
      assert.deepEqual(roles.map((r) => r.metadata?.namespace).sort(), ["payments", "shop"]);
      for (const role of roles) {
        const granted = grants(role.rules ?? []);
        assert.ok(granted.has("core/pods") && granted.has("core/pods/log") && granted.has("apps/deployments"));
        assert.ok(!granted.has("core/nodes"), "a Role cannot grant cluster-scoped nodes");
      }
      const bindings = ofKind<V1RoleBinding>(rendered, "RoleBinding");
      assert.deepEqual(bindings.map((b) => b.metadata?.namespace).sort(), ["payments", "shop"]);
      for (const binding of bindings) {
        assert.equal(binding.roleRef.kind, "Role");
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "vigil", namespace: NAMESPACE }]);
      }
      // rbac.readNodes: the only cluster-wide grant is get/list/watch on nodes.
      const clusterRoles = ofKind<V1ClusterRole>(rendered, "ClusterRole");
      assert.equal(clusterRoles.length, 1);
      assert.deepEqual(Object.fromEntries(grants(clusterRoles[0]?.rules ?? [])), {
        "core/nodes": ["get", "list", "watch"],
      });
      // Vigil is told which namespaces it may read, so it does not list cluster-wide and hit 403s.
      assert.equal(envValue(vigilContainer(one(rendered, "Deployment")), "VIGIL_NAMESPACES"), "shop,payments");
    });

    it("in namespaced mode without rbac.readNodes renders no ClusterRole at all", () => {
      const rendered = render(NAMESPACED_NO_NODES);
      assert.equal(ofKind(rendered, "ClusterRole").length, 0);
      assert.equal(ofKind(rendered, "ClusterRoleBinding").length, 0);
      assert.equal(ofKind(rendered, "Role").length, 2);
    });

    it("refuses namespaced mode without namespaces", () => {
      assert.match(renderError({ set: ["rbac.namespaced=true"] }), /rbac\.namespaces is empty/);
    });
  });

  describe("the Deployment", () => {
    it("runs `node bin/vigil.mjs serve` on 0.0.0.0:8080 with the in-cluster Kubernetes client", () => {
      const container = vigilContainer(one(render(DEFAULT), "Deployment"));
      assert.deepEqual([...(container.command ?? []), ...(container.args ?? [])], ["node", "bin/vigil.mjs", "serve"]);
      assert.equal(envValue(container, "HOST"), "0.0.0.0");
      assert.equal(envValue(container, "PORT"), "8080");
      assert.equal(envValue(container, "KUBERNETES_MODE"), "in-cluster");
      assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    });

    it("probes liveness on /healthz and readiness on /readyz", () => {
      const container = vigilContainer(one(render(DEFAULT), "Deployment"));
      assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
      assert.equal(container.livenessProbe?.httpGet?.port, "http");
      assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
      assert.equal(container.readinessProbe?.httpGet?.port, "http");
    });

    it("runs as uid 10001 with a read-only root filesystem, no privilege escalation and no capabilities", () => {
      const deployment = one<V1Deployment>(render(DEFAULT), "Deployment");
      const pod = deployment.spec?.template.spec;
      assert.equal(pod?.securityContext?.runAsNonRoot, true);
      assert.equal(pod?.securityContext?.runAsUser, 10001);
      assert.equal(pod?.securityContext?.seccompProfile?.type, "RuntimeDefault");
      const sc = vigilContainer(deployment).securityContext;
      assert.equal(sc?.runAsNonRoot, true);
      assert.equal(sc?.runAsUser, 10001);
      assert.equal(sc?.readOnlyRootFilesystem, true);
      assert.equal(sc?.allowPrivilegeEscalation, false);
      assert.deepEqual(sc?.capabilities?.drop, ["ALL"]);
      assert.equal(sc?.seccompProfile?.type, "RuntimeDefault");
    });

    it("puts VIGIL_DATA_DIR and /tmp on writable emptyDir volumes", () => {
      const deployment = one<V1Deployment>(render(DEFAULT), "Deployment");
      const container = vigilContainer(deployment);
      const dataDir = envValue(container, "VIGIL_DATA_DIR");
      assert.ok(dataDir?.startsWith("/"), "an absolute data directory");
      const volumes = new Map((deployment.spec?.template.spec?.volumes ?? []).map((v) => [v.name, v]));
      const mountOf = (path: string) =>
        (container.volumeMounts ?? []).find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
      for (const path of [dataDir as string, "/tmp"]) {
        const mount = mountOf(path);
        assert.ok(mount, `${path} is on a volume`);
        assert.notEqual(mount.readOnly, true);
        assert.ok(volumes.get(mount.name)?.emptyDir, `${path} is on an emptyDir`);
      }
      // The embedded store must never be opened by two pods at once, even during a rollout.
      assert.equal(deployment.spec?.strategy?.type, "Recreate");
    });

    it("puts the data directory on a PersistentVolumeClaim when persistence is enabled", () => {
      const rendered = render({ set: ["persistence.enabled=true", "persistence.size=5Gi"] });
      const pvc = one<V1PersistentVolumeClaim>(rendered, "PersistentVolumeClaim");
      assert.equal(pvc.spec?.resources?.requests?.storage, "5Gi");
      const volume = one<V1Deployment>(rendered, "Deployment").spec?.template.spec?.volumes?.find(
        (v) => v.name === "data",
      );
      assert.equal(volume?.persistentVolumeClaim?.claimName, pvc.metadata?.name);
    });

    it("uses the chart's appVersion as the default image tag and sets no secrets by default", () => {
      const appVersion = /^appVersion:\s*"?([^"\n]+)"?$/m.exec(readFileSync(join(CHART, "Chart.yaml"), "utf8"))?.[1];
      assert.equal(appVersion, "0.1.0");
      const container = vigilContainer(one(render(DEFAULT), "Deployment"));
      assert.equal(container.image, `vigil:${appVersion}`);
      assert.deepEqual(
        (container.env ?? []).filter((e) => e.valueFrom).map((e) => e.name),
        ["VIGIL_UI_TOKEN"],
        "no env var comes from a Secret unless one is configured, but the generated UI token",
      );
    });

    it("takes replicas, image, plain settings and Secret references from the values", () => {
      const rendered = render(SCALE_OUT);
      const deployment = one<V1Deployment>(rendered, "Deployment");
      assert.equal(deployment.spec?.replicas, 3);
      assert.equal(deployment.spec?.strategy?.type, "RollingUpdate");
      const container = vigilContainer(deployment);
      assert.equal(container.image, "registry.example.com/sre/vigil:0.1.0-rc.2");
      assert.equal(envValue(container, "PROMETHEUS_URL"), "http://prometheus-operated.monitoring.svc:9090");
      assert.equal(envValue(container, "SLACK_CHANNEL"), "C0123456789");
      assert.equal(envValue(container, "LOG_LEVEL"), "debug");
      // Large integers must not turn into Go's float notation (2.097152e+06), which the daemon would reject.
      assert.equal(envValue(container, "VIGIL_WEBHOOK_MAX_BYTES"), "2097152");
      assert.equal(envValue(container, "VIGIL_ABSTAIN_THRESHOLD"), "0.4");
      assert.equal(envValue(container, "VIGIL_PUBLIC_URL"), "https://vigil.example.com", "from the TLS ingress host");
      const fromSecret = (name: string) => container.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      assert.deepEqual(
        { name: fromSecret("DATABASE_URL")?.name, key: fromSecret("DATABASE_URL")?.key },
        { name: "vigil-postgres", key: "url" },
      );
      assert.equal(fromSecret("SLACK_BOT_TOKEN")?.name, "vigil-slack");
      assert.equal(fromSecret("SLACK_SIGNING_SECRET")?.key, "signing-secret");
      assert.equal(fromSecret("LLM_API_KEY")?.name, "vigil-llm");
      assert.equal(fromSecret("VIGIL_ANONYMIZER_KEY")?.name, "vigil-anonymizer");
      assert.equal(fromSecret("VIGIL_CHANGES_TOKEN")?.key, "token");
      assert.equal(envValue(container, "DATABASE_URL"), undefined, "never a literal database URL");
    });

    it("only sets environment variables the daemon reads", () => {
      // Names read outside src/config.ts: the LLM adapter (agents/llm/config.ts) and the anonymizer key.
      const known = new Set([
        ...ENV_DOCS.map((d) => d.name),
        "LLM_BASE_URL",
        "LLM_MODEL",
        "LLM_API_KEY",
        "LLM_TIMEOUT_MS",
        "LLM_MAX_TOKENS_PER_INVESTIGATION",
        "LLM_INPUT_COST_PER_MTOK",
        "LLM_OUTPUT_COST_PER_MTOK",
        "VIGIL_ANONYMIZER_KEY",
      ]);
      const everything = render({
        files: [SCALE_OUT_VALUES],
        set: [
          "config.prometheusTenant=t",
          "config.lokiTenant=t",
          "config.tempoTenant=t",
          "config.jaegerUrl=http://jaeger:16686",
          "config.baselineMinutes=90",
          "config.stepSeconds=30",
          "config.strategyTimeoutMs=20000",
          "config.groupWindowSeconds=0",
          "config.cooldownSeconds=600",
          "config.jobExpireSeconds=900",
          "config.trustedProxyHeader=X-Forwarded-User",
          "secrets.uiToken.existingSecret=vigil-ui",
          "secrets.uiBasicAuth.existingSecret=vigil-ui",
          "config.llm.timeoutMs=10000",
          "config.llm.maxTokensPerInvestigation=5000",
          "config.llm.inputCostPerMTok=0.5",
          "config.llm.outputCostPerMTok=1.5",
          "secrets.slackAppToken.existingSecret=vigil-slack",
          "secrets.prometheusBearerToken.existingSecret=vigil-prom",
          "secrets.lokiBearerToken.existingSecret=vigil-loki",
        ],
        setJson: [`config.signalCatalog=${JSON.stringify("{}")}`],
      });
      const names = (vigilContainer(one(everything, "Deployment")).env ?? []).map((e) => e.name);
      assert.ok(names.length >= 41, `every setting rendered (${names.length})`);
      assert.equal(new Set(names).size, names.length, "no variable is set twice");
      for (const name of names) assert.ok(known.has(name), `${name} is not read by the daemon`);
    });

    it("mounts a signal catalog from values as a ConfigMap and points VIGIL_SIGNAL_CATALOG at it", () => {
      const rendered = render({ setJson: [`config.signalCatalog=${JSON.stringify('{"signals":{}}')}`] });
      const configMap = one<V1ConfigMap>(rendered, "ConfigMap");
      assert.deepEqual(JSON.parse(configMap.data?.["signal-catalog.json"] ?? ""), { signals: {} });
      const deployment = one<V1Deployment>(rendered, "Deployment");
      const container = vigilContainer(deployment);
      const path = envValue(container, "VIGIL_SIGNAL_CATALOG") ?? "";
      const mount = container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
      const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
      assert.equal(volume?.configMap?.name, configMap.metadata?.name);
      assert.equal(path.split("/").pop(), "signal-catalog.json");
    });
  });

  describe("scale-out", () => {
    it("refuses more than one replica without a database, with a message that says why and what to set", () => {
      const error = renderError({ set: ["replicaCount=2"] });
      assert.match(error, /replicaCount is 2, but more than 1 replica needs Postgres/);
      assert.match(error, /PGlite store is per pod/);
      assert.match(error, /secrets\.databaseUrl\.existingSecret/);
      // The same with everything else of a scale-out install in place.
      assert.match(
        renderError({ files: [SCALE_OUT_VALUES], set: ["secrets.databaseUrl.existingSecret="] }),
        /needs Postgres/,
      );
    });

    it("renders a PodDisruptionBudget only when there is more than one replica", () => {
      assert.equal(ofKind(render(DEFAULT), "PodDisruptionBudget").length, 0);
      const single = render({ set: ["secrets.databaseUrl.existingSecret=pg"] });
      assert.equal(ofKind(single, "PodDisruptionBudget").length, 0, "one replica with Postgres: no PDB");
      const rendered = render(SCALE_OUT);
      const pdb = one<V1PodDisruptionBudget>(rendered, "PodDisruptionBudget");
      assert.equal(pdb.spec?.minAvailable, 1);
      const podLabels = one<V1Deployment>(rendered, "Deployment").spec?.template.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(pdb.spec?.selector?.matchLabels ?? {})) assert.equal(podLabels[k], v);
      const two = render({ set: ["replicaCount=2", "secrets.databaseUrl.existingSecret=pg"] });
      assert.equal(ofKind(two, "PodDisruptionBudget").length, 1);
      const disabled = render({ files: [SCALE_OUT_VALUES], set: ["podDisruptionBudget.enabled=false"] });
      assert.equal(ofKind(disabled, "PodDisruptionBudget").length, 0);
    });

    it("does not create a PVC for the embedded store when Postgres is configured", () => {
      const rendered = render({ files: [SCALE_OUT_VALUES], set: ["persistence.enabled=true"] });
      assert.equal(ofKind(rendered, "PersistentVolumeClaim").length, 0);
    });
  });

  describe("exposure and monitoring", () => {
    it("serves webhooks and the UI on a Service port 8080 that selects the pods", () => {
      const rendered = render(DEFAULT);
      const service = one<V1Service>(rendered, "Service");
      assert.equal(
        service.metadata?.name,
        "vigil",
        "Alertmanager URL http://vigil.<ns>.svc:8080/webhooks/alertmanager",
      );
      assert.deepEqual(
        service.spec?.ports?.map((p) => [p.port, p.targetPort]),
        [[8080, "http"]],
      );
      const podLabels = one<V1Deployment>(rendered, "Deployment").spec?.template.metadata?.labels ?? {};
      const selector = Object.entries(service.spec?.selector ?? {});
      assert.ok(selector.length > 0);
      for (const [k, v] of selector) assert.equal(podLabels[k], v, `pod label ${k}`);
    });

    it("routes the ingress host to the Service", () => {
      const ingress = one<V1Ingress>(render(SCALE_OUT), "Ingress");
      assert.equal(ingress.spec?.ingressClassName, "nginx");
      const rule = ingress.spec?.rules?.[0];
      assert.equal(rule?.host, "vigil.example.com");
      assert.deepEqual(rule?.http?.paths[0]?.backend.service, { name: "vigil", port: { number: 8080 } });
      assert.deepEqual(ingress.spec?.tls?.[0]?.hosts, ["vigil.example.com"]);
    });

    it("scrapes /metrics on the http port with a ServiceMonitor", () => {
      const monitor = one<KubernetesObject & { spec?: Record<string, unknown> }>(render(SCALE_OUT), "ServiceMonitor");
      assert.equal(monitor.apiVersion, "monitoring.coreos.com/v1");
      assert.equal(monitor.metadata?.labels?.release, "kube-prometheus-stack");
      const endpoints = monitor.spec?.endpoints as Array<Record<string, unknown>>;
      assert.deepEqual(
        endpoints.map((e) => [e.port, e.path]),
        [["http", "/metrics"]],
      );
    });
  });

  describe("values.schema.json", () => {
    const cases: Array<[string, string[], RegExp]> = [
      ["replicaCount below 1", ["replicaCount=0"], /replicaCount/],
      ["a fractional replicaCount", ["replicaCount=1.5"], /replicaCount/],
      ["a misspelt top-level key", ["replicas=3"], /replicas/],
      ["an unknown log level", ["config.logLevel=verbose"], /logLevel/],
      ["a service port out of range", ["service.port=70000"], /port/],
      ["a backend URL without a scheme", ["config.prometheusUrl=prometheus:9090"], /prometheusUrl/],
      ["an invalid namespace name", ["rbac.namespaces={Shop_1}"], /namespaces/],
    ];
    for (const [label, set, pattern] of cases) {
      it(`rejects ${label}`, () => {
        assert.match(renderError({ set }), pattern);
      });
    }
  });

  describe("validation of Slack and LLM settings", () => {
    it("refuses a Slack bot token with neither a signing secret nor an app token", () => {
      assert.match(
        renderError({ set: ["secrets.slackBotToken.existingSecret=vigil-slack"] }),
        /slackSigningSecret .* or secrets\.slackAppToken/,
      );
    });

    it("accepts Socket Mode (bot token and app token, no signing secret)", () => {
      const container = vigilContainer(
        one(
          render({
            set: [
              "secrets.slackBotToken.existingSecret=vigil-slack",
              "secrets.slackAppToken.existingSecret=vigil-slack",
            ],
          }),
          "Deployment",
        ),
      );
      assert.ok(container.env?.some((e) => e.name === "SLACK_APP_TOKEN" && e.valueFrom?.secretKeyRef));
      assert.ok(!container.env?.some((e) => e.name === "SLACK_SIGNING_SECRET"));
    });

    it("refuses an LLM API key without an LLM base URL and model", () => {
      assert.match(renderError({ set: ["secrets.llmApiKey.existingSecret=vigil-llm"] }), /config\.llm\.baseUrl/);
    });
  });

  it("ships the Slack app manifest unchanged from docs/", () => {
    assert.equal(
      readFileSync(join(CHART, "slack-app-manifest.yaml"), "utf8"),
      readFileSync(join(ROOT, "docs", "slack-app-manifest.yaml"), "utf8"),
    );
  });
});
