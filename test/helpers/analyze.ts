import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyseSnapshot, diffSnapshots } from '../../src/engine/analyze.js';
import { memorySnapshot } from '../../src/engine/memory.js';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import type { Rule } from '../../src/model/graph.js';

/** Runs the real pipeline (ingest → graph → rules) over in-memory files. */
export async function analyzeFiles(files: Record<string, string>, options: { config?: Partial<Config>; rules?: readonly Rule[] } = {}) {
  return analyseSnapshot(memorySnapshot(files, 'test'), { config: { ...DEFAULT_CONFIG, ...options.config }, ...(options.rules ? { rules: options.rules } : {}) });
}

/** Runs the real diff over two in-memory trees. */
export async function diffFiles(base: Record<string, string>, head: Record<string, string>, options: { config?: Partial<Config> } = {}) {
  return diffSnapshots(memorySnapshot(base, 'base'), memorySnapshot(head, 'head'), { config: { ...DEFAULT_CONFIG, ...options.config } });
}

/** Reads a fixture folder into a path → content map (paths relative to the folder). */
export function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/^(expect\.json|NOTICE|LICENSE.*|README\.md)$/.test(name)) files[relative(dir, p).split('\\').join('/')] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return files;
}

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
