import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, namespaceOf, ofType, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-no-resource-limits',
    title: 'Container without memory or CPU limits',
    stride: ['D'],
    severity: 'low',
    rationale:
      'A container without limits can take all the memory and CPU of its node: a request flood, a leak or a decompression bomb in one service then evicts or starves its neighbours, turning one bug into a cluster-wide outage.',
    mitigation: 'Set `resources.limits.memory` (and `cpu` where fairness matters) on every container, or a LimitRange with container defaults in the namespace.',
    references: ['CWE-770', 'CWE-400', 'OWASP-API4:2023', 'https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/'],
    inputs: ['k8s'],
    detection:
      'Application containers with no memory limit or no CPU limit, unless a LimitRange of the same namespace (in the analysed files) sets container defaults for the missing one. Medium when the workload is reachable from the internet.',
    falsePositives: 'Defaults injected by an admission controller or a LimitRange outside the analysed files are invisible; CPU limits are sometimes omitted on purpose to avoid throttling.',
  },
  check(ctx) {
    const defaults = new Map<string, Record<string, string>>();
    for (const lr of ofType(ctx, 'LimitRange')) {
      const limits = (lr.attrs.containerDefaults as { limits?: Record<string, string> } | undefined)?.limits ?? {};
      defaults.set(namespaceOf(lr), { ...(defaults.get(namespaceOf(lr)) ?? {}), ...limits });
    }
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      const nsDefaults = defaults.get(namespaceOf(w)) ?? {};
      for (const c of containers(w)) {
        if (c.init || c.ephemeral) continue;
        const limits = { ...nsDefaults, ...(c.resources?.limits ?? {}) };
        const missing = ['memory', 'cpu'].filter((r) => limits[r] === undefined);
        if (missing.length === 0) continue;
        const exposed = ctx.internetReachable.has(w.id);
        hits.push({
          element: w.id,
          qualifier: c.name,
          location: at(w, `${c.path}.resources.limits`, `${c.path}.resources`, c.path),
          evidence: `${describe(w)}: container ${c.name} has no ${missing.join(' or ')} limit${exposed ? '; the workload is reachable from the internet' : ''}`,
          ...(exposed ? { severity: 'medium' as const } : {}),
        });
      }
    }
    return hits;
  },
};
