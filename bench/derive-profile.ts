import { DEFAULT_CONFIG } from '../src/config/config.js';
import { analyseSnapshot, deriveAnalysis, type Analysis } from '../src/engine/analyze.js';
import { memorySnapshot } from '../src/engine/memory.js';
import { sqliteCache } from '../src/cache/sqlite.js';
import { generateRepo, pullRequests } from './generate.js';
import { arg, median, now, startProfile, stopProfile, topSelfTime } from './profile.js';

/**
 * `node dist/bench/derive-profile.js --services 5000 [--runs 5] [--cache-dir DIR] [--prs pr-1,pr-10] [--cpuprofile FILE]`
 *
 * Where a derived (incremental) analysis spends its time, stage by stage:
 * builds the synthetic repository's base analysis once (fragments from the
 * SQLite cache in `--cache-dir` when given, so a second invocation parses
 * nothing), then derives each benchmark PR `--runs` times from the base held
 * in memory (the app's situation) and prints the median of every stage:
 * list, ingest, `applyChanges`, Graph assembly, and the findings steps.
 * The first derivation of each PR is reported apart (it builds the base's
 * group indexes once). `--cpuprofile` writes a V8 profile of the timed
 * derivations only and prints the functions with the most self time.
 */

async function main(): Promise<void> {
  const n = Number(arg('services') ?? 1000);
  const runs = Math.max(1, Number(arg('runs') ?? 5));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const files = Object.fromEntries(generateRepo(n));
  const prs = pullRequests(n);
  const config = DEFAULT_CONFIG;
  const dir = arg('cache-dir');
  const cache = dir ? sqliteCache({ dir }) : undefined;
  const fragmentsOnly = cache ? { get: cache.get.bind(cache), set: cache.set.bind(cache), getMany: cache.getMany!.bind(cache) } : undefined;

  let t = now();
  const base = await analyseSnapshot(memorySnapshot(files, 'main'), { config, ...(fragmentsOnly ? { cache: fragmentsOnly } : {}) });
  await cache?.flush();
  log(`base: ${base.graph.elements.size} elements, ${base.graph.edges.length} edges, ${base.threats.length} threats in ${((now() - t) / 1000).toFixed(1)} s ${JSON.stringify(round(base.timings))}`);

  const wanted = arg('prs')?.split(',');
  const profileTo = arg('cpuprofile');
  for (const [name, changes] of Object.entries(prs)) {
    if (wanted && !wanted.includes(name)) continue;
    const headFiles = { ...files, ...Object.fromEntries(changes) };
    const samples: Record<string, number[]> = {};
    const add = (k: string, v: number) => (samples[k] ??= []).push(v);
    let first: Analysis | undefined;
    let session: Awaited<ReturnType<typeof startProfile>> | undefined;
    for (let r = 0; r <= runs; r++) {
      const head = memorySnapshot(headFiles, name);
      t = now();
      const derived = await deriveAnalysis(base, head, { config });
      const total = now() - t;
      if (r === 0) {
        first = derived;
        log(`${name} first run ${total.toFixed(0)} ms`);
        if (profileTo) session = await startProfile();
        continue;
      }
      add('total', total);
      for (const [k, v] of Object.entries(derived.timings)) add(k, v);
      const inc = derived.incremental;
      for (const [k, v] of Object.entries(inc?.findings?.ms ?? {})) add(`findings.${k}`, v);
    }
    if (session && profileTo) {
      const profile = await stopProfile(session, `${profileTo}.${name}.cpuprofile`);
      for (const { fn, ms } of topSelfTime(profile)) process.stdout.write(`  ${(ms / runs).toFixed(1).padStart(8)} ms/run  ${fn}\n`);
    }
    const figures = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
    process.stdout.write(`${name} (${n} services, median of ${runs}): ${JSON.stringify(figures)}\n`);
    if (first?.incremental?.findings) process.stdout.write(`  ${JSON.stringify({ ...first.incremental.findings, ms: undefined })}\n`);
  }
  await cache?.close();
}

function round(o: object): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(Number(v))]));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
