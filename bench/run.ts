import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { analyseSnapshot, deriveAnalysis, type Analysis } from '../src/engine/analyze.js';
import { gitSnapshot } from '../src/engine/git.js';
import { parseContent } from '../src/engine/ingest.js';
import { sqliteCache } from '../src/cache/sqlite.js';
import { DEFAULT_LIMITS } from '../src/model/types.js';
import { loadHclParser } from '../src/ingest/terraform/hcl.js';
import { commitRepo, generateRepo, pullRequests } from './generate.js';
import { loadApiCallsHook, type PrFigures, type SizeFigures } from './figures.js';

/**
 * `npm run bench [-- --sizes 100,1000,5000] [--workers N] [--keep]`
 *
 * Each size runs in its own child process so peak memory (maxRSS) is that
 * size's. Figures, not timed tests: nothing fails on a slow machine.
 */

const PRS = ['pr-1', 'pr-10', 'pr-netpol'] as const;
/** Runs per PR (median reported): fewer for the largest sizes, where one run takes seconds. */
const RUNS = (n: number) => (n >= 5000 ? 3 : 5);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const now = () => performance.now();
const mb = (bytes: number) => bytes / 1024 / 1024;

async function child(n: number): Promise<SizeFigures> {
  const work = mkdtempSync(join(tmpdir(), `threatdiff-bench-${n}-`));
  const repo = join(work, 'repo');
  const workers = arg('workers') !== undefined ? Number(arg('workers')) : undefined;
  const log = (s: string) => process.stderr.write(`[${n}] ${s}\n`);
  try {
    let t = now();
    const files = generateRepo(n);
    const prs = pullRequests(n);
    await commitRepo(repo, files, prs);
    const generateMs = now() - t;
    const bytes = [...files.values()].reduce((s, c) => s + Buffer.byteLength(c), 0);
    log(`generated ${files.size} files, ${mb(bytes).toFixed(1)} MB in ${(generateMs / 1000).toFixed(1)} s`);

    const config = DEFAULT_CONFIG;
    const cacheDir = join(work, 'cache');

    // 1. Cold: empty cache, parse everything, link, rules, store the graph.
    const rssBefore = process.resourceUsage().maxRSS;
    let cache = sqliteCache({ dir: cacheDir });
    const main = await gitSnapshot(repo, 'main');
    t = now();
    const cold = await analyseSnapshot(main, { config, cache, ...(workers !== undefined ? { workers } : {}) });
    await cache.flush();
    const coldMs = now() - t;
    const coldRss = process.resourceUsage().maxRSS;
    log(`cold ${(coldMs / 1000).toFixed(2)} s: ${JSON.stringify(roundT(cold.timings))}`);
    await cache.close();

    // 2. Full rebuild with every fragment cached (what a tool without a graph cache pays at best).
    cache = sqliteCache({ dir: cacheDir });
    t = now();
    const relink = await analyseSnapshot(main, { config, cache: { get: cache.get.bind(cache), set: cache.set.bind(cache), getMany: cache.getMany!.bind(cache) } });
    const fullWarmFragmentsMs = now() - t;
    log(`full rebuild from cached fragments ${(fullWarmFragmentsMs / 1000).toFixed(2)} s`);

    // 3. CLI path: a new process reads the base graph from SQLite.
    t = now();
    const loaded = await analyseSnapshot(main, { config, cache });
    const loadMs = now() - t;
    if (loaded.source !== 'cache') throw new Error('graph cache missed');
    log(`base graph from SQLite ${loadMs.toFixed(0)} ms (decode ${loaded.timings.load.toFixed(0)} ms)`);
    await cache.close();

    // 4. Warm incremental: base analysis in memory (the app keeps it), changed blobs parsed each run.
    const apiCalls = await loadApiCallsHook();
    const pr: Record<string, PrFigures> = {};
    for (const name of PRS) {
      const head = await gitSnapshot(repo, name);
      const runs: { ms: number; a: Analysis }[] = [];
      for (let k = 0; k < RUNS(n); k++) {
        const tk = now();
        const a = await deriveAnalysis(cold, head, { config });
        runs.push({ ms: now() - tk, a });
      }
      const mid = [...runs].sort((x, y) => x.ms - y.ms)[Math.floor(runs.length / 2)]!;
      const ms = mid.ms;
      const a = mid.a;
      pr[name] = {
        changedFiles: prs[name].size,
        analysisMs: ms,
        firstRunMs: runs[0]!.ms,
        timings: roundT(a.timings),
        parsed: a.stats.parsed,
        refsRelinked: a.incremental?.refsRelinked ?? -1,
        refsTotal: a.incremental?.refsTotal ?? -1,
        speedup: coldMs / ms,
        threatsNew: a.threats.length - cold.threats.length,
        apiCalls: apiCalls ? await apiCalls(repo, name) : undefined,
      };
      head.close();
      log(`${name}: ${ms.toFixed(0)} ms (first ${runs[0]!.ms.toFixed(0)} ms), parsed ${a.stats.parsed}, relinked ${pr[name].refsRelinked}/${pr[name].refsTotal} refs`);
    }

    // 5. CLI end to end for pr-1: graph from SQLite, then derive.
    cache = sqliteCache({ dir: cacheDir });
    t = now();
    const base2 = await analyseSnapshot(main, { config, cache });
    const head1 = await gitSnapshot(repo, 'pr-1');
    await deriveAnalysis(base2, head1, { config, cache });
    const cliPr1Ms = now() - t;
    head1.close();
    await cache.close();
    main.close();

    // 6. Bare parser throughput vs the pipeline, on the same bytes (a sample of up to 200 services).
    const throughput = await parseThroughput(files, 200);

    return {
      services: n,
      files: files.size,
      candidates: cold.stats.candidates,
      bytes,
      generateMs,
      cold: { ms: coldMs, timings: roundT(cold.timings), parsed: cold.stats.parsed, maxRssMb: coldRss / 1024, maxRssBeforeMb: rssBefore / 1024, elements: cold.graph.elements.size, edges: cold.graph.edges.length, threats: cold.threats.length, crossings: cold.crossings.length, refs: cold.state.refCount },
      fullWarmFragmentsMs,
      fullWarmFragmentsTimings: roundT(relink.timings),
      graphLoadMs: loadMs,
      graphLoadDecodeMs: loaded.timings.load,
      cliPr1Ms,
      pr,
      throughput,
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
    };
  } finally {
    if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

function roundT<T extends object>(t: T): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v])) as T;
}

async function parseThroughput(files: Map<string, string>, maxServices: number): Promise<SizeFigures['throughput']> {
  const sample = [...files].filter(([p]) => {
    const m = /^services\/svc-(\d+)\//.exec(p);
    return m ? Number(m[1]) < maxServices : p.startsWith('platform/');
  });
  const yaml = sample.filter(([p]) => p.endsWith('.yaml'));
  const tf = sample.filter(([p]) => p.endsWith('.tf'));
  const bytes = (xs: [string, string][]) => xs.reduce((s, [, c]) => s + Buffer.byteLength(c), 0);
  const ctx = { tree: { read: async () => undefined }, limits: DEFAULT_LIMITS };
  const hcl = await loadHclParser();
  // Warm up both paths once so JIT and wasm start-up are not billed to either.
  for (const [p, c] of [...yaml.slice(0, 20), ...tf.slice(0, 5)]) {
    await parseContent(p, c, ctx);
    if (p.endsWith('.tf')) hcl.parse(c)?.delete();
    else parseAllDocuments(c);
  }
  const time = async (fn: () => unknown | Promise<unknown>) => {
    const t = now();
    await fn();
    return now() - t;
  };
  const yamlBare = await time(() => {
    for (const [, c] of yaml) for (const d of parseAllDocuments(c) as unknown as { toJS(): unknown }[]) d.toJS();
  });
  const yamlPipeline = await time(async () => {
    for (const [p, c] of yaml) await parseContent(p, c, ctx);
  });
  const tfBare = await time(() => {
    for (const [, c] of tf) hcl.parse(c)?.delete();
  });
  const tfPipeline = await time(async () => {
    for (const [p, c] of tf) await parseContent(p, c, ctx);
  });
  const yb = bytes(yaml);
  const tb = bytes(tf);
  return {
    yaml: { files: yaml.length, mb: mb(yb), bareMs: yamlBare, pipelineMs: yamlPipeline, bareMBps: mb(yb) / (yamlBare / 1000), pipelineMBps: mb(yb) / (yamlPipeline / 1000), overhead: yamlPipeline / yamlBare },
    hcl: { files: tf.length, mb: mb(tb), bareMs: tfBare, pipelineMs: tfPipeline, bareMBps: mb(tb) / (tfBare / 1000), pipelineMBps: mb(tb) / (tfPipeline / 1000), overhead: tfPipeline / tfBare },
  };
}

function fmt(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function print(f: SizeFigures): void {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  out(`\n## ${f.services.toLocaleString('en')} services — ${f.files.toLocaleString('en')} files (${f.candidates.toLocaleString('en')} candidates), ${mb(f.bytes).toFixed(1)} MB`);
  out(`machine: ${f.cores} cores (${f.cpu}), node ${f.node}`);
  out(`cold full build:          ${fmt(f.cold.ms)}  (list ${fmt(f.cold.timings.list)}, ingest ${fmt(f.cold.timings.ingest)}, link ${fmt(f.cold.timings.build)}, rules ${fmt(f.cold.timings.rules)}, store ${fmt(f.cold.timings.store)}); ${f.cold.parsed} files parsed`);
  out(`  peak memory (maxRSS):   ${f.cold.maxRssMb.toFixed(0)} MB; graph ${f.cold.elements.toLocaleString('en')} elements, ${f.cold.edges.toLocaleString('en')} edges, ${f.cold.refs.toLocaleString('en')} refs; ${f.cold.crossings} crossings, ${f.cold.threats} threats`);
  out(`full rebuild, fragments cached: ${fmt(f.fullWarmFragmentsMs)}  (ingest ${fmt(f.fullWarmFragmentsTimings.ingest)}, link ${fmt(f.fullWarmFragmentsTimings.build)}, rules ${fmt(f.fullWarmFragmentsTimings.rules)})`);
  out(`base graph read from SQLite:    ${fmt(f.graphLoadMs)}  (decode ${fmt(f.graphLoadDecodeMs)})`);
  out(`CLI diff pr-1 end to end (graph from SQLite + derive): ${fmt(f.cliPr1Ms)}`);
  out('');
  out(`| PR | files changed | files parsed | refs re-linked | analysis (median of ${RUNS(f.services)}) | first run | list / ingest / link / rules (median run) | full ÷ incremental | API calls warm / cold (reads + writes) |`);
  out('|---|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const [name, p] of Object.entries(f.pr)) {
    out(`| ${name} | ${p.changedFiles} | ${p.parsed} | ${p.refsRelinked} / ${p.refsTotal} | ${fmt(p.analysisMs)} | ${fmt(p.firstRunMs)} | ${p.timings.list} / ${p.timings.ingest} / ${p.timings.build} / ${p.timings.rules} ms | ${p.speedup.toFixed(0)}x | ${p.apiCalls ? `${p.apiCalls.warm.reads} + ${p.apiCalls.warm.writes} / ${p.apiCalls.cold ? `${p.apiCalls.cold.reads} + ${p.apiCalls.cold.writes}` : '-'}` : 'n/a (app hook)'} |`);
  }
  for (const [name, p] of Object.entries(f.pr)) if (p.apiCalls) out(`${name} warm API calls by endpoint: ${JSON.stringify(p.apiCalls.warm.byEndpoint)}`);
  out('');
  const t = f.throughput;
  out(`parse throughput (sample of ${t.yaml.files} YAML + ${t.hcl.files} .tf files):`);
  out(`  YAML: bare yaml ${t.yaml.bareMBps.toFixed(2)} MB/s, pipeline ${t.yaml.pipelineMBps.toFixed(2)} MB/s -> overhead ${t.yaml.overhead.toFixed(2)}x`);
  out(`  HCL:  bare tree-sitter ${t.hcl.bareMBps.toFixed(2)} MB/s, pipeline ${t.hcl.pipelineMBps.toFixed(2)} MB/s -> overhead ${t.hcl.overhead.toFixed(2)}x`);
}

async function parent(): Promise<void> {
  const sizes = (arg('sizes') ?? '100,1000,5000').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
  const script = fileURLToPath(import.meta.url);
  const all: SizeFigures[] = [];
  process.stdout.write(`# threatdiff benchmark — sizes ${sizes.join(', ')}\n`);
  for (const n of sizes) {
    const passThrough = process.argv.slice(2).filter((a, i, xs) => a !== '--sizes' && xs[i - 1] !== '--sizes');
    const json = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--max-old-space-size=12288', script, '--child', String(n), ...passThrough], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`size ${n} failed with exit code ${code}`))));
    });
    const figures = JSON.parse(json) as SizeFigures;
    all.push(figures);
    print(figures);
  }
  if (arg('json')) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(arg('json')!, JSON.stringify(all, null, 2));
  }
}

const childSize = arg('child');
if (childSize) {
  const figures = await child(Number(childSize));
  process.stdout.write(JSON.stringify(figures));
  // Worker threads and git processes must not keep the child alive.
  process.exit(0);
} else {
  await parent();
}

