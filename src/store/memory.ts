import type { Acceptance, PullFindings, PullKey, StickyComment, Store, Story } from './types.js';

/** Delivery ids remembered; older ones are forgotten first (GitHub redelivers within hours, not after 10,000 events). */
const MAX_DELIVERIES = 10_000;

function pullKey(pr: PullKey): string {
  return `${pr.repo}#${pr.pull}`;
}

/** The Store in process memory: for one instance and for tests. Lost on restart. */
export class MemoryStore implements Store {
  private readonly acceptances = new Map<string, Acceptance[]>();
  private readonly commented = new Map<string, Set<string>>();
  private readonly sticky = new Map<string, StickyComment>();
  private readonly heads = new Map<string, string>();
  private readonly stories = new Map<string, Story>();
  private readonly findings = new Map<string, PullFindings>();
  private readonly deliveries = new Set<string>();

  async listAcceptances(repo: string): Promise<Acceptance[]> {
    return (this.acceptances.get(repo) ?? []).map((a) => ({ ...a }));
  }

  async putAcceptance(repo: string, acceptance: Acceptance): Promise<void> {
    const list = (this.acceptances.get(repo) ?? []).filter((a) => a.id !== acceptance.id);
    this.acceptances.set(repo, [...list, { ...acceptance }]);
  }

  async removeAcceptance(repo: string, id: string): Promise<boolean> {
    const list = this.acceptances.get(repo) ?? [];
    const kept = list.filter((a) => a.id !== id);
    this.acceptances.set(repo, kept);
    return kept.length !== list.length;
  }

  async listCommentedFindings(pr: PullKey): Promise<string[]> {
    return [...(this.commented.get(pullKey(pr)) ?? [])];
  }

  async addCommentedFindings(pr: PullKey, ids: readonly string[]): Promise<void> {
    const key = pullKey(pr);
    const set = this.commented.get(key) ?? new Set<string>();
    for (const id of ids) set.add(id);
    this.commented.set(key, set);
  }

  async getStickyComment(pr: PullKey): Promise<StickyComment | undefined> {
    const s = this.sticky.get(pullKey(pr));
    return s && { ...s };
  }

  async setStickyComment(pr: PullKey, sticky: StickyComment): Promise<void> {
    this.sticky.set(pullKey(pr), { ...sticky });
  }

  async getLatestHead(pr: PullKey): Promise<string | undefined> {
    return this.heads.get(pullKey(pr));
  }

  async setLatestHead(pr: PullKey, sha: string): Promise<void> {
    this.heads.set(pullKey(pr), sha);
  }

  async getPullFindings(pr: PullKey): Promise<PullFindings | undefined> {
    const f = this.findings.get(pullKey(pr));
    return f && structuredClone(f);
  }

  async setPullFindings(pr: PullKey, findings: PullFindings): Promise<void> {
    this.findings.set(pullKey(pr), structuredClone(findings));
  }

  async getStory(repo: string, fingerprint: string): Promise<Story | undefined> {
    const s = this.stories.get(`${repo}\u0000${fingerprint}`);
    return s && { ...s };
  }

  async putStory(repo: string, fingerprint: string, story: Story): Promise<void> {
    this.stories.set(`${repo}\u0000${fingerprint}`, { ...story });
  }

  async claimDelivery(id: string): Promise<boolean> {
    if (this.deliveries.has(id)) return false;
    this.deliveries.add(id);
    if (this.deliveries.size > MAX_DELIVERIES) this.deliveries.delete(this.deliveries.values().next().value as string);
    return true;
  }

  async releaseDelivery(id: string): Promise<void> {
    this.deliveries.delete(id);
  }
}
