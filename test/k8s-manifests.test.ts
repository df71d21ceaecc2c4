import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import test from "ava";
import { parseAllDocuments } from "yaml";

/*
 * Every overlay of k8s/ renders with `kubectl kustomize` and each object validates against
 * the Kubernetes schemas of the npm package kubernetes-models (one model class per
 * apiVersion and kind, whose validate() checks the OpenAPI schema).
 */

const require = createRequire(import.meta.url);
const OVERLAYS = ["redis", "dynamodb"];

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

function kubectlPresent(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function render(overlay: string): K8sObject[] {
  const text = execFileSync("kubectl", ["kustomize", `k8s/overlays/${overlay}`], { encoding: "utf8" });
  return parseAllDocuments(text)
    .map((document) => document.toJS() as unknown)
    .filter((o): o is K8sObject => typeof o === "object" && o !== null && "kind" in o);
}

/** The kubernetes-models class of an apiVersion and kind. */
function model(object: K8sObject): new (value: unknown) => { validate(): void } {
  const module = require(`kubernetes-models/${object.apiVersion}`) as Record<
    string,
    new (
      value: unknown,
    ) => { validate(): void }
  >;
  const found = module[object.kind];
  if (found === undefined) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  return found;
}

for (const overlay of OVERLAYS) {
  test(`k8s/overlays/${overlay} renders and every object validates`, (t) => {
    if (!kubectlPresent()) {
      t.fail(
        "kubectl is needed to render k8s/ (it ships kustomize). Install with: sudo apt-get install kubectl",
      );
      return;
    }
    try {
      require.resolve("kubernetes-models/v1");
    } catch {
      t.fail("the schema check needs kubernetes-models: npm install --save-dev kubernetes-models@4.5.1");
      return;
    }
    const objects = render(overlay);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata?.name}`);
    for (const wanted of [
      "StatefulSet/partitura",
      "Service/partitura",
      "Service/partitura-api",
      "PodDisruptionBudget/partitura",
      "ServiceAccount/partitura",
    ]) {
      t.true(kinds.includes(wanted), `${wanted} missing from ${kinds.join(", ")}`);
    }
    for (const object of objects) {
      const Model = model(object);
      t.notThrows(() => new Model(object).validate(), `${object.kind}/${object.metadata?.name}`);
    }
    const config = objects.find((o) => o.kind === "ConfigMap")?.data ?? {};
    t.is(config.PARTITURA_MEMBERSHIP, "store");
    t.regex(config.PARTITURA_STORE ?? "", overlay === "redis" ? /^redis:\/\// : /^dynamodb:\/\//);
    t.is(
      objects.some((o) => o.metadata?.name === "redis"),
      overlay === "redis",
    );
  });
}
