import type { Graph, Threat } from '../model/graph.js';
import type { Coverage, Report } from '../model/report.js';
import type { FindingStatus, ParseIssue, Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import type { Config } from '../config/config.js';
import type { Analysis } from '../engine/analyze.js';
import { diffCrossings, diffThreats } from '../graph/diff.js';
import { applyAcceptances } from '../analysis/accept.js';
import { isWorkload } from '../graph/link.js';
import { matchesLabelSelector, type LabelSelector } from '../graph/selectors.js';
import { VERSION } from '../version.js';

/** Assembles the JSON report (schema version 1) from a base (null for `scan`) and a head analysis. */
export function buildReport(base: Analysis | null, head: Analysis, config: Pick<Config, 'accepted'>): Report {
  const threats = markOpenedLinks(applyAcceptances(diffThreats(base?.threats ?? null, head.threats), config.accepted), base?.graph ?? null);
  const crossings = diffCrossings(base?.crossings ?? null, head.crossings);
  const errors = base ? newIssues(base.issues, head.issues) : head.issues;
  const changed = base ? changedFiles(base, head) : head.entries.length;
  const count = <T extends { status: FindingStatus }>(items: T[]): Record<FindingStatus, number> => ({
    new: items.filter((i) => i.status === 'new').length,
    resolved: items.filter((i) => i.status === 'resolved').length,
    unchanged: items.filter((i) => i.status === 'unchanged').length,
  });
  const gating = threats.filter((t) => t.status === 'new' && !t.accepted);
  const newBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, gating.filter((t) => t.severity === s).length])) as Record<Severity, number>;
  return {
    schemaVersion: 1,
    tool: { name: 'threatdiff', version: VERSION },
    base: base ? { ref: base.ref, commit: base.commit } : null,
    head: { ref: head.ref, commit: head.commit },
    summary: {
      crossings: count(crossings),
      threats: count(threats),
      newBySeverity,
      highestNew: SEVERITIES.find((s) => newBySeverity[s] > 0) ?? null,
      files: {
        analysed: head.fragments.length,
        changed,
        parsed: head.stats.parsed + (base?.stats.parsed ?? 0),
        cached: head.stats.cached + (base?.stats.cached ?? 0),
        skipped: head.issues.filter((i) => i.level === 'skipped').length,
        errors: errors.filter((i) => i.level === 'error').length,
      },
      elements: head.graph.elements.size,
      edges: head.graph.edges.length,
    },
    crossings: sortByStatus(crossings),
    threats: sortByStatus(threats),
    errors,
    coverage: coverage(head.graph),
  };
}

/** In a diff, the links of a new attack path that do not exist at the base are what the change opened. */
function markOpenedLinks(threats: Threat[], base: Graph | null): Threat[] {
  if (!base) return threats;
  const before = new Set(base.edges.map((e) => `${e.kind}\u0000${e.from}\u0000${e.to}`));
  return threats.map((t) =>
    t.chain && t.status === 'new' ? { ...t, chain: t.chain.map((l) => (before.has(`${l.kind}\u0000${l.from}\u0000${l.to}`) ? l : { ...l, opened: true })) } : t,
  );
}

const STATUS_ORDER: FindingStatus[] = ['new', 'resolved', 'unchanged'];
function sortByStatus<T extends { status: FindingStatus }>(items: T[]): T[] {
  return items.map((item, i) => ({ item, i })).sort((a, b) => STATUS_ORDER.indexOf(a.item.status) - STATUS_ORDER.indexOf(b.item.status) || a.i - b.i).map((x) => x.item);
}

function issueKey(i: ParseIssue): string {
  return `${i.file}\u0000${i.code}\u0000${i.message}`;
}

/** In a diff, only problems the head introduces: a broken file nobody touched is not this PR's news. */
function newIssues(base: readonly ParseIssue[], head: readonly ParseIssue[]): ParseIssue[] {
  const before = new Set(base.map(issueKey));
  return head.filter((i) => !before.has(issueKey(i)));
}

function changedFiles(base: Analysis, head: Analysis): number {
  const before = new Map(base.entries.map((e) => [e.path, e.sha]));
  const after = new Map(head.entries.map((e) => [e.path, e.sha]));
  let n = 0;
  for (const [path, sha] of after) if (before.get(path) !== sha) n++;
  for (const path of before.keys()) if (!after.has(path)) n++;
  return n;
}

/** What the verdict speaks for: how much of the architecture the files describe. */
export function coverage(graph: Graph): Coverage {
  const workloads = [...graph.elements.values()].filter(isWorkload);
  const policies = [...graph.elements.values()].filter((e) => e.type === 'k8s:NetworkPolicy');
  const servesApi = (id: string): boolean => {
    const direct = (graph.out.get(id) ?? []).some((e) => e.kind === 'serves');
    // An API attached to the Service in front of a workload counts for the workload.
    const viaService = (graph.in.get(id) ?? []).some((e) => e.kind === 'selects' && (graph.out.get(e.from) ?? []).some((x) => x.kind === 'serves'));
    return direct || viaService;
  };
  const covered = (id: string): boolean => {
    const w = graph.elements.get(id)!;
    const ns = String(w.attrs.namespace ?? 'default');
    const labels = (w.attrs.podLabels as Record<string, string>) ?? {};
    return policies.some((p) => String(p.attrs.namespace ?? 'default') === ns && matchesLabelSelector(labels, (p.attrs.podSelector as LabelSelector | undefined) ?? { matchLabels: {}, matchExpressions: [] }));
  };
  return {
    services: [...graph.elements.values()].filter((e) => e.kind === 'service' && e.type !== 'k8s:Service').length,
    operations: [...graph.elements.values()].filter((e) => e.kind === 'operation').length,
    dataStores: [...graph.elements.values()].filter((e) => e.kind === 'datastore').length,
    servicesWithoutApi: workloads.filter((w) => !servesApi(w.id)).map((w) => w.id).sort(),
    servicesWithoutNetworkPolicy: workloads.filter((w) => !covered(w.id)).map((w) => w.id).sort(),
  };
}

export type { Threat };
