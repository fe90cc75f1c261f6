import type { CacheStats, FragmentCache, GraphCache } from '../cache/types.js';
import type { Acceptance, PullFindings, StickyComment, Story } from './types.js';

/**
 * What the SQL stores share: row decoding (nothing read back is trusted: a
 * row of the wrong shape reads as absent, never as a crash downstream),
 * limits, and the errors the factory tells apart.
 */

/** Delivery ids are forgotten after a day (GitHub redelivers within hours). */
export const DELIVERY_TTL_MS = 24 * 60 * 60 * 1000;
/** Longest text accepted into a row (ids, reasons, digests); longer input is cut, not stored whole. */
export const MAX_TEXT = 4096;

/** The engine cache an app store offers: fragments by blob, analyses by tree, shared by every analysis (and, with PostgreSQL, every instance). */
export interface StoreCache extends FragmentCache, GraphCache {
  readonly stats: CacheStats;
  /** Writes buffered entries and applies the size bound. */
  flush(): Promise<void>;
}

/** The store was written by a newer threatdiff whose layout this one cannot use: refuse rather than damage it. */
export class StoreSchemaError extends Error {}
/** The backend's driver or server cannot be used at all. */
export class StoreUnavailableError extends Error {}

/** One step of a schema: applied in order, each in a transaction, recorded as the new version. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
  /**
   * PostgreSQL only: code that knows only the versions before this one can no
   * longer use the database after it (a column renamed or dropped). Additive
   * steps leave this unset, so older instances keep running during a rolling
   * upgrade.
   */
  breaking?: boolean;
}

const isStr = (v: unknown): v is string => typeof v === 'string';

export function clip(text: string): string {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
}

function parse(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

export function encodeAcceptance(a: Acceptance): string {
  return JSON.stringify({ id: clip(a.id), reason: clip(a.reason), by: clip(a.by), at: clip(a.at) });
}

export function decodeAcceptance(json: unknown): Acceptance | undefined {
  const v = parse(json) as Partial<Acceptance> | undefined;
  if (typeof v !== 'object' || v === null || !isStr(v.id) || !isStr(v.reason) || !isStr(v.by) || !isStr(v.at)) return undefined;
  return { id: v.id, reason: v.reason, by: v.by, at: v.at };
}

/** Stored whole (plain JSON), so fields added to PullFindings later round-trip without a migration. */
export function encodePullFindings(f: PullFindings): string {
  return JSON.stringify(f);
}

export function decodePullFindings(json: unknown): PullFindings | undefined {
  const v = parse(json) as Partial<PullFindings> | undefined;
  if (typeof v !== 'object' || v === null || !isStr(v.head) || !Array.isArray(v.findings)) return undefined;
  if (!v.findings.every((x: unknown) => typeof x === 'object' && x !== null && isStr((x as { id: unknown }).id) && isStr((x as { title: unknown }).title) && isStr((x as { severity: unknown }).severity))) return undefined;
  if (v.resolved !== undefined && !(Array.isArray(v.resolved) && v.resolved.every(isStr))) return undefined;
  return v as PullFindings;
}

/** Integers come back from drivers as numbers or strings (PostgreSQL BIGINT): anything else is not trusted. */
function toInt(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

export function decodeSticky(row: { comment_id: unknown; digest: unknown } | undefined): StickyComment | undefined {
  const commentId = toInt(row?.comment_id);
  return commentId !== undefined && isStr(row?.digest) ? { commentId, digest: row.digest } : undefined;
}

export function decodeStory(row: { issue_number: unknown; pull: unknown } | undefined): Story | undefined {
  const issueNumber = toInt(row?.issue_number);
  const pull = toInt(row?.pull);
  return issueNumber !== undefined && pull !== undefined ? { issueNumber, pull } : undefined;
}
