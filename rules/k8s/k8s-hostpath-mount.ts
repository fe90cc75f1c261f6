import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, isCriticalHostPath, volumes, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-hostpath-mount',
    title: 'Host filesystem mounted into a pod',
    stride: ['E', 'I'],
    severity: 'high',
    rationale:
      'A hostPath volume gives the container the node’s files. The container runtime socket, the kubelet directory or `/` hand over the node (start privileged containers, read every pod’s secrets); other paths leak host data or let the container plant files the node later executes.',
    mitigation:
      'Replace hostPath with a PersistentVolumeClaim, a ConfigMap/Secret, emptyDir or a CSI driver. If node access is unavoidable, mount the narrowest path, `readOnly: true`, and never the runtime socket.',
    references: ['CWE-668', 'CWE-552', 'CWE-250', 'CAPEC-122', 'https://kubernetes.io/docs/concepts/storage/volumes/#hostpath'],
    inputs: ['k8s'],
    detection:
      'Every hostPath volume of a workload. Critical for the node root, container runtime sockets (docker, containerd, CRI-O), kubelet, etcd and Kubernetes PKI directories, `/proc`, `/etc`, `/dev`, `/sys`; high for other paths; medium when every container mounts it read-only (a read-only socket is still critical: a socket is used, not written).',
    falsePositives: 'Log shippers and monitoring agents read `/var/log` or `/proc` on purpose; accept them after checking the mount is read-only and the path minimal.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const v of volumes(w)) {
        if (v.hostPath === undefined) continue;
        const mounts = containers(w).flatMap((c) => c.mounts.filter((m) => m.name === v.name).map((m) => ({ c, m })));
        const readOnly = mounts.length > 0 && mounts.every(({ m }) => m.readOnly);
        const socket = /\.sock$/.test(v.hostPath) || v.hostPathType === 'Socket';
        const critical = isCriticalHostPath(v.hostPath);
        const severity = critical && (!readOnly || socket) ? 'critical' : readOnly ? 'medium' : 'high';
        const where = mounts.map(({ c, m }) => `${c.name}:${m.mountPath}${m.readOnly ? ' (ro)' : ''}`).join(', ') || 'not mounted by any container';
        hits.push({
          element: w.id,
          qualifier: v.name,
          location: at(w, `${v.path}.hostPath`, v.path),
          evidence: `${describe(w)} mounts host path ${v.hostPath || '(empty)'}${v.hostPathType ? ` (${v.hostPathType})` : ''} as volume ${v.name}: ${where}`,
          severity,
        });
      }
    }
    return hits;
  },
};
