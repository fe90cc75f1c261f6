import { DEFAULT_CONFIG } from '../src/config/config.js';
import { analyseSnapshot } from '../src/engine/analyze.js';
import { memorySnapshot } from '../src/engine/memory.js';
import { findCrossings } from '../src/analysis/crossings.js';
import { internetReachable } from '../src/analysis/reach.js';
import { findAttackPaths } from '../src/analysis/paths.js';
import { ruleContext, runRules } from '../src/analysis/rules.js';
import { indexesOf } from '../src/analysis/indexes.js';
import { ALL_RULES } from '../rules/index.js';
import { generateRepo } from './generate.js';
import { arg, median, now, startProfile, stopProfile } from './profile.js';

/**
 * `node dist/bench/rules-profile.js --services 5000 [--runs 3] [--json out.json] [--cpuprofile out.cpuprofile]`
 *
 * Where the rule phase spends its time: builds a synthetic repository's
 * graph once, in memory, then times the shared analysis (crossings,
 * internet reachability, attack paths) and each rule's check() on its own,
 * and the whole `ruleContext` + `runRules` phase as the engine runs it.
 * Each figure is the median of `--runs` runs; every run uses a new Graph
 * object (a shallow copy), so indexes memoised per Graph are rebuilt.
 */

async function main(): Promise<void> {
  const n = Number(arg('services') ?? 1000);
  const runs = Math.max(1, Number(arg('runs') ?? 3));
  const log = (s: string) => process.stderr.write(`${s}\n`);

  let t = now();
  const files = Object.fromEntries(generateRepo(n));
  log(`generated ${Object.keys(files).length} files in ${((now() - t) / 1000).toFixed(1)} s`);
  t = now();
  const config = DEFAULT_CONFIG;
  // No rules here: the graph is what we want; rules are timed below.
  const analysis = await analyseSnapshot(memorySnapshot(files), { config, rules: [], workers: 0 });
  log(`graph built in ${((now() - t) / 1000).toFixed(1)} s: ${analysis.graph.elements.size} elements, ${analysis.graph.edges.length} edges`);

  const times = new Map<string, number[]>();
  const hits = new Map<string, number>();
  const record = (name: string, ms: number, count: number) => {
    (times.get(name) ?? times.set(name, []).get(name)!).push(ms);
    hits.set(name, count);
  };

  const profileTo = arg('cpuprofile');
  const session = profileTo ? await startProfile() : undefined;
  for (let r = 0; r < runs; r++) {
    // A shallow copy is a new Graph object: WeakMap-memoised indexes start cold, as on a new analysis.
    const graph = { ...analysis.graph };
    t = now();
    const crossings = findCrossings(graph);
    record('[context] crossings', now() - t, crossings.length);
    t = now();
    const reach = internetReachable(graph);
    record('[context] internetReachable', now() - t, reach.size);
    // Built by whoever needs them first (attack paths, a rule): charged here, not to them.
    t = now();
    indexesOf(graph);
    record('[context] shared indexes', now() - t, 0);
    t = now();
    const paths = findAttackPaths(graph, config.sensitivity);
    record('[context] attack paths', now() - t, paths.paths.length);
    const ctx = { graph, sensitivity: config.sensitivity, attackPaths: paths.paths, crossings, internetReachable: reach };
    for (const rule of ALL_RULES) {
      t = now();
      const found = rule.check(ctx);
      record(rule.meta.id, now() - t, found.length);
    }
    // The phase as the engine runs it (fresh Graph object again: nothing memoised).
    const fresh = { ...analysis.graph };
    let inChecks = 0;
    // The same rules, timed: what runRules adds (rating, keys, fingerprints, sorting) is the rest.
    const timed = ALL_RULES.map((rule) => ({
      meta: rule.meta,
      check(c: Parameters<typeof rule.check>[0]) {
        const s = now();
        try {
          return rule.check(c);
        } finally {
          inChecks += now() - s;
        }
      },
    }));
    const cpu = process.cpuUsage();
    t = now();
    const full = ruleContext(fresh, config);
    const mid = now();
    const { threats } = runRules(full, timed, config);
    const end = now();
    const used = process.cpuUsage(cpu);
    record('[phase] ruleContext', mid - t, 0);
    record('[phase] runRules (checks + rating)', end - mid, threats.length);
    record('[phase]   of which checks', inChecks, threats.length);
    record('[phase]   of which rating, keys, sort', end - mid - inChecks, threats.length);
    record('[phase] total', end - t, threats.length);
    // CPU time of the process (main thread and GC helpers): less sensitive than wall time to other load on the machine.
    record('[phase] total, CPU time', (used.user + used.system) / 1000, threats.length);
  }

  if (session && profileTo) await stopProfile(session, profileTo);

  const rows = [...times.entries()].map(([name, ms]) => ({ name, ms: median(ms), hits: hits.get(name)! }));
  const phase = rows.filter((r) => r.name.startsWith('[phase]'));
  const rest = rows.filter((r) => !r.name.startsWith('[phase]')).sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  const width = Math.max(...rows.map((r) => r.name.length));
  const line = (r: { name: string; ms: number; hits: number }) => `${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(9)}  ${String(r.hits).padStart(7)}`;
  const checks = rest.filter((r) => !r.name.startsWith('['));
  process.stdout.write(`services ${n}, ${analysis.graph.elements.size} elements, ${analysis.graph.edges.length} edges, median of ${runs} run(s)\n`);
  process.stdout.write(`${'rule'.padEnd(width)}  ${'ms'.padStart(9)}  ${'hits'.padStart(7)}\n`);
  for (const r of rest) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(`${'-'.repeat(width + 20)}\n`);
  process.stdout.write(`${'sum of checks'.padEnd(width)}  ${checks.reduce((s, r) => s + r.ms, 0).toFixed(1).padStart(9)}\n`);
  for (const r of phase) process.stdout.write(`${line(r)}\n`);
  const out = arg('json');
  if (out) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(out, `${JSON.stringify({ services: n, runs, rows }, null, 2)}\n`);
  }
}

/** V8 CPU profile of the timed runs only (not of generating and parsing), for Chrome DevTools or speedscope. */
main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
