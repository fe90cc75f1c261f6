import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, ofType, rbacRules } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-rbac-wildcard',
    title: 'RBAC role grants wildcard verbs or resources',
    stride: ['E'],
    severity: 'high',
    rationale:
      'A `*` in a role grants everything that exists today and everything added later (new CRDs, subresources such as pods/exec, secrets): the holder’s power grows silently and usually exceeds what anyone reviewed.',
    mitigation: 'List the exact apiGroups, resources and verbs the subject needs; split broad roles per task. Use `resourceNames` to narrow access to named objects.',
    references: ['CWE-269', 'CWE-732', 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/'],
    inputs: ['k8s'],
    detection:
      'Role and ClusterRole rules with `*` in verbs or resources (or apiGroups `*` with resources `*`). Critical for `*` verbs on `*` resources of a ClusterRole (cluster-admin equivalent), medium for wildcard verbs on one named resource kind.',
    falsePositives: 'Operator roles over their own CRD group (`apiGroups: [example.com], resources: ["*"]`) are broad by design but contained.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const role of ofType(ctx, 'Role', 'ClusterRole')) {
      rbacRules(role).forEach((r, i) => {
        const starVerbs = r.verbs.includes('*');
        const starResources = r.resources.includes('*');
        const starGroups = r.apiGroups.includes('*');
        if (!starVerbs && !starResources) return;
        const cluster = role.type === 'k8s:ClusterRole';
        const severity = starVerbs && starResources ? (cluster && (starGroups || r.apiGroups.includes('')) ? 'critical' : 'high') : starResources ? 'high' : 'medium';
        hits.push({
          element: role.id,
          qualifier: `rule-${i}`,
          location: at(role, `rules.${i}`, 'rules'),
          evidence: `${role.type.slice(4)} ${role.name} rule ${i}: verbs [${r.verbs.join(', ')}] on resources [${r.resources.join(', ')}] in apiGroups [${r.apiGroups.map((g) => g || '""').join(', ')}]${r.resourceNames.length > 0 ? ` (names ${r.resourceNames.join(', ')})` : ''}`,
          severity,
        });
      });
    }
    return hits;
  },
};
