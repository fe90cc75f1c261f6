import type { Rule, RuleHit } from '../../src/model/graph.js';
import { at, containers, describe, workloads } from './helpers.js';

export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Splits an image reference the way container runtimes do (`redis:alpine` → docker.io/library/redis:alpine). */
export function parseImage(image: string): ImageRef {
  const [nameTag, digest] = image.split('@') as [string, string | undefined];
  const slash = nameTag.indexOf('/');
  const first = slash === -1 ? '' : nameTag.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = hasRegistry ? first : 'docker.io';
  let rest = hasRegistry ? nameTag.slice(slash + 1) : nameTag;
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const repository = registry === 'docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export const rule: Rule = {
  meta: {
    id: 'k8s-image-without-digest-untrusted-registry',
    title: 'Image pulled by a mutable tag from a public or unpinned source',
    stride: ['T'],
    severity: 'medium',
    rationale:
      'A tag is a pointer anyone with push rights can move. An image without a digest, pulled by `latest` (or no tag) or from a public community namespace on Docker Hub, can be swapped for a malicious build by whoever controls the tag or the account, or typosquatted, and the cluster runs it on the next pull.',
    mitigation:
      'Pin images by digest (`image: registry/app:1.4.2@sha256:…`), pull from a registry your organisation controls (mirror third-party images there), and enforce signatures with an admission policy (Sigstore policy-controller, Kyverno verifyImages).',
    references: ['CWE-494', 'CWE-829', 'CAPEC-538', 'https://kubernetes.io/docs/concepts/containers/images/#image-names'],
    inputs: ['k8s'],
    detection:
      'Containers whose image has no `@sha256:` digest and either uses `latest` or no tag (any registry), or comes from a Docker Hub community namespace (`user/image`, not an official `library/` image) — a registry nobody in the organisation controls. Official Docker Hub images and images of other registries with an explicit version tag are not reported.',
    falsePositives: 'Build tools (Skaffold, ko, Kustomize `images:`) replace placeholder images such as `frontend` before deployment; images from Docker Hub accounts your organisation owns are trusted in practice.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const w of workloads(ctx)) {
      for (const c of containers(w)) {
        if (!c.image) continue;
        const ref = parseImage(c.image);
        if (ref.digest) continue;
        const mutable = ref.tag === undefined || ref.tag === 'latest';
        const community = ref.registry === 'docker.io' && !ref.repository.startsWith('library/');
        if (!mutable && !community) continue;
        const why = [mutable ? (ref.tag ? 'the mutable tag latest' : 'no tag (latest)') : `tag ${ref.tag}`, community ? `a Docker Hub community namespace (${ref.repository.split('/')[0]})` : `registry ${ref.registry}`];
        hits.push({
          element: w.id,
          qualifier: c.name,
          location: at(w, `${c.path}.image`, c.path),
          evidence: `${describe(w)}: container ${c.name} runs ${c.image} by ${why[0]} from ${why[1]}, without a digest`,
          ...(community && mutable ? { severity: 'high' as const } : {}),
        });
      }
    }
    return hits;
  },
};
