/**
 * Shared helpers for evidence that points at Kubernetes objects and for the names such evidence carries.
 * Kept beside the analysis blocks so strategies that read the cluster, changes and logs agree on one format.
 */

export interface ObjectEntity {
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * Reopens one Kubernetes object: `k8s:Kind/namespace/name` (namespace empty for cluster-scoped objects). The same
 * format as the fixture adapter's `fixtureObjectRef`, and readable enough for a live cluster.
 */
export function k8sObjectRef(entity: ObjectEntity): string {
  return `k8s:${entity.kind}/${entity.namespace ?? ""}/${entity.name}`;
}

/**
 * The known service an object or component name belongs to: the name itself when it is a known service, else the
 * longest known service that prefixes it followed by a dash (`payments-config` → `payments`,
 * `checkout-7d9f-abcde` → `checkout`). Undefined when no known service fits.
 */
export function serviceOfName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const service of known) {
    if (service === name) return service;
    if (name.startsWith(`${service}-`) && (!best || service.length > best.length)) best = service;
  }
  return best;
}

/** Escapes a string for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Known services a text names as a whole word (`upstream checkout timed out`, `host=postgres`): a name glued to
 * other name characters (`checkout-config`, `checkouts`) or inside a path (`/api/cart`) does not count, so `cart` is
 * not found in `cartservice`; a DNS name (`postgres.shop.svc`) does.
 */
export function servicesNamedIn(text: string, known: Iterable<string>): string[] {
  const out: string[] = [];
  for (const service of known) {
    if (service.length < 2) continue;
    const pattern = new RegExp(`(?<![A-Za-z0-9_./-])${escapeRegExp(service)}(?![A-Za-z0-9_-])`, "i");
    if (pattern.test(text)) out.push(service);
  }
  return out.sort();
}
