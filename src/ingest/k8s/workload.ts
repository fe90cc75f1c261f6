import type { ElementKind, Ref } from '../../model/types.js';
import { hostsInArgs, hostsInValue, SECRET_NAME, normaliseName, type HostHit } from './hosts.js';
import { k8sId, type K8sObject, type Output } from './object.js';
import { arr, bool, isObj, num, obj, str, stringMap, strings, truncate, type Obj, type Path } from './util.js';

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod']);

/** Same-file facts a workload may use: ConfigMaps it reads whose values are known here. */
export interface FileIndex {
  /** `namespace/name` -> ConfigMap object of this file. */
  configMaps: Map<string, K8sObject>;
  /** `namespace/name` -> selector of Services of this file (to drop a workload's calls to its own Service). */
  serviceSelectors: Map<string, Record<string, string>>;
}

/** Is `host` a Service of this file that selects the calling workload itself (a database reading its own connection string)? */
function isOwnService(host: string, namespace: string, podLabels: Record<string, string>, index: FileIndex): boolean {
  const labels = host.split('.');
  if (labels.length > 2 && !/\.svc(\.cluster\.local)?$/.test(host)) return false;
  const selector = index.serviceSelectors.get(`${labels[1] ?? namespace}/${labels[0]}`);
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => podLabels[k] === v);
}

export function podSpecPath(kind: string): Path {
  if (kind === 'Pod') return ['spec'];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return ['spec', 'template', 'spec'];
}

function podMetaPath(kind: string): Path {
  if (kind === 'Pod') return ['metadata'];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'metadata'];
  return ['spec', 'template', 'metadata'];
}

function at(o: K8sObject, path: Path): unknown {
  let cur: unknown = o.raw;
  for (const k of path) cur = isObj(cur) ? cur[String(k)] : Array.isArray(cur) && typeof k === 'number' ? cur[k] : undefined;
  return cur;
}

interface RefTarget {
  kind: 'reads' | 'mounts';
  target: string;
  line: number;
  evidence: string;
  keys: Set<string>;
}

export function workload(o: K8sObject, out: Output, index: FileIndex): void {
  const specPath = podSpecPath(o.kind);
  const spec = obj(at(o, specPath));
  const podMeta = obj(at(o, podMetaPath(o.kind)));
  const P = (...rest: (string | number)[]): Path => [...specPath, ...rest];
  const psc = obj(spec.securityContext);

  for (const k of ['hostNetwork', 'hostPID', 'hostIPC', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'securityContext', 'shareProcessNamespace']) o.mark(P(k));
  for (const k of ['runAsUser', 'runAsNonRoot', 'runAsGroup', 'seccompProfile']) o.mark(P('securityContext', k));
  o.mark(['spec', 'replicas']);
  o.mark(['spec', 'selector']);
  o.mark(podMetaPath(o.kind).concat('labels'));

  const serviceAccountExplicit = str(spec.serviceAccountName) ?? str(spec.serviceAccount);
  const serviceAccount = serviceAccountExplicit && serviceAccountExplicit.trim() ? serviceAccountExplicit.trim() : 'default';

  const refTargets = new Map<string, RefTarget>();
  const addTarget = (kind: RefTarget['kind'], target: string, line: number, evidence: string, key?: string) => {
    const k = `${kind} ${target}`;
    const existing = refTargets.get(k);
    if (existing) {
      if (key) existing.keys.add(key);
      return;
    }
    refTargets.set(k, { kind, target, line, evidence, keys: new Set(key ? [key] : []) });
  };

  // Volumes first: containers' mounts refer to them by name.
  const volumes: Obj[] = [];
  arr(spec.volumes).forEach((v, i) => {
    if (!isObj(v)) return;
    const vp = P('volumes', i);
    o.mark(vp);
    const name = str(v.name) ?? `#${i}`;
    const vol: Obj = { name, path: vp.join('.') };
    if (isObj(v.hostPath)) {
      o.mark([...vp, 'hostPath']);
      o.mark([...vp, 'hostPath', 'path']);
      vol.hostPath = str(v.hostPath.path) ?? '';
      const t = str(v.hostPath.type);
      if (t) vol.hostPathType = t;
    }
    if (isObj(v.secret)) {
      const s = str(v.secret.secretName);
      if (s) {
        vol.secret = s;
        addTarget('mounts', k8sId('Secret', s, o.ns), o.line(vp), `volume ${name}: secret ${s}`);
      }
    }
    if (isObj(v.configMap)) {
      const c = str(v.configMap.name);
      if (c) {
        vol.configMap = c;
        addTarget('mounts', k8sId('ConfigMap', c, o.ns), o.line(vp), `volume ${name}: configmap ${c}`);
      }
    }
    if (isObj(v.persistentVolumeClaim)) {
      const c = str(v.persistentVolumeClaim.claimName);
      if (c) {
        vol.pvc = c;
        addTarget('mounts', k8sId('PersistentVolumeClaim', c, o.ns), o.line(vp), `volume ${name}: pvc ${c}`);
      }
    }
    if (v.emptyDir !== undefined) vol.emptyDir = true;
    if (isObj(v.projected)) {
      const secrets: string[] = [];
      const configMaps: string[] = [];
      let token = false;
      for (const src of arr(v.projected.sources)) {
        const s = obj(src);
        const sn = str(obj(s.secret).name);
        const cn = str(obj(s.configMap).name);
        if (sn) {
          secrets.push(sn);
          addTarget('mounts', k8sId('Secret', sn, o.ns), o.line(vp), `volume ${name}: projected secret ${sn}`);
        }
        if (cn) {
          configMaps.push(cn);
          addTarget('mounts', k8sId('ConfigMap', cn, o.ns), o.line(vp), `volume ${name}: projected configmap ${cn}`);
        }
        if (s.serviceAccountToken !== undefined) token = true;
      }
      vol.projected = { secrets, configMaps, serviceAccountToken: token };
    }
    if (isObj(v.csi)) vol.csi = { driver: str(v.csi.driver) ?? '', ...(str(obj(v.csi.volumeAttributes).secretProviderClass) ? { secretProviderClass: str(obj(v.csi.volumeAttributes).secretProviderClass) } : {}) };
    const other = Object.keys(v).filter((k) => !['name', 'hostPath', 'secret', 'configMap', 'persistentVolumeClaim', 'emptyDir', 'projected', 'csi'].includes(k));
    if (other.length > 0) vol.other = other.slice(0, 4);
    volumes.push(vol);
  });

  const podLabels = stringMap(podMeta.labels);
  const hostRefs = new Map<string, Ref>();
  const addHost = (hit: HostHit, line: number, evidence: string, container: string) => {
    const key = `${hit.host}:${hit.port ?? ''}`;
    if (hostRefs.has(key) || isOwnService(hit.host, o.ns, podLabels, index)) return;
    hostRefs.set(key, hostRef(o, hit, line, evidence, { container }));
  };

  const containers: Obj[] = [];
  const doContainers = (list: unknown, field: 'containers' | 'initContainers' | 'ephemeralContainers') => {
    arr(list).forEach((raw, i) => {
      if (!isObj(raw)) return;
      const cp = P(field, i);
      const c = container(o, raw, cp, psc);
      if (field === 'initContainers') c.init = true;
      if (field === 'ephemeralContainers') c.ephemeral = true;
      containers.push(c);
      const cname = String(c.name);

      // env: literal values are scanned for hosts; references become reads edges.
      const envValues = new Map<string, string>();
      for (const e of arr(raw.env)) {
        const n = str(obj(e).name);
        const v = str(obj(e).value);
        if (n && v !== undefined) envValues.set(n, v);
      }
      arr(raw.env).forEach((e, j) => {
        if (!isObj(e)) return;
        const n = str(e.name) ?? '';
        const vf = obj(e.valueFrom);
        const ep = [...cp, 'env', j];
        if (isObj(vf.secretKeyRef)) {
          const s = str(vf.secretKeyRef.name);
          if (s) addTarget('reads', k8sId('Secret', s, o.ns), o.line(ep), `env ${n} from secret ${s}`, str(vf.secretKeyRef.key));
        }
        if (isObj(vf.configMapKeyRef)) {
          const cm = str(vf.configMapKeyRef.name);
          const key = str(vf.configMapKeyRef.key);
          if (cm) {
            addTarget('reads', k8sId('ConfigMap', cm, o.ns), o.line(ep), `env ${n} from configmap ${cm}`, key);
            const local = index.configMaps.get(`${o.ns}/${cm}`);
            const value = key ? str(obj(local?.raw.data)[key]) : undefined;
            if (local && value !== undefined) {
              for (const hit of hostsInValue(n, value, 'env', (x) => envValues.get(x)))
                addHost(hit, local.line(['data', key!]), `env ${n} from configmap ${cm}: ${key}=${hit.shown}`, cname);
            }
          }
        }
        const value = str(e.value);
        if (value !== undefined && n) {
          for (const hit of hostsInValue(n, value, 'env', (x) => envValues.get(x))) addHost(hit, o.line([...ep, 'value']), `env ${n}=${hit.shown}`, cname);
        }
      });

      arr(raw.envFrom).forEach((ef, j) => {
        if (!isObj(ef)) return;
        const efp = [...cp, 'envFrom', j];
        const cm = str(obj(ef.configMapRef).name);
        const sec = str(obj(ef.secretRef).name);
        if (sec) addTarget('reads', k8sId('Secret', sec, o.ns), o.line(efp), `envFrom secret ${sec}`);
        if (!cm) return;
        addTarget('reads', k8sId('ConfigMap', cm, o.ns), o.line(efp), `envFrom configmap ${cm}`);
        const local = index.configMaps.get(`${o.ns}/${cm}`);
        if (!local) return;
        const data = obj(local.raw.data);
        const values = new Map<string, string>();
        for (const [k, v] of Object.entries(data)) {
          const s = str(v);
          if (s !== undefined) values.set(k, s);
        }
        for (const [k, v] of values) {
          for (const hit of hostsInValue(k, v, 'config', (x) => values.get(x) ?? envValues.get(x)))
            addHost(hit, local.line(['data', k]), `envFrom configmap ${cm}: ${k}=${hit.shown}`, cname);
        }
      });

      const args = [...strings(raw.command, 64), ...strings(raw.args, 64)];
      for (const { hit, arg } of hostsInArgs(args)) {
        const where = raw.args !== undefined ? 'args' : 'command';
        addHost(hit, o.line([...cp, where]), `${where} ${arg}`, cname);
      }
    });
  };
  doContainers(spec.initContainers, 'initContainers');
  doContainers(spec.containers, 'containers');
  doContainers(spec.ephemeralContainers, 'ephemeralContainers');

  const attrs: Obj = {
    workload: true,
    podSpecPath: specPath.join('.'),
    podLabels,
    podAnnotations: stringMap(podMeta.annotations, 512),
    serviceAccount,
    serviceAccountExplicit: serviceAccountExplicit !== undefined,
    automountServiceAccountToken: bool(spec.automountServiceAccountToken) ?? null,
    hostNetwork: bool(spec.hostNetwork) ?? false,
    hostPID: bool(spec.hostPID) ?? false,
    hostIPC: bool(spec.hostIPC) ?? false,
    shareProcessNamespace: bool(spec.shareProcessNamespace) ?? false,
    securityContext: podSecurityContext(psc),
    containers,
    volumes,
    ...replicas(o),
    selector: stringMap(obj(o.spec.selector).matchLabels ?? (o.kind === 'ReplicationController' ? o.spec.selector : undefined)),
  };
  if (o.kind === 'CronJob') attrs.schedule = str(o.spec.schedule) ?? '';
  if (o.kind === 'StatefulSet') {
    attrs.volumeClaimTemplates = arr(o.spec.volumeClaimTemplates).filter(isObj).map((t) => {
      const s = obj(t.spec);
      return { name: str(obj(t.metadata).name) ?? '', storageClassName: str(s.storageClassName) ?? null, accessModes: strings(s.accessModes), storage: str(obj(obj(s.resources).requests).storage) ?? null };
    });
  }

  let kind: ElementKind = 'service';
  if (['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'Pod'].includes(o.kind)) {
    const engine = detectEngine(o, containers);
    if (engine) {
      kind = engine.kind;
      attrs.engine = engine.engine;
      attrs.engineEvidence = engine.evidence;
    }
  }
  out.elements.push(o.element(kind, attrs, o.zone));

  out.refs.push({
    type: 'element',
    from: o.id,
    candidates: [k8sId('ServiceAccount', serviceAccount, o.ns)],
    // The default ServiceAccount exists in every namespace without being declared.
    onMissing: serviceAccount === 'default' ? 'ignore' : 'warn',
    edge: {
      kind: 'uses-identity',
      location: { file: o.file, line: o.lines[P('serviceAccountName').join('.')] ?? o.lines[P('serviceAccount').join('.')] ?? o.line(['kind']) },
      evidence: serviceAccountExplicit !== undefined ? `serviceAccountName: ${serviceAccount}` : 'default ServiceAccount (none set)',
    },
  });
  for (const t of refTargets.values()) {
    out.refs.push({
      type: 'element',
      from: o.id,
      candidates: [t.target],
      onMissing: 'ignore',
      edge: { kind: t.kind, location: { file: o.file, line: t.line }, evidence: t.evidence, ...(t.keys.size > 0 ? { attrs: { keys: [...t.keys].sort() } } : {}) },
    });
  }
  out.refs.push(...hostRefs.values());
}

export function hostRef(o: K8sObject, hit: HostHit, line: number, evidence: string, extra: Obj = {}): Ref {
  return {
    type: 'host',
    from: o.id,
    namespace: o.ns,
    host: hit.host,
    ...(hit.port !== undefined ? { port: hit.port } : {}),
    ...(hit.scheme !== undefined ? { scheme: hit.scheme } : {}),
    edge: {
      kind: 'calls',
      protocol: hit.protocol,
      ...(hit.port !== undefined ? { port: hit.port } : {}),
      authenticated: 'unknown',
      encrypted: hit.encrypted,
      location: { file: o.file, line },
      evidence: truncate(evidence, 200),
      attrs: { ...extra, ...(hit.appProtocol ? { appProtocol: hit.appProtocol } : {}), ...(hit.protocolGuessed ? { protocolGuessed: true } : {}) },
    },
  };
}

function container(o: K8sObject, c: Obj, cp: Path, psc: Obj): Obj {
  const sc = obj(c.securityContext);
  const caps = obj(sc.capabilities);
  for (const k of ['', 'name', 'image', 'securityContext', 'resources', 'args', 'command', 'ports', 'env', 'envFrom', 'volumeMounts', 'imagePullPolicy']) o.mark(k ? [...cp, k] : cp);
  for (const k of ['privileged', 'allowPrivilegeEscalation', 'runAsUser', 'runAsNonRoot', 'runAsGroup', 'readOnlyRootFilesystem', 'capabilities', 'seccompProfile', 'procMount']) o.mark([...cp, 'securityContext', k]);
  o.mark([...cp, 'securityContext', 'capabilities', 'add']);
  o.mark([...cp, 'resources', 'limits']);
  o.mark([...cp, 'resources', 'requests']);
  arr(c.env).forEach((_, j) => {
    o.mark([...cp, 'env', j]);
    o.mark([...cp, 'env', j, 'value']);
  });
  arr(c.envFrom).forEach((_, j) => o.mark([...cp, 'envFrom', j]));
  arr(c.volumeMounts).forEach((_, j) => o.mark([...cp, 'volumeMounts', j]));

  const resources = obj(c.resources);
  const env = arr(c.env)
    .filter(isObj)
    .slice(0, 256)
    .map((e) => {
      const item: Obj = { name: str(e.name) ?? '' };
      const v = str(e.value);
      if (v !== undefined) item.value = truncate(v, 256);
      if (isObj(e.valueFrom)) item.valueFrom = valueFrom(e.valueFrom);
      return item;
    });
  const envFrom = arr(c.envFrom)
    .filter(isObj)
    .map((ef) => {
      const item: Obj = {};
      const cm = str(obj(ef.configMapRef).name);
      const s = str(obj(ef.secretRef).name);
      if (cm) item.configMap = cm;
      if (s) item.secret = s;
      const prefix = str(ef.prefix);
      if (prefix) item.prefix = prefix;
      return item;
    });
  const capabilitiesAdd = strings(caps.add).map(normCap);
  const result: Obj = {
    name: str(c.name) ?? '',
    image: str(c.image) ?? '',
    path: cp.join('.'),
    privileged: bool(sc.privileged) ?? false,
    allowPrivilegeEscalation: bool(sc.allowPrivilegeEscalation) ?? null,
    runAsNonRoot: bool(sc.runAsNonRoot) ?? bool(psc.runAsNonRoot) ?? null,
    runAsUser: num(sc.runAsUser) ?? num(psc.runAsUser) ?? null,
    runAsGroup: num(sc.runAsGroup) ?? num(psc.runAsGroup) ?? null,
    readOnlyRootFilesystem: bool(sc.readOnlyRootFilesystem) ?? false,
    capabilitiesAdd,
    capabilitiesDrop: strings(caps.drop).map(normCap),
    seccompProfile: str(obj(sc.seccompProfile).type) ?? str(obj(psc.seccompProfile).type) ?? null,
    resources: {
      ...(isObj(resources.limits) ? { limits: stringMap(resources.limits) } : {}),
      ...(isObj(resources.requests) ? { requests: stringMap(resources.requests) } : {}),
    },
    env,
    envFrom,
    ports: arr(c.ports)
      .filter(isObj)
      .map((p) => ({
        containerPort: num(p.containerPort) ?? null,
        ...(str(p.name) ? { name: str(p.name) } : {}),
        protocol: str(p.protocol) ?? 'TCP',
        ...(num(p.hostPort) !== undefined ? { hostPort: num(p.hostPort) } : {}),
      })),
    mounts: arr(c.volumeMounts)
      .filter(isObj)
      .map((m) => ({ name: str(m.name) ?? '', mountPath: str(m.mountPath) ?? '', readOnly: bool(m.readOnly) ?? false, ...(str(m.subPath) ? { subPath: str(m.subPath) } : {}) })),
  };
  const pull = str(c.imagePullPolicy);
  if (pull) result.imagePullPolicy = pull;
  if (c.command !== undefined) result.command = strings(c.command, 64).map((s) => truncate(s, 256));
  if (c.args !== undefined) result.args = strings(c.args, 64).map((s) => truncate(s, 256));
  return result;
}

function valueFrom(vf: Obj): Obj {
  const out: Obj = {};
  if (isObj(vf.secretKeyRef)) out.secretKeyRef = { name: str(vf.secretKeyRef.name) ?? '', key: str(vf.secretKeyRef.key) ?? '' };
  if (isObj(vf.configMapKeyRef)) out.configMapKeyRef = { name: str(vf.configMapKeyRef.name) ?? '', key: str(vf.configMapKeyRef.key) ?? '' };
  if (isObj(vf.fieldRef)) out.fieldRef = str(vf.fieldRef.fieldPath) ?? '';
  if (isObj(vf.resourceFieldRef)) out.resourceFieldRef = str(vf.resourceFieldRef.resource) ?? '';
  return out;
}

/** `CAP_SYS_ADMIN`, `sys_admin` → `SYS_ADMIN`. */
function normCap(c: string): string {
  return c.toUpperCase().replace(/^CAP_/, '');
}

function podSecurityContext(psc: Obj): Obj {
  const out: Obj = {};
  for (const k of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    const n = num(psc[k]);
    if (n !== undefined) out[k] = n;
  }
  const nonRoot = bool(psc.runAsNonRoot);
  if (nonRoot !== undefined) out.runAsNonRoot = nonRoot;
  const seccomp = str(obj(psc.seccompProfile).type);
  if (seccomp) out.seccompProfile = seccomp;
  return out;
}

function replicas(o: K8sObject): Obj {
  switch (o.kind) {
    case 'DaemonSet':
      return { replicas: null, perNode: true };
    case 'Pod':
      return { replicas: 1 };
    case 'Job':
      return { replicas: num(o.spec.parallelism) ?? 1 };
    case 'CronJob':
      return { replicas: num(obj(obj(o.spec.jobTemplate).spec).parallelism) ?? 1 };
    default: {
      const n = num(o.spec.replicas);
      return n === undefined ? { replicas: 1, replicasDefaulted: true } : { replicas: n };
    }
  }
}

const ENGINES: { re: RegExp; engine: string; kind: 'datastore' | 'queue' }[] = [
  { re: /^(postgres|postgresql|postgis|timescaledb|pgvector|spilo|patroni)/, engine: 'postgres', kind: 'datastore' },
  { re: /^(mysql|percona)/, engine: 'mysql', kind: 'datastore' },
  { re: /^mariadb/, engine: 'mariadb', kind: 'datastore' },
  { re: /^mongo(db)?/, engine: 'mongodb', kind: 'datastore' },
  { re: /^(redis|valkey|keydb|dragonfly)/, engine: 'redis', kind: 'datastore' },
  { re: /^memcache/, engine: 'memcached', kind: 'datastore' },
  { re: /^(cassandra|scylla)/, engine: 'cassandra', kind: 'datastore' },
  { re: /^(elasticsearch|opensearch)/, engine: 'elasticsearch', kind: 'datastore' },
  { re: /^couchdb/, engine: 'couchdb', kind: 'datastore' },
  { re: /^couchbase/, engine: 'couchbase', kind: 'datastore' },
  { re: /^cockroach/, engine: 'cockroachdb', kind: 'datastore' },
  { re: /^neo4j/, engine: 'neo4j', kind: 'datastore' },
  { re: /^influxdb/, engine: 'influxdb', kind: 'datastore' },
  { re: /^clickhouse/, engine: 'clickhouse', kind: 'datastore' },
  { re: /^(mssql|sqlserver)/, engine: 'mssql', kind: 'datastore' },
  { re: /^minio/, engine: 'minio', kind: 'datastore' },
  { re: /^etcd/, engine: 'etcd', kind: 'datastore' },
  { re: /^(kafka|cp-kafka)/, engine: 'kafka', kind: 'queue' },
  { re: /^rabbitmq/, engine: 'rabbitmq', kind: 'queue' },
  { re: /^nats/, engine: 'nats', kind: 'queue' },
  { re: /^(activemq|artemis)/, engine: 'activemq', kind: 'queue' },
  { re: /^pulsar/, engine: 'pulsar', kind: 'queue' },
];
/** Tools around a database that are not the database. */
const NOT_ENGINE = /(exporter|operator|express|admin|commander|insight|dashboard|client|cli\b|wait|backup|bouncer|ui\b|web\b|proxy|migrat|init)/;
const PORT_ENGINE: Record<number, string> = { 5432: 'postgres', 3306: 'mysql', 27017: 'mongodb', 6379: 'redis', 11211: 'memcached', 9042: 'cassandra', 9200: 'elasticsearch', 26257: 'cockroachdb', 7687: 'neo4j', 2379: 'etcd', 1433: 'mssql', 9092: 'kafka', 5672: 'rabbitmq', 4222: 'nats' };

function engineOf(word: string): (typeof ENGINES)[number] | undefined {
  const w = word.toLowerCase();
  if (NOT_ENGINE.test(w)) return undefined;
  return ENGINES.find((e) => e.re.test(w));
}

function imageBase(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  return last.split(':')[0]!;
}

/** Is this workload a database, cache or broker? Image first, then names, then well-known ports. */
function detectEngine(o: K8sObject, containers: Obj[]): { kind: 'datastore' | 'queue'; engine: string; evidence: string } | undefined {
  const main = containers.filter((c) => !c.init && !c.ephemeral);
  for (const c of main) {
    const hit = engineOf(imageBase(String(c.image)));
    if (hit) return { kind: hit.kind, engine: hit.engine, evidence: `image ${String(c.image)}` };
  }
  for (const c of main) {
    const hit = engineOf(String(c.name));
    if (hit) return { kind: hit.kind, engine: hit.engine, evidence: `container ${String(c.name)}` };
  }
  const nameTokens = NOT_ENGINE.test(o.name.toLowerCase()) ? [] : [o.name, ...o.name.split(/[-_.]/)];
  for (const token of nameTokens) {
    const hit = engineOf(token);
    if (hit && token.length >= 4) return { kind: hit.kind, engine: hit.engine, evidence: `name ${o.name}` };
  }
  for (const c of main) {
    for (const p of c.ports as Obj[]) {
      const engine = PORT_ENGINE[Number(p.containerPort)];
      if (!engine) continue;
      const queue = ['kafka', 'rabbitmq', 'nats'].includes(engine);
      return { kind: queue ? 'queue' : 'datastore', engine, evidence: `containerPort ${String(p.containerPort)}` };
    }
  }
  if (o.kind === 'StatefulSet' && /(^|[-_])(db|database)([-_]|$)/.test(o.name)) return { kind: 'datastore', engine: 'unknown', evidence: `name ${o.name}` };
  return undefined;
}

/** Does a workload's env name look like it carries a credential (for rules)? */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(normaliseName(name));
}
