import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, workloads } from './helpers.js';

/** Capabilities the Pod Security "baseline" level allows; anything else is a privilege grant. */
const BASELINE = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
/** Capabilities that are as good as root on the node. */
const DANGEROUS = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'DAC_READ_SEARCH', 'NET_ADMIN', 'BPF', 'PERFMON', 'SYS_BOOT', 'MAC_ADMIN', 'MAC_OVERRIDE']);

export const rule: Rule = {
  meta: {
    id: 'k8s-added-capabilities',
    title: 'Container adds Linux capabilities beyond the baseline',
    stride: ['E'],
    severity: 'medium',
    rationale:
      'Capabilities split root’s power; adding them back hands a compromised container that power. SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN, DAC_READ_SEARCH or ALL enable well-known container escapes and host tampering.',
    mitigation: 'Drop `ALL` and add back only what the process needs (usually nothing, or NET_BIND_SERVICE). Replace NET_ADMIN/SYS_ADMIN uses with a node-level component outside the application pod.',
    references: ['CWE-250', 'CWE-269', 'CAPEC-122', 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
    inputs: ['k8s'],
    detection: 'Containers whose `securityContext.capabilities.add` holds a capability outside the Pod Security baseline set; high for ALL, SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH, NET_ADMIN, BPF, PERFMON and friends.',
    falsePositives: 'Service-mesh init containers (istio-init) and CNI components add NET_ADMIN/NET_RAW by design.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const c of containers(w)) {
        const extra = c.capabilitiesAdd.filter((cap) => !BASELINE.has(cap));
        if (extra.length === 0) continue;
        const dangerous = extra.filter((cap) => DANGEROUS.has(cap));
        hits.push({
          element: w.id,
          qualifier: c.name,
          location: at(w, `${c.path}.securityContext.capabilities.add`, `${c.path}.securityContext.capabilities`, c.path),
          evidence: `${describe(w)}: container ${c.name} adds ${extra.join(', ')}`,
          ...(dangerous.length > 0 ? { severity: 'high' as const } : {}),
        });
      }
    }
    return hits;
  },
};
