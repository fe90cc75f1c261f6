import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, describe, podSpecPath, workloads } from './helpers.js';

const WHAT: Record<string, string> = {
  hostNetwork: 'shares the node network: it can bind node ports, reach the node-local metadata and kubelet endpoints and sniff host traffic',
  hostPID: 'sees every process on the node: it can read their environment and memory (credentials) and signal them',
  hostIPC: 'shares the node IPC namespace: it can read and write other processes’ shared memory',
};

export const rule: Rule = {
  meta: {
    id: 'k8s-host-namespace',
    title: 'Pod shares the host network, PID or IPC namespace',
    stride: ['E'],
    severity: 'high',
    rationale:
      'Host namespaces remove the isolation between a pod and its node. A compromised container with hostPID can inspect and signal every process on the node, with hostNetwork it can impersonate the node on the network and reach services bound to localhost, with hostIPC it can tamper with shared memory of other workloads.',
    mitigation: 'Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec. If a node agent truly needs them, isolate it in its own namespace with a restricted ServiceAccount and accept the finding for it.',
    references: ['CWE-250', 'CWE-668', 'CAPEC-122', 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
    inputs: ['k8s'],
    detection: 'Workloads whose pod spec sets `hostNetwork`, `hostPID` or `hostIPC` to `true`; one finding per namespace shared.',
    falsePositives: 'Monitoring agents, CNI and node-local DNS caches use host namespaces by design.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const ns of ['hostNetwork', 'hostPID', 'hostIPC']) {
        if (w.attrs[ns] !== true) continue;
        hits.push({ element: w.id, qualifier: ns, location: at(w, `${podSpecPath(w)}.${ns}`), evidence: `${describe(w)} sets ${ns}: true, so it ${WHAT[ns]}` });
      }
    }
    return hits;
  },
};
