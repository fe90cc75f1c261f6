import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, workloads } from './helpers.js';

export const rule: Rule = {
  meta: {
    id: 'k8s-writable-root-fs',
    title: 'Container root filesystem is writable',
    stride: ['T'],
    severity: 'low',
    rationale:
      'With a writable root filesystem an attacker who gets code execution can replace the application’s binaries, scripts or config and persist there for the life of the pod, and drop tools the image does not ship.',
    mitigation: 'Set `securityContext.readOnlyRootFilesystem: true` and give the process `emptyDir` volumes for the paths it must write (`/tmp`, caches).',
    references: ['CWE-732', 'CWE-276', 'https://kubernetes.io/docs/tasks/configure-pod-container/security-context/'],
    inputs: ['k8s'],
    detection: 'Application containers (not init containers) whose `readOnlyRootFilesystem` is not `true`.',
    falsePositives: 'Some images write to their own filesystem at start-up (package caches, generated config); they need emptyDir mounts before the setting can be turned on.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const c of containers(w)) {
        if (c.init || c.ephemeral || c.readOnlyRootFilesystem === true) continue;
        hits.push({
          element: w.id,
          qualifier: c.name,
          location: at(w, `${c.path}.securityContext.readOnlyRootFilesystem`, `${c.path}.securityContext`, c.path),
          evidence: `${describe(w)}: container ${c.name} has a writable root filesystem (readOnlyRootFilesystem is not true)`,
        });
      }
    }
    return hits;
  },
};
