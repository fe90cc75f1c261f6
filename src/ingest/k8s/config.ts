import { hostsInValue } from './hosts.js';
import type { K8sObject, Output } from './object.js';
import { hostRef } from './workload.js';
import { arr, bool, isObj, num, obj, str, stringMap, strings, truncate } from './util.js';

/** ConfigMap values kept for rules (credentials, hosts); longer values are cut. */
export const CONFIG_VALUE_MAX = 256;

/** Secrets: names of keys only. Values (base64 or `stringData`) never leave the parser. */
export function secret(o: K8sObject, out: Output): void {
  const data = obj(o.raw.data);
  const stringData = obj(o.raw.stringData);
  for (const k of Object.keys(data)) o.mark(['data', k]);
  for (const k of Object.keys(stringData)) o.mark(['stringData', k]);
  o.mark(['type']);
  const annotations = stringMap(o.metadata.annotations);
  const keys = [...new Set([...Object.keys(data), ...Object.keys(stringData)])].sort();
  out.elements.push(
    o.element(
      'secret',
      {
        secretType: str(o.raw.type) ?? 'Opaque',
        keys,
        stringDataKeys: Object.keys(stringData).sort(),
        // A Secret with values in the repository: the value is committed, whatever RBAC says.
        valuesInManifest: keys.length > 0,
        immutable: bool(o.raw.immutable) ?? false,
        ...(annotations['kubernetes.io/service-account.name'] ? { serviceAccountName: annotations['kubernetes.io/service-account.name'] } : {}),
      },
      o.zone,
    ),
  );
}

/**
 * ConfigMaps keep their values (cut to 256 characters) because rules scan
 * them for hosts and credentials. Host-like values always become `calls`
 * refs from the ConfigMap itself (edge attrs `viaConfigMap: true`): readers
 * in other files cannot be known here. Workloads of the same file that read
 * the ConfigMap also get the calls directly (see workload.ts).
 */
export function configMap(o: K8sObject, out: Output): void {
  const raw = obj(o.raw.data);
  const data: Record<string, string> = {};
  const truncatedKeys: string[] = [];
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    const s = str(v);
    if (s === undefined) continue;
    o.mark(['data', k]);
    values.set(k, s);
    data[k] = truncate(s, CONFIG_VALUE_MAX);
    if (s.length > CONFIG_VALUE_MAX) truncatedKeys.push(k);
  }
  out.elements.push(
    o.element('config', { data, truncatedKeys, binaryDataKeys: Object.keys(obj(o.raw.binaryData)).sort(), immutable: bool(o.raw.immutable) ?? false }, o.zone),
  );
  const seen = new Set<string>();
  for (const [k, v] of values) {
    for (const hit of hostsInValue(k, v, 'config', (x) => values.get(x))) {
      const key = `${hit.host}:${hit.port ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.refs.push(hostRef(o, hit, o.line(['data', k]), `configmap ${o.name}: ${k}=${hit.shown}`, { key: k, viaConfigMap: true }));
    }
  }
}

export function persistentVolumeClaim(o: K8sObject, out: Output): void {
  o.mark(['spec', 'storageClassName']);
  o.mark(['spec', 'accessModes']);
  out.elements.push(
    o.element(
      'datastore',
      {
        engine: 'volume',
        storageClassName: str(o.spec.storageClassName) ?? null,
        accessModes: strings(o.spec.accessModes),
        storage: str(obj(obj(o.spec.resources).requests).storage) ?? null,
        volumeName: str(o.spec.volumeName) ?? null,
      },
      o.zone,
    ),
  );
}

export function namespace(o: K8sObject, out: Output): void {
  o.mark(['metadata', 'labels']);
  const labels = stringMap(o.metadata.labels);
  out.elements.push(
    o.element('other', {
      istioInjection: labels['istio-injection'] === 'enabled' || labels['istio.io/rev'] !== undefined,
      podSecurityEnforce: labels['pod-security.kubernetes.io/enforce'] ?? null,
    }),
  );
}

export function horizontalPodAutoscaler(o: K8sObject, out: Output): void {
  o.mark(['spec', 'minReplicas']);
  const target = obj(o.spec.scaleTargetRef);
  out.elements.push(
    o.element('other', { scaleTargetRef: { kind: str(target.kind) ?? '', name: str(target.name) ?? '' }, minReplicas: num(o.spec.minReplicas) ?? 1, maxReplicas: num(o.spec.maxReplicas) ?? null }, o.zone),
  );
}

export function podDisruptionBudget(o: K8sObject, out: Output): void {
  out.elements.push(
    o.element(
      'other',
      {
        selector: stringMap(obj(o.spec.selector).matchLabels),
        minAvailable: num(o.spec.minAvailable) ?? str(o.spec.minAvailable) ?? null,
        maxUnavailable: num(o.spec.maxUnavailable) ?? str(o.spec.maxUnavailable) ?? null,
      },
      o.zone,
    ),
  );
}

/** LimitRange: container defaults make a missing `resources.limits` harmless. */
export function limitRange(o: K8sObject, out: Output): void {
  o.mark(['spec', 'limits']);
  const container = arr(o.spec.limits)
    .filter(isObj)
    .find((l) => (str(l.type) ?? 'Container') === 'Container');
  out.elements.push(
    o.element(
      'other',
      {
        containerDefaults: { limits: stringMap(container?.default), requests: stringMap(container?.defaultRequest) },
        containerMax: stringMap(container?.max),
      },
      o.zone,
    ),
  );
}

/** Anything else (CRDs, webhooks, StorageClasses...): recognised and listed, not modelled. */
export function other(o: K8sObject, out: Output): void {
  const attrs: Record<string, unknown> = {};
  if (o.kind === 'PersistentVolume') {
    o.mark(['spec', 'hostPath']);
    const hostPath = str(obj(o.spec.hostPath).path);
    if (hostPath) attrs.hostPath = hostPath;
  }
  if (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration') {
    attrs.webhooks = arr(o.raw.webhooks)
      .filter(isObj)
      .map((w) => ({ name: str(w.name) ?? '', failurePolicy: str(w.failurePolicy) ?? null, service: str(obj(obj(w.clientConfig).service).name) ?? null, url: str(obj(w.clientConfig).url) ? '[url]' : null }));
  }
  out.elements.push(o.element('other', attrs, o.namespace !== undefined ? o.zone : undefined));
}
