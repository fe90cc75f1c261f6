import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, podSpecPath, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-run-as-root',
    title: 'Container runs (or may run) as root',
    stride: ['E'],
    severity: 'medium',
    rationale:
      'Root in a container is root on the node’s kernel: a container escape, a writable hostPath or a mounted socket turns it into node compromise, and inside the container it can rewrite the application’s own files.',
    mitigation: 'Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser` (pod or container level), and build images with a non-root `USER`.',
    references: ['CWE-250', 'CWE-269', 'https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted'],
    inputs: ['k8s'],
    detection:
      'Containers whose effective `runAsUser` (container, else pod) is 0 (high), and containers where neither `runAsNonRoot: true` nor a non-zero `runAsUser` is set, so the image’s default user, often root, applies (medium).',
    falsePositives: 'Images that declare a non-root USER are safe without the setting, but nothing in the manifest proves it; set runAsNonRoot to make it enforced.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      const pod = podSpecPath(w);
      for (const c of containers(w)) {
        const location = at(w, `${c.path}.securityContext.runAsUser`, `${pod}.securityContext.runAsUser`, `${c.path}.securityContext.runAsNonRoot`, `${pod}.securityContext.runAsNonRoot`, c.path);
        if (c.runAsUser === 0) {
          hits.push({ element: w.id, qualifier: c.name, location, evidence: `${describe(w)}: container ${c.name} sets runAsUser: 0`, severity: 'high' });
        } else if (c.runAsNonRoot !== true && (c.runAsUser === null || c.runAsUser === undefined)) {
          hits.push({ element: w.id, qualifier: c.name, location, evidence: `${describe(w)}: container ${c.name} sets neither runAsNonRoot: true nor runAsUser, so the image's default user (often root) applies` });
        }
      }
    }
    return hits;
  },
};
