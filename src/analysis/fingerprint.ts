import { createHash } from 'node:crypto';

/** Short, stable id from a logical key. Line numbers and file names never enter a key. */
export function fingerprint(prefix: 'TD' | 'XB', key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export function threatKey(ruleId: string, element: string, peer?: string, qualifier?: string): string {
  return [ruleId, element, peer ?? '', qualifier ?? ''].join('@').replace(/@+$/, '');
}
