import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
import type { Limits, ParseIssue } from '../model/types.js';

/** One YAML (or JSON) document with its plain value and a way back to source lines. */
export interface SourceDocument {
  value: unknown;
  /** 1-based line where the document starts. */
  line: number;
  /** 1-based line of the node at `path` (keys and indexes), or of the nearest existing ancestor. */
  lineOf(path: readonly (string | number)[]): number;
}

export interface ParsedYaml {
  documents: SourceDocument[];
  issues: ParseIssue[];
}

/**
 * Parses multi-document YAML (JSON is YAML) with positions, bounded alias
 * expansion and no custom tags. Never throws: syntax errors become issues
 * with a line, and the documents that did parse are still returned.
 */
export function parseYaml(file: string, content: string, limits: Limits): ParsedYaml {
  const lineCounter = new LineCounter();
  const issues: ParseIssue[] = [];
  const documents: SourceDocument[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(content, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: false }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  } catch (err) {
    issues.push({ file, level: 'error', code: 'yaml-syntax', message: `YAML could not be read: ${(err as Error).message}` });
    return { documents, issues };
  }
  const lineAt = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      issues.push({ file, line: lineAt(first.pos?.[0]), level: 'error', code: 'yaml-syntax', message: `YAML syntax error: ${firstLine(first.message)}` });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxYamlAliases });
    } catch (err) {
      issues.push({ file, line: lineAt(doc.contents?.range?.[0]), level: 'error', code: 'yaml-aliases', message: `YAML document rejected: ${firstLine((err as Error).message)}` });
      continue;
    }
    if (value === null || value === undefined) continue;
    const start = lineAt(doc.contents?.range?.[0]);
    documents.push({
      value,
      line: start,
      lineOf(path) {
        let node: unknown = doc.contents;
        let best = start;
        for (const key of path) {
          const next = childOf(node, key);
          if (next === undefined) break;
          node = next.node;
          best = lineAt(next.keyOffset ?? (node as YamlNode | undefined)?.range?.[0]);
        }
        return best;
      },
    });
  }
  return { documents, issues };
}

function childOf(node: unknown, key: string | number): { node: unknown; keyOffset?: number } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(k) === String(key)) {
        const keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        return { node: pair.value, keyOffset };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof key === 'number') {
    const item = node.items[key];
    return item === undefined ? undefined : { node: item };
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
