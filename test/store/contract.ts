import type { CachedFragment } from '../../src/cache/types.js';
import type { StoreCache } from '../../src/store/rows.js';
import type { Acceptance, PullKey, Store } from '../../src/store/types.js';

/**
 * The one behaviour every Store backend shares (memory, SQLite, PostgreSQL),
 * and the engine-cache behaviour of the persistent ones. Each backend's test
 * file calls these with a way to open a fresh store.
 */

export interface OpenedStore {
  store: Store;
  /** Closes this handle and opens the same data again (persistent backends only). */
  reopen?: () => Promise<Store>;
  close(): Promise<void>;
}

const PR: PullKey = { repo: 'octo/shop', pull: 7 };
const OTHER: PullKey = { repo: 'octo/shop', pull: 8 };

const acceptance = (id: string, reason = `reason for ${id}`): Acceptance => ({ id, reason, by: 'alice', at: '2025-01-02T03:04:05Z' });

export function storeContract(open: () => Promise<OpenedStore>): void {
  let h: OpenedStore;
  beforeEach(async () => {
    h = await open();
  });
  afterEach(async () => {
    await h.close();
  });

  test('acceptances: oldest first, a replaced one moves to the end, per repository', async () => {
    const s = h.store;
    expect(await s.listAcceptances('octo/shop')).toEqual([]);
    await s.putAcceptance('octo/shop', acceptance('TD-aaaa1111'));
    await s.putAcceptance('octo/shop', acceptance('TD-bbbb2222'));
    await s.putAcceptance('octo/other', acceptance('TD-cccc3333'));
    await s.putAcceptance('octo/shop', acceptance('TD-aaaa1111', 'changed my mind'));
    expect(await s.listAcceptances('octo/shop')).toEqual([acceptance('TD-bbbb2222'), acceptance('TD-aaaa1111', 'changed my mind')]);
    expect(await s.listAcceptances('octo/other')).toEqual([acceptance('TD-cccc3333')]);
    expect(await s.removeAcceptance('octo/shop', 'TD-bbbb2222')).toBe(true);
    expect(await s.removeAcceptance('octo/shop', 'TD-bbbb2222')).toBe(false);
    expect(await s.removeAcceptance('octo/nowhere', 'TD-aaaa1111')).toBe(false);
    expect((await s.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-aaaa1111']);
  });

  test('commented findings: a set per PR, in the order first added', async () => {
    const s = h.store;
    expect(await s.listCommentedFindings(PR)).toEqual([]);
    await s.addCommentedFindings(PR, ['TD-2', 'TD-1']);
    await s.addCommentedFindings(PR, ['TD-1', 'TD-3']);
    await s.addCommentedFindings(PR, []);
    await s.addCommentedFindings(OTHER, ['TD-9']);
    expect(await s.listCommentedFindings(PR)).toEqual(['TD-2', 'TD-1', 'TD-3']);
    expect(await s.listCommentedFindings(OTHER)).toEqual(['TD-9']);
    expect(await s.listCommentedFindings({ repo: 'octo/other', pull: 7 })).toEqual([]);
  });

  test('sticky comment, latest head and pull findings are replaced, not appended', async () => {
    const s = h.store;
    expect(await s.getStickyComment(PR)).toBeUndefined();
    await s.setStickyComment(PR, { commentId: 5001, digest: 'd1' });
    await s.setStickyComment(PR, { commentId: 5002, digest: 'd2' });
    expect(await s.getStickyComment(PR)).toEqual({ commentId: 5002, digest: 'd2' });
    expect(await s.getStickyComment(OTHER)).toBeUndefined();

    expect(await s.getLatestHead(PR)).toBeUndefined();
    await s.setLatestHead(PR, 'a'.repeat(40));
    await s.setLatestHead(PR, 'b'.repeat(40));
    await s.setLatestHead(OTHER, 'c'.repeat(40));
    expect(await s.getLatestHead(PR)).toBe('b'.repeat(40));
    expect(await s.getLatestHead(OTHER)).toBe('c'.repeat(40));

    expect(await s.getPullFindings(PR)).toBeUndefined();
    await s.setPullFindings(PR, { head: 'a'.repeat(40), findings: [{ id: 'TD-1', title: 'old', severity: 'low' }] });
    const latest = { head: 'b'.repeat(40), findings: [{ id: 'TD-2', title: 'Public ingress to "payments"', severity: 'high' }], resolved: ['TD-0'] };
    await s.setPullFindings(PR, latest);
    expect(await s.getPullFindings(PR)).toEqual(latest);
    await s.setPullFindings(OTHER, { head: 'c'.repeat(40), findings: [] });
    expect(await s.getPullFindings(OTHER)).toEqual({ head: 'c'.repeat(40), findings: [] });
  });

  test('what a getter returns is a copy: changing it does not change the store', async () => {
    const s = h.store;
    await s.setPullFindings(PR, { head: 'h', findings: [{ id: 'TD-1', title: 't', severity: 'low' }] });
    (await s.getPullFindings(PR))!.findings.push({ id: 'TD-X', title: 'x', severity: 'x' });
    expect((await s.getPullFindings(PR))!.findings.map((f) => f.id)).toEqual(['TD-1']);
    await s.putAcceptance('octo/shop', acceptance('TD-1'));
    (await s.listAcceptances('octo/shop'))[0]!.reason = 'mutated';
    expect((await s.listAcceptances('octo/shop'))[0]!.reason).toBe('reason for TD-1');
  });

  test('stories by repository and fingerprint', async () => {
    const s = h.store;
    expect(await s.getStory('octo/shop', 'fp1')).toBeUndefined();
    await s.putStory('octo/shop', 'fp1', { issueNumber: 41, pull: 7 });
    await s.putStory('octo/shop', 'fp1', { issueNumber: 42, pull: 8 });
    await s.putStory('octo/other', 'fp1', { issueNumber: 1, pull: 1 });
    expect(await s.getStory('octo/shop', 'fp1')).toEqual({ issueNumber: 42, pull: 8 });
    expect(await s.getStory('octo/other', 'fp1')).toEqual({ issueNumber: 1, pull: 1 });
    expect(await s.getStory('octo/shop', 'fp2')).toBeUndefined();
  });

  test('a delivery id is claimed once', async () => {
    const s = h.store;
    expect(await s.claimDelivery('d-1')).toBe(true);
    expect(await s.claimDelivery('d-1')).toBe(false);
    expect(await s.claimDelivery('d-2')).toBe(true);
    expect(await s.claimDelivery('d-1')).toBe(false);
  });

  test('a released delivery can be claimed again (its work could not be queued)', async () => {
    const s = h.store;
    expect(await s.claimDelivery('d-9')).toBe(true);
    await s.releaseDelivery('d-9');
    expect(await s.claimDelivery('d-9')).toBe(true);
    expect(await s.claimDelivery('d-9')).toBe(false);
  });

  test('persistent backends keep everything across a reopen', async () => {
    if (!h.reopen) return; // the memory store is lost on restart by design
    const s = h.store;
    await s.putAcceptance('octo/shop', acceptance('TD-1'));
    await s.addCommentedFindings(PR, ['TD-1', 'TD-2']);
    await s.setStickyComment(PR, { commentId: 9_007_199_254, digest: 'dd' });
    await s.setLatestHead(PR, 'f'.repeat(40));
    await s.setPullFindings(PR, { head: 'f'.repeat(40), findings: [] });
    await s.putStory('octo/shop', 'fp', { issueNumber: 3, pull: 7 });
    await s.claimDelivery('d-9');
    const t = await h.reopen();
    expect(await t.listAcceptances('octo/shop')).toEqual([acceptance('TD-1')]);
    expect(await t.listCommentedFindings(PR)).toEqual(['TD-1', 'TD-2']);
    expect(await t.getStickyComment(PR)).toEqual({ commentId: 9_007_199_254, digest: 'dd' });
    expect(await t.getLatestHead(PR)).toBe('f'.repeat(40));
    expect(await t.getPullFindings(PR)).toEqual({ head: 'f'.repeat(40), findings: [] });
    expect(await t.getStory('octo/shop', 'fp')).toEqual({ issueNumber: 3, pull: 7 });
    expect(await t.claimDelivery('d-9')).toBe(false);
  });
}

export const fragmentEntry = (file: string, n = 1): CachedFragment => ({
  fragment: {
    file,
    format: 'k8s',
    elements: [{ id: `k8s:Deployment/shop/x${n}`, kind: 'service', type: 'k8s:Deployment', name: `x${n}`, location: { file, line: 2 }, attrs: { namespace: 'shop', pad: 'y'.repeat(1000) } }],
    edges: [],
    refs: [],
    issues: [],
  },
  deps: [{ path: 'common.yaml', sha: 'a'.repeat(40) }],
});

export interface OpenedCache {
  cache: StoreCache;
  /** Flushes, closes and opens the same data again. */
  reopen(): Promise<StoreCache>;
  close(): Promise<void>;
  /** Makes a stored fragment's bytes disagree with its checksum (outside the store's API). */
  damageFragment(key: string): Promise<void>;
  /** Advances the recency clock (backends that use wall time); a no-op for logical clocks. */
  tick(): void;
}

/** The engine cache an app store offers: round trips, batch lookups, never trusting a damaged row, a byte bound. */
export function cacheContract(open: (opts: { maxBytes?: number }) => Promise<OpenedCache>): void {
  let h: OpenedCache | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('fragments and graphs round-trip, also after a reopen; lookups count hits and misses', async () => {
    h = await open({});
    const c = h.cache;
    await c.set('k1', fragmentEntry('a.yaml'));
    await c.set('k2', { fragment: null, deps: [] });
    await c.setGraph('g1', new Uint8Array([1, 2, 3, 4]));
    expect(await c.get('k1')).toEqual(fragmentEntry('a.yaml'));
    await c.flush();
    const d = await h.reopen();
    expect(await d.get('k1')).toEqual(fragmentEntry('a.yaml'));
    const many = await d.getMany!(['k1', 'k2', 'k3']);
    expect([...many.keys()].sort()).toEqual(['k1', 'k2']);
    expect(many.get('k2')).toEqual({ fragment: null, deps: [] });
    expect([...(await d.getGraph('g1'))!]).toEqual([1, 2, 3, 4]);
    expect(await d.getGraph('g2')).toBeUndefined();
    expect(d.stats).toMatchObject({ fragmentHits: 3, fragmentMisses: 1, graphHits: 1, graphMisses: 1, corrupt: 0 });
  });

  test('a fragment whose bytes no longer match their checksum is dropped, never returned', async () => {
    h = await open({});
    await h.cache.set('k1', fragmentEntry('a.yaml'));
    await h.cache.flush();
    await h.damageFragment('k1');
    const d = await h.reopen();
    expect(await d.get('k1')).toBeUndefined();
    expect(d.stats.corrupt).toBe(1);
    await d.flush();
    expect(await d.get('k1')).toBeUndefined();
    expect(d.stats.corrupt).toBe(1); // deleted: the second read is a plain miss
  });

  test('size bound: least recently used fragments go first, down to 90% of the bound', async () => {
    const size = Buffer.byteLength(JSON.stringify(fragmentEntry('old0.yaml', 0)));
    h = await open({ maxBytes: size * 16 }); // 20 entries exceed it; eviction keeps 14.4 entries' worth
    const c = h.cache;
    for (let i = 0; i < 10; i++) await c.set(`old${i}`, fragmentEntry(`old${i}.yaml`, i));
    await c.flush();
    h.tick();
    for (let i = 0; i < 5; i++) await c.get(`old${i}`); // used again: now newer than old5..old9
    await c.flush();
    h.tick();
    for (let i = 0; i < 10; i++) await c.set(`new${i}`, fragmentEntry(`new${i}.yaml`, i));
    await c.flush();
    expect(c.stats.evicted).toBe(6);
    const present = (keys: string[]) => Promise.all(keys.map(async (k) => ((await c.get(k)) ? k : ''))).then((ks) => ks.filter(Boolean));
    expect(await present([...Array(10).keys()].map((i) => `new${i}`))).toHaveLength(10);
    expect(await present([5, 6, 7, 8, 9].map((i) => `old${i}`))).toEqual([]);
    expect(await present([0, 1, 2, 3, 4].map((i) => `old${i}`))).toHaveLength(4);
  });
}
