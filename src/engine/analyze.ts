import type { Crossing, Graph, Rule, Threat } from '../model/graph.js';
import type { Fragment, Limits, ParseIssue } from '../model/types.js';
import type { Report } from '../model/report.js';
import { CONFIG_PATH, DEFAULT_CONFIG, parseConfig, type AcceptedRisk, type Config } from '../config/config.js';
import { buildGraph } from '../graph/build.js';
import { ruleContext, runRules } from '../analysis/rules.js';
import { ALL_RULES } from '../../rules/index.js';
import { buildReport } from '../report/build.js';
import { ingestSnapshot, type FragmentCache, type IngestStats } from './ingest.js';
import type { FileEntry, Snapshot } from './snapshot.js';

export interface Analysis {
  ref: string;
  commit: string;
  fragments: Fragment[];
  /** Candidate model files (path, blob SHA) after include/exclude. */
  entries: FileEntry[];
  graph: Graph;
  crossings: Crossing[];
  threats: Threat[];
  issues: ParseIssue[];
  stats: IngestStats;
  /** Milliseconds per stage, for --verbose and benchmarks. */
  timings: { ingest: number; build: number; rules: number };
}

export interface AnalyseOptions {
  config: Config;
  cache?: FragmentCache;
  rules?: readonly Rule[];
  limits?: Limits;
  onProgress?: (done: number, total: number) => void;
}

/** Reads, links and analyses one snapshot. */
export async function analyseSnapshot(snapshot: Snapshot, options: AnalyseOptions): Promise<Analysis> {
  const t0 = performance.now();
  const { fragments, stats, entries } = await ingestSnapshot(snapshot, options);
  const t1 = performance.now();
  const graph = buildGraph(fragments, options.config);
  const t2 = performance.now();
  const ctx = ruleContext(graph, options.config);
  const { threats, issues: ruleIssues } = runRules(ctx, options.rules ?? ALL_RULES, options.config);
  const t3 = performance.now();
  return {
    ref: snapshot.ref,
    commit: snapshot.commit,
    fragments,
    entries,
    graph,
    crossings: ctx.crossings,
    threats,
    issues: [...graph.issues, ...ctx.pathIssues, ...ruleIssues],
    stats,
    timings: { ingest: t1 - t0, build: t2 - t1, rules: t3 - t2 },
  };
}

/**
 * Loads `.github/threatdiff.yml` from a snapshot (the base, for a PR, so a
 * change cannot weaken its own gate). Missing file: defaults. Invalid file:
 * ConfigError, which callers show to the user.
 */
export async function loadConfig(snapshot: Snapshot): Promise<Config> {
  const text = await snapshot.readPath(CONFIG_PATH);
  return text === undefined ? DEFAULT_CONFIG : parseConfig(text);
}

export interface DiffOptions extends AnalyseOptions {
  /** Acceptances from the store (slash commands), on top of the config's. */
  accepted?: readonly AcceptedRisk[];
}

/** The whole `diff`: analyse base and head with the same config and compare. */
export async function diffSnapshots(base: Snapshot, head: Snapshot, options: DiffOptions): Promise<{ report: Report; base: Analysis; head: Analysis }> {
  const baseAnalysis = await analyseSnapshot(base, options);
  const headAnalysis = await analyseSnapshot(head, options);
  const report = buildReport(baseAnalysis, headAnalysis, { ...options.config, accepted: [...options.config.accepted, ...(options.accepted ?? [])] });
  return { report, base: baseAnalysis, head: headAnalysis };
}

/** The whole `scan`: one snapshot, every finding reported as new. */
export async function scanSnapshot(head: Snapshot, options: DiffOptions): Promise<{ report: Report; head: Analysis }> {
  const headAnalysis = await analyseSnapshot(head, options);
  const report = buildReport(null, headAnalysis, { ...options.config, accepted: [...options.config.accepted, ...(options.accepted ?? [])] });
  return { report, head: headAnalysis };
}
