import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, describe, namespaceOf, ofType, workloads } from './helpers.js';

const SCALABLE = new Set(['k8s:Deployment', 'k8s:StatefulSet', 'k8s:ReplicaSet', 'k8s:ReplicationController', 'k8s:Pod']);

export const rule: Rule = {
  meta: {
    id: 'k8s-single-replica-internet-facing',
    title: 'Internet-facing workload runs a single replica',
    stride: ['D'],
    severity: 'medium',
    rationale:
      'A workload the internet reaches with one replica is a single point of failure: one crash (or one malicious request that crashes it), a node drain or a rollout takes the public service down.',
    mitigation: 'Run at least two replicas (`spec.replicas` or an HorizontalPodAutoscaler with `minReplicas >= 2`), spread them across nodes, and add a PodDisruptionBudget.',
    references: ['CWE-400', 'OWASP-API4:2023', 'https://kubernetes.io/docs/concepts/workloads/pods/disruptions/'],
    inputs: ['k8s', 'graph'],
    detection:
      'Deployments, StatefulSets, ReplicaSets and bare Pods reachable from the internet (through a LoadBalancer/NodePort Service, an Ingress or a Gateway) whose replica count is 1 (explicit or defaulted) and that no HorizontalPodAutoscaler of the analysed files scales to two or more.',
    falsePositives: 'Replica counts managed outside the manifests (KEDA, GitOps overlays patching replicas) are invisible.',
  },
  check(ctx) {
    const hpaMin = new Map<string, number>();
    for (const hpa of ofType(ctx, 'HorizontalPodAutoscaler')) {
      const target = hpa.attrs.scaleTargetRef as { kind: string; name: string } | undefined;
      if (target) hpaMin.set(`k8s:${target.kind}/${namespaceOf(hpa)}/${target.name}`, Number(hpa.attrs.minReplicas ?? 1));
    }
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      if (!SCALABLE.has(w.type) || !ctx.internetReachable.has(w.id)) continue;
      if (w.attrs.replicas !== 1) continue;
      if ((hpaMin.get(w.id) ?? 0) >= 2) continue;
      hits.push({
        element: w.id,
        location: at(w, 'spec.replicas'),
        evidence: `${describe(w)} is reachable from the internet and runs ${w.type === 'k8s:Pod' ? 'as a single bare Pod' : w.attrs.replicasDefaulted ? 'one replica (replicas not set, defaults to 1)' : 'one replica'}`,
      });
    }
    return hits;
  },
};
