import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kubernetesParser } from '../../../src/ingest/k8s/index.js';
import { DEFAULT_LIMITS, type Element, type Fragment, type Limits, type Ref } from '../../../src/model/types.js';

export const K8S_FIXTURES = new URL('../../fixtures/k8s/', import.meta.url).pathname;

const noTree = { read: async () => undefined };

/** Parses a fixture file; `path` is relative to test/fixtures/k8s and is also the fragment's file. */
export async function parseFixture(path: string): Promise<Fragment> {
  return kubernetesParser.parse(path, readFileSync(join(K8S_FIXTURES, path), 'utf8'), { tree: noTree, limits: DEFAULT_LIMITS });
}

export async function parseText(path: string, content: string, limits: Limits = DEFAULT_LIMITS): Promise<Fragment> {
  return kubernetesParser.parse(path, content, { tree: noTree, limits });
}

/** Every manifest file under a fixture folder (recursively), relative to test/fixtures/k8s. */
export function fixtureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(K8S_FIXTURES, rel), { withFileTypes: true })) {
      const p = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export function el(fragment: Fragment, id: string): Element {
  const found = fragment.elements.find((e) => e.id === id);
  if (!found) throw new Error(`no element ${id} in ${fragment.file}: ${fragment.elements.map((e) => e.id).join(', ')}`);
  return found;
}

export function hostRefs(fragment: Fragment, from: string): Extract<Ref, { type: 'host' }>[] {
  return fragment.refs.filter((r): r is Extract<Ref, { type: 'host' }> => r.type === 'host' && r.from === from);
}

export function elementRefs(fragment: Fragment, from: string): Extract<Ref, { type: 'element' }>[] {
  return fragment.refs.filter((r): r is Extract<Ref, { type: 'element' }> => r.type === 'element' && r.from === from);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;
