import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type Fragment, type Limits, type ParseContext, type TreeReader } from '../../../src/model/types.js';
import { openapiParser } from '../../../src/ingest/openapi/index.js';

export const FIXTURES = join(process.cwd(), 'test/fixtures/openapi');

/** A tree backed by an in-memory map (repository-relative path → text); records every read. */
export function memoryTree(files: Record<string, string>): TreeReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(path: string) {
      reads.push(path);
      return Object.prototype.hasOwnProperty.call(files, path) ? files[path] : undefined;
    },
  };
}

/** Loads fixture files (relative to test/fixtures/openapi) into memory, keyed by the repo path they pretend to have. */
export async function fixtureTree(prefix: string, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) out[`${prefix}${name}`] = await readFile(join(FIXTURES, name), 'utf8');
  return out;
}

export function ctxFor(tree: TreeReader, limits: Partial<Limits> = {}): ParseContext {
  return { tree, limits: { ...DEFAULT_LIMITS, ...limits } };
}

export async function parseFixture(name: string, repoPath = name, tree: TreeReader = memoryTree({})): Promise<Fragment> {
  const content = await readFile(join(FIXTURES, name), 'utf8');
  return openapiParser.parse(repoPath, content, ctxFor(tree));
}

export function byId(fragment: Fragment, id: string) {
  const el = fragment.elements.find((e) => e.id === id);
  if (!el) throw new Error(`no element ${id}; have ${fragment.elements.map((e) => e.id).join(', ')}`);
  return el;
}
