import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import { at, declaredPublic, label, operations, WRITE_METHODS, type Operation } from './helpers.js';

/** 0 = anonymous allowed, 1 = authenticated, 2 = authenticated with scopes on every alternative. */
function strength(op: Operation): number {
  if (op.allowsAnonymous) return 0;
  return op.security.every((alt) => alt.some((entry) => entry.scopes.length > 0)) ? 2 : 1;
}

/** Exported for the incremental engine's `openapi-path` group (src/analysis/scope.ts), which must key operations the same way. */
export const VERSION_SEGMENT = /^v\d+(\.\d+)*$/i;

/** `/api/v2/users/{userId}` and `/api/v1/users/{id}` compare equal. */
export function pathKey(path: string): string {
  return path
    .split('/')
    .filter((seg) => seg !== '' && !VERSION_SEGMENT.test(seg))
    .map((seg) => (seg.startsWith('{') ? '{}' : seg.toLowerCase()))
    .join('/');
}

/** `Orders API v2` and `Orders API (v1)` are versions of one API. */
function titleKey(op: Operation): string {
  const title = String(op.api?.attrs.title ?? op.api?.id ?? '');
  return title
    .replace(/\(?\bv?\d+(\.\d+)*\)?/gi, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

function describeSecurity(op: Operation): string {
  if (op.allowsAnonymous) return 'no authentication';
  const alts = op.security.map((alt) => alt.map((e) => (e.scopes.length ? `${e.scheme}[${e.scopes.join(' ')}]` : e.scheme)).join(' + '));
  return alts.join(' or ');
}

/**
 * For each operation of a group (sorted by id), the first other operation
 * in that order that is strictly stronger and either the same method
 * elsewhere (another version) or, for an anonymous weak operation, a
 * method that makes the comparison meaningful. Equivalent to a scan of the
 * whole group per operation, but each operation looks only at the first
 * stronger operation of each method: groups are as large as the number of
 * versions (or copies) of an API, thousands in a monorepo.
 */
function peerFinder(sorted: readonly Operation[]): (w: number) => Operation | undefined {
  const st = sorted.map(strength);
  // Indices (ascending) of operations stronger than level 0 and 1, by method.
  const stronger: Map<string, number[]>[] = [new Map(), new Map()];
  sorted.forEach((op, i) => {
    for (let level = 0; level < 2; level++) {
      if (st[i]! <= level) continue;
      const list = stronger[level]!.get(op.method);
      if (list) list.push(i);
      else stronger[level]!.set(op.method, [i]);
    }
  });
  return (w) => {
    const weak = sorted[w]!;
    const s = st[w]!;
    if (s >= 2) return undefined;
    let best = Infinity;
    // Same method: any stronger one but the same operation (same path and API); those are skipped in order.
    for (const i of stronger[s]!.get(weak.method) ?? []) {
      const other = sorted[i]!;
      if (i !== w && (other.path !== weak.path || other.api !== weak.api)) {
        best = i;
        break;
      }
    }
    // Another method counts only against an anonymous operation: a write, or compared with a read.
    if (s === 0) {
      for (const [method, list] of stronger[0]!) {
        if (method === weak.method) continue;
        if (WRITE_METHODS.has(weak.method) || method === 'GET' || method === 'HEAD') best = Math.min(best, list[0]!);
      }
    }
    return best === Infinity ? undefined : sorted[best];
  };
}

export const rule: Rule = {
  meta: {
    id: 'openapi-inconsistent-security',
    title: 'Weaker security than a sibling operation or another API version',
    stride: ['S', 'E'],
    severity: 'high',
    rationale:
      'When one method of a resource is protected and another is not, or when an older (or newer) version of the same endpoint drops the authentication or scopes the other version requires, attackers use the weaker door: the protection of the stronger one is void.',
    mitigation:
      'Give every method of a resource and every live version of an endpoint the same authentication (and scopes appropriate to the action); retire old API versions, or gate them exactly like the current one.',
    references: ['CWE-285', 'CWE-306', 'OWASP-API5:2023', 'OWASP-API9:2023', 'CAPEC-1'],
    inputs: ['openapi'],
    detection:
      'Operations are grouped by path with version segments (`v1`, `v2.7`) and parameter names ignored, within one API or across APIs whose titles differ only by a version. Reported: the same method whose security is weaker in another version (anonymous < authenticated < scoped on every alternative); and an anonymous operation on a path where another method is authenticated, when the anonymous one changes state (POST/PUT/PATCH/DELETE) or the authenticated one only reads (GET/HEAD). A public GET next to an authenticated POST is the normal public-read pattern and is not reported. OPTIONS and `x-threatdiff-public: true` operations are ignored.',
    falsePositives: 'Deliberately public writes (anonymous form submissions) next to protected reads; versions being retired.',
  },
  check(ctx) {
    const groups = new Map<string, Operation[]>();
    // Keys computed once per API title and per path: an API's operations share its title, APIs share paths.
    const titles = new Map<Element | undefined, string>();
    const paths = new Map<string, string>();
    for (const op of operations(ctx)) {
      if (op.method === 'OPTIONS' || declaredPublic(op)) continue;
      let title = titles.get(op.api);
      if (title === undefined) titles.set(op.api, (title = titleKey(op)));
      let path = paths.get(op.path);
      if (path === undefined) paths.set(op.path, (path = pathKey(op.path)));
      const key = `${title}|${path}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(op);
    }
    const hits: RuleHit[] = [];
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      // Whether an operation has a peer does not depend on the order: skip sorting groups where none has one.
      const unsorted = peerFinder(group);
      if (!group.some((_, w) => unsorted(w) !== undefined)) continue;
      const sorted = [...group].sort((a, b) => a.el.id.localeCompare(b.el.id));
      const peers = peerFinder(sorted);
      for (let w = 0; w < sorted.length; w++) {
        const weak = sorted[w]!;
        const peer = peers(w);
        if (!peer) continue;
        const how = peer.method === weak.method ? 'another version of the same operation' : 'another method on the same resource';
        hits.push({
          element: weak.el.id,
          peer: peer.el.id,
          location: at(weak.el, 'security'),
          evidence: `${label(weak)} requires ${describeSecurity(weak)}, but ${how}, ${label(peer)}, requires ${describeSecurity(peer)}`,
        });
      }
    }
    return hits;
  },
};
