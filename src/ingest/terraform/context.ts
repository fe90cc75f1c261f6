import type { Edge, EdgeTemplate, Element, ParseIssue, Ref } from '../../model/types.js';
import type { EvalState } from './evaluate.js';
import { isElementAddress, typeOfAddress, type TfBlock } from './ir.js';
import { kindOf } from './kinds.js';

/** One resource, data source or module declared in the file being parsed. */
export interface Decl {
  block: TfBlock;
  address: string;
  id: string;
  tfType: string;
  element: Element;
  values: Record<string, unknown>;
  st: EvalState;
}

export interface Use {
  address: string;
  path: string;
  line: number;
  text: string;
}

export const INTERNET = 'actor:internet';

/**
 * What semantic extractors see: the file's declarations and a way to emit
 * edges. An edge whose ends are all declared in this file (or the internet)
 * goes to `fragment.edges`; otherwise it becomes an `element` ref for the
 * linker, so the graph is the same whichever file a resource lives in.
 */
export class FileContext {
  readonly edges: Edge[] = [];
  readonly refs: Ref[] = [];
  readonly issues: ParseIssue[] = [];
  readonly decls = new Map<string, Decl>();
  private readonly localIds = new Set<string>([INTERNET]);
  private readonly seen = new Set<string>();
  private readonly prefix: string;

  constructor(
    readonly file: string,
    readonly dir: string,
  ) {
    this.prefix = dir ? `${dir}//` : '';
  }

  register(d: Decl): void {
    this.decls.set(d.address, d);
    this.localIds.add(d.id);
  }

  idOf(address: string): string {
    return `tf:${this.prefix}${address}`;
  }

  /** Element kind of an address from its type alone (works for addresses declared in other files). */
  kindOfAddress(address: string): string | undefined {
    if (address.startsWith('module.')) return 'other';
    const t = typeOfAddress(address);
    if (!t) return undefined;
    if (address.startsWith('data.')) return t === 'aws_iam_policy_document' ? 'capability' : 'other';
    return kindOf(t).kind;
  }

  /** Every element address `d` uses, with the first use per path, optionally filtered. */
  uses(d: Decl, filter?: (u: Use) => boolean): Use[] {
    const out: Use[] = [];
    for (const [address, list] of d.st.uses) {
      if (!isElementAddress(address) || address === d.address) continue;
      for (const u of list) {
        const use = { address, path: u.path, line: u.line, text: u.text };
        if (!filter || filter(use)) out.push(use);
      }
    }
    return out.sort((a, b) => a.line - b.line || a.path.localeCompare(b.path));
  }

  /** Element addresses used under attribute `name` (exactly, or its list items / nested paths). */
  usesAt(d: Decl, name: string, types?: readonly string[] | RegExp): Use[] {
    return this.uses(d, (u) => (u.path === name || u.path.startsWith(`${name}.`)) && typeMatches(u.address, types));
  }

  firstAt(d: Decl, name: string, types?: readonly string[] | RegExp): Use | undefined {
    return this.usesAt(d, name, types)[0];
  }

  /**
   * Emits `from → to`. Each end is an element id (`tf:...`, `actor:internet`)
   * or an address in this module; `to` may be declared elsewhere.
   */
  link(from: End, to: End, template: EdgeTemplate): void {
    const fromId = this.resolve(from);
    const toId = this.resolve(to);
    if (fromId === toId) return;
    const key = `${fromId}|${toId}|${template.kind}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const fromLocal = this.isLocal(from);
    const toLocal = this.isLocal(to);
    if (fromLocal && toLocal) {
      this.edges.push({ from: fromId, to: toId, ...template });
    } else if (toLocal) {
      // Ref candidates name the end that may live elsewhere; `reverse` keeps the direction.
      this.refs.push({ type: 'element', from: toId, candidates: [fromId], reverse: true, edge: template });
    } else {
      this.refs.push({ type: 'element', from: fromId, candidates: [toId], edge: template });
    }
  }

  private resolve(end: End): string {
    if ('id' in end) return end.id;
    return this.idOf(end.address);
  }

  private isLocal(end: End): boolean {
    if ('id' in end) return this.localIds.has(end.id);
    return this.decls.has(end.address);
  }

  location(line: number): { file: string; line: number } {
    return { file: this.file, line };
  }
}

export type End = { id: string } | { address: string };

function typeMatches(address: string, types?: readonly string[] | RegExp): boolean {
  if (!types) return true;
  const t = address.startsWith('module.') ? 'module' : typeOfAddress(address) ?? '';
  return Array.isArray(types) ? types.includes(t) : (types as RegExp).test(t);
}

/** Last non-index segment of a values path (`network_configuration.0.security_groups.1` → `security_groups`). */
export function attrName(path: string): string {
  const segs = path.split('.');
  for (let i = segs.length - 1; i >= 0; i--) if (!/^\d+$/.test(segs[i]!)) return segs[i]!;
  return path;
}
