import { createHash } from 'node:crypto';
import type { Crossing, Graph, Rule, Threat } from '../model/graph.js';
import type { Fragment, Limits, ParseIssue } from '../model/types.js';
import type { Report } from '../model/report.js';
import { CONFIG_PATH, DEFAULT_CONFIG, parseConfig, type AcceptedRisk, type Config } from '../config/config.js';
import { applyChanges, createState, fragmentsOf, GRAPH_STATE_VERSION, type ApplyStats, type GraphState } from '../graph/incremental.js';
import { deriveGraph, graphOf } from '../graph/assemble.js';
import { ALL_RULES } from '../../rules/index.js';
import { buildReport } from '../report/build.js';
import { VERSION } from '../version.js';
import type { FileDep, FragmentCache, GraphCache } from '../cache/types.js';
import { candidateEntries, depsValid, ENGINE_FINGERPRINT, ingestEntries, ingestSnapshot, lazyShas, sortedByPath, treeReadable, type IngestStats } from './ingest.js';
import { decodeAnalysis, encodeAnalysis } from './analysis-codec.js';
import type { FileEntry, Snapshot } from './snapshot.js';
import { deriveFindings, fullFindings, type FindingsContext, type FindingsStats } from './findings.js';

export interface Timings {
  /** Listing the tree and computing the analysis key. */
  list: number;
  /** Reading blobs and parsing (or fetching fragments from the cache). */
  ingest: number;
  /** Merging fragments and linking (whole graph or changed neighbourhood). */
  build: number;
  /** Crossings, reachability, attack paths and rules (derived: only the affected part, see findings.ts). */
  rules: number;
  /** Reading and decoding a cached graph. */
  load: number;
  /** Encoding and writing the graph to the cache. */
  store: number;
}

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
  timings: Timings;
  /** How the graph was obtained: built from fragments, read from the graph cache, or derived from a base analysis. */
  source: 'built' | 'cache' | 'derived';
  /** The linked state the graph came from; a head is derived from it incrementally. */
  state: GraphState;
  /** Files whose parse read other files (`$ref`), with the blobs read. */
  deps: Map<string, FileDep[]>;
  /** Problems reported by attack-path analysis and rules (a rule that threw). */
  ruleIssues: ParseIssue[];
  /** Graph-cache key: engine, rules, config and the tree's candidate files. */
  key: string;
  /** Set for derived analyses. */
  incremental?: ApplyStats & { baseCommit: string; findings?: FindingsStats };
  /**
   * Reachability and attack-path searches behind the findings, which a head
   * derived from this analysis reuses. In memory only: an analysis read from
   * the graph cache recomputes it on first derivation.
   */
  findingsContext?: FindingsContext;
}

export interface AnalyseOptions {
  config: Config;
  /** Fragment cache; when it is also a GraphCache, whole analyses are stored and reused by tree. */
  cache?: FragmentCache & Partial<GraphCache>;
  rules?: readonly Rule[];
  limits?: Limits;
  onProgress?: (done: number, total: number) => void;
  /** Worker threads for cold parsing (default: one per spare core on hosts with 3+ cores; 0 disables). */
  workers?: number;
  /** Store derived (incremental) analyses in the graph cache too. Default false: only built ones. */
  storeDerived?: boolean;
  /** Tests only: see `FindingsOptions.dropFromRecheck`. */
  dropFromRecheck?: (elementId: string, ruleId: string, seeds: ReadonlySet<string>) => boolean;
  /**
   * Derive the head incrementally only when at most this share of files
   * changed; past it a full build is as cheap. Default 0.3.
   */
  maxIncrementalShare?: number;
}

/** What determines a graph and its findings besides the files: engine, rules, config. */
function analysisKey(listing: readonly FileEntry[], options: AnalyseOptions): string {
  const rules = options.rules ?? ALL_RULES;
  const c = options.config;
  const h = createHash('sha256');
  h.update(JSON.stringify(['threatdiff-analysis', ENGINE_FINGERPRINT, GRAPH_STATE_VERSION, VERSION, rules.map((r) => r.meta.id), c.include, c.exclude, c.zones, c.apis, c.rules, c.sensitivity, options.limits ?? null]));
  // One update with every line: per-line updates cost more than the hashing at 35,000 files.
  const lines = sortedByPath(listing.filter((e) => treeReadable(e.path))).map((e) => `\n${e.path}\u0000${e.sha}`);
  h.update(lines.join(''));
  return h.digest('hex');
}

const now = () => performance.now();
const zeroTimings = (): Timings => ({ list: 0, ingest: 0, build: 0, rules: 0, load: 0, store: 0 });

/** The first stage of an analysis: the tree's listing, its analysis key and candidate files, timed. */
async function listSnapshot(snapshot: Snapshot, options: AnalyseOptions): Promise<{ listing: FileEntry[]; key: string; entries: FileEntry[]; timings: Timings }> {
  const timings = zeroTimings();
  const t = now();
  const listing = await snapshot.list();
  const key = analysisKey(listing, options);
  const entries = candidateEntries(listing, options.config);
  timings.list = now() - t;
  return { listing, key, entries, timings };
}

/**
 * Reads, links and analyses one snapshot. With a graph cache, a tree analysed
 * before (same candidate files, config and engine) is read back instead.
 */
export async function analyseSnapshot(snapshot: Snapshot, options: AnalyseOptions): Promise<Analysis> {
  const { key, entries, timings } = await listSnapshot(snapshot, options);
  let t: number;

  if (options.cache?.getGraph) {
    t = now();
    const data = await options.cache.getGraph(key);
    const stored = data ? decodeAnalysis(data, key) : undefined;
    timings.load = now() - t;
    if (stored) {
      const fragments = fragmentsOf(stored.state);
      return {
        ref: snapshot.ref,
        commit: snapshot.commit,
        fragments,
        entries,
        graph: stored.graph,
        crossings: stored.crossings,
        threats: stored.threats,
        issues: [...stored.graph.issues, ...stored.ruleIssues],
        stats: { candidates: entries.length, parsed: 0, cached: 0, ignored: entries.length - fragments.length, reused: fragments.length },
        timings,
        source: 'cache',
        state: stored.state,
        deps: stored.deps,
        ruleIssues: stored.ruleIssues,
        key,
      };
    }
  }

  t = now();
  const { fragments, stats, deps } = await ingestSnapshot(snapshot, options);
  timings.ingest = now() - t;
  t = now();
  const state = createState(fragments, options.config);
  const graph = graphOf(state);
  timings.build = now() - t;
  t = now();
  const { crossings, threats, ruleIssues, context } = fullFindings(graph, options);
  timings.rules = now() - t;
  const analysis: Analysis = {
    ref: snapshot.ref,
    commit: snapshot.commit,
    fragments,
    entries,
    graph,
    crossings,
    threats,
    issues: [...graph.issues, ...ruleIssues],
    stats,
    timings,
    source: 'built',
    state,
    deps,
    ruleIssues,
    key,
    findingsContext: context,
  };
  await storeAnalysis(analysis, options);
  return analysis;
}

async function storeAnalysis(analysis: Analysis, options: AnalyseOptions): Promise<void> {
  if (!options.cache?.setGraph) return;
  const t = now();
  await options.cache.setGraph(analysis.key, encodeAnalysis(analysis));
  analysis.timings.store = now() - t;
}

/**
 * The head of a change, derived from the base's analysis: only files whose
 * blob changed (or whose `$ref` targets changed) are read and parsed, and
 * only the refs those changes can affect are re-linked. Falls back to a full
 * analysis when most files changed or the configuration differs.
 */
export async function deriveAnalysis(base: Analysis, head: Snapshot, options: AnalyseOptions): Promise<Analysis> {
  const { listing, key, entries, timings } = await listSnapshot(head, options);
  const sameConfig = JSON.stringify(base.state.config) === JSON.stringify({ zones: options.config.zones, apis: options.config.apis });
  if (key === base.key) {
    return { ...base, ref: head.ref, commit: head.commit, entries, timings, source: 'derived', stats: { ...base.stats, parsed: 0, cached: 0, reused: base.fragments.length }, incremental: { filesChanged: 0, filesRecomputed: 0, refsRelinked: 0, refsTotal: 0, baseCommit: base.commit } };
  }

  const shas = lazyShas(listing);
  // Both lists are sorted by path: one walk finds changed, added and removed files.
  const reparse: FileEntry[] = [];
  const removed: string[] = [];
  const was = base.entries;
  let k = 0;
  for (const e of entries) {
    while (k < was.length && was[k]!.path < e.path) removed.push(was[k++]!.path);
    const prior = k < was.length && was[k]!.path === e.path ? was[k++] : undefined;
    if (prior?.sha !== e.sha) reparse.push(e);
    else if (base.deps.has(e.path) && !depsValid(base.deps.get(e.path)!, shas)) reparse.push(e); // a `$ref` target changed
  }
  while (k < was.length) removed.push(was[k++]!.path);
  const share = (reparse.length + removed.length) / Math.max(1, entries.length);
  if (!sameConfig || share > (options.maxIncrementalShare ?? 0.3)) {
    const full = await analyseSnapshot(head, options);
    full.timings.list += timings.list;
    return full;
  }

  let t = now();
  const stats: IngestStats = { candidates: entries.length, parsed: 0, cached: 0, ignored: 0 };
  const results = await ingestEntries(reparse, head, shas, options, stats);
  timings.ingest = now() - t;
  t = now();
  const upserts: Fragment[] = [];
  const removals = [...removed];
  const deps = new Map(base.deps);
  for (const path of removed) deps.delete(path);
  for (const r of results) {
    if (r.fragment) upserts.push(r.fragment);
    else removals.push(r.path);
    if (r.deps.length > 0) deps.set(r.path, r.deps);
    else deps.delete(r.path);
  }
  const applied = applyChanges(base.state, upserts, removals);
  const graph = deriveGraph(base.graph, base.state, applied.state, applied.changed);
  timings.build = now() - t;
  t = now();
  const { crossings, threats, ruleIssues, context, stats: findingsStats } = deriveFindings(base, { graph, state: applied.state }, options);
  timings.rules = now() - t;
  const fileCount = applied.state.order.length;
  stats.ignored = entries.length - fileCount;
  stats.reused = fileCount - upserts.length;
  let fragments: Fragment[] | undefined;
  const analysis: Analysis = {
    ref: head.ref,
    commit: head.commit,
    // Listed on demand: a walk over every file's state, which reports only count.
    get fragments() {
      return (fragments ??= fragmentsOf(applied.state));
    },
    entries,
    graph,
    crossings,
    threats,
    issues: [...graph.issues, ...ruleIssues],
    stats,
    timings,
    source: 'derived',
    state: applied.state,
    deps,
    ruleIssues,
    key,
    incremental: { ...applied.stats, baseCommit: base.commit, ...(findingsStats ? { findings: findingsStats } : {}) },
    findingsContext: context,
  };
  if (options.storeDerived) await storeAnalysis(analysis, options);
  return analysis;
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

/**
 * The whole `diff`: analyse the base (or read it from the graph cache), derive
 * the head from it incrementally, and compare.
 */
export async function diffSnapshots(base: Snapshot, head: Snapshot, options: DiffOptions): Promise<{ report: Report; base: Analysis; head: Analysis }> {
  const baseAnalysis = await analyseSnapshot(base, options);
  const headAnalysis = await deriveAnalysis(baseAnalysis, head, options);
  const report = buildReport(baseAnalysis, headAnalysis, { ...options.config, accepted: [...options.config.accepted, ...(options.accepted ?? [])] });
  return { report, base: baseAnalysis, head: headAnalysis };
}

/** The whole `scan`: one snapshot, every finding reported as new. */
export async function scanSnapshot(head: Snapshot, options: DiffOptions): Promise<{ report: Report; head: Analysis }> {
  const headAnalysis = await analyseSnapshot(head, options);
  const report = buildReport(null, headAnalysis, { ...options.config, accepted: [...options.config.accepted, ...(options.accepted ?? [])] });
  return { report, head: headAnalysis };
}
