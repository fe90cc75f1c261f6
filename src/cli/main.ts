import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, DEFAULT_CONFIG, parseConfig, atLeast, type Config } from '../config/config.js';
import { SEVERITIES, type Severity } from '../model/types.js';
import { diffSnapshots, loadConfig, scanSnapshot, type Analysis } from '../engine/analyze.js';
import { gitSnapshot, GitError } from '../engine/git.js';
import type { Snapshot } from '../engine/snapshot.js';
import { defaultCacheDir, openCache } from '../cache/open.js';
import type { EngineCache } from '../cache/types.js';
import { FORMATS, RENDERERS, type Format } from '../report/index.js';
import { ALL_RULES } from '../../rules/index.js';
import { renderRuleDocs } from '../report/rule-docs.js';
import { VERSION } from '../version.js';

/** Exit codes: 0 ok, 1 a new finding reached --fail-on, 2 usage or repository error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

class UsageError extends Error {}

interface CommonOptions {
  repo: string;
  format: Format;
  config?: string;
  output?: string;
  failOn?: Severity;
  verbose?: boolean;
  cacheDir?: string;
  /** False with --no-cache. */
  cache: boolean;
}

export function buildProgram(io: { stdout: (s: string) => void; stderr: (s: string) => void; isTTY: boolean }): Command {
  const program = new Command();
  program
    .name('threatdiff')
    .description('Threat-model a change: trust-boundary crossings and STRIDE threats from OpenAPI, Kubernetes and Terraform files in git.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const common = (cmd: Command): Command =>
    cmd
      .option('--repo <dir>', 'git repository to read (objects only; the work tree is never touched)', '.')
      .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('markdown'))
      .option('--config <file>', `configuration file (default: .github/threatdiff.yml at the ${'base'} ref)`)
      .option('-o, --output <file>', 'write the report to a file instead of stdout')
      .addOption(new Option('--fail-on <severity>', 'exit 1 when a new finding is at or above this severity').choices(SEVERITIES))
      .option('--verbose', 'print files parsed, cache hits and time per stage on stderr')
      .option('--cache-dir <dir>', `parsed files and linked graphs are kept here between runs (default: ${defaultCacheDir()})`)
      .option('--no-cache', 'neither read nor write the cache');

  common(program.command('diff').description('compare two refs: what the change introduces, resolves and leaves'))
    .requiredOption('--base <ref>', 'base ref (e.g. main)')
    .option('--head <ref>', 'head ref', 'HEAD')
    .action(async (opts: CommonOptions & { base: string; head: string }) => {
      const repo = resolve(opts.repo);
      const base = await gitSnapshot(repo, opts.base).catch(rethrowGit);
      const head = await gitSnapshot(repo, opts.head).catch(rethrowGit);
      const cache = cacheFor(io, opts);
      try {
        const config = await configFor(opts, base);
        const result = await diffSnapshots(base, head, { config, ...(cache ? { cache } : {}), onProgress: progress(io, 'parsing') });
        finish(io, opts, { report: result.report, head: result.head, base: result.base }, cache);
      } finally {
        base.close();
        head.close();
        await cache?.close();
      }
    });

  common(program.command('scan').description('model one ref: every crossing and threat in the repository'))
    .option('--ref <ref>', 'ref to scan', 'HEAD')
    .action(async (opts: CommonOptions & { ref: string }) => {
      const repo = resolve(opts.repo);
      const head = await gitSnapshot(repo, opts.ref).catch(rethrowGit);
      const cache = cacheFor(io, opts);
      try {
        const config = await configFor(opts, head);
        const result = await scanSnapshot(head, { config, ...(cache ? { cache } : {}), onProgress: progress(io, 'parsing') });
        finish(io, opts, { report: result.report, head: result.head, base: null }, cache);
      } finally {
        head.close();
        await cache?.close();
      }
    });

  program
    .command('rules')
    .description('list the built-in rules')
    .addOption(new Option('--format <format>', 'text table or the markdown reference (docs/rules.md)').choices(['text', 'markdown']).default('text'))
    .action((opts: { format: 'text' | 'markdown' }) => {
      if (opts.format === 'markdown') return io.stdout(renderRuleDocs(ALL_RULES));
      for (const r of ALL_RULES) io.stdout(`${r.meta.id.padEnd(48)} ${r.meta.severity.padEnd(8)} ${r.meta.stride.join('').padEnd(6)} ${r.meta.title}\n`);
    });

  return program;

  function finish(io2: typeof io, opts: CommonOptions, input: { report: import('../model/report.js').Report; head: Analysis; base: Analysis | null }, cache: EngineCache | undefined): void {
    if (opts.verbose) verbose(io2, input.head, input.base, cache);
    const text = RENDERERS[opts.format]({ ...input, rules: ALL_RULES });
    if (opts.output) writeFileSync(opts.output, text);
    else io2.stdout(text);
    const failOn = opts.failOn;
    const highest = input.report.summary.highestNew;
    process.exitCode = failOn && highest && atLeast(highest, failOn) ? EXIT.findings : EXIT.ok;
  }
}

async function configFor(opts: CommonOptions, snapshot: Snapshot): Promise<Config> {
  if (opts.config) {
    let text: string;
    try {
      text = readFileSync(opts.config, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read config ${opts.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return parseConfig(text, opts.config);
  }
  return loadConfig(snapshot).catch((err: unknown) => {
    if (err instanceof ConfigError) throw err;
    return DEFAULT_CONFIG;
  });
}

function rethrowGit(err: unknown): never {
  if (err instanceof GitError) throw new UsageError(err.message);
  throw err;
}

function progress(io: { stderr: (s: string) => void; isTTY: boolean }, label: string): ((done: number, total: number) => void) | undefined {
  if (!io.isTTY) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done !== total && now - last < 100) return;
    last = now;
    io.stderr(`\r${label} ${done}/${total} files${done === total ? '\n' : ''}`);
  };
}

function cacheFor(io: { stderr: (s: string) => void }, opts: CommonOptions): EngineCache | undefined {
  if (!opts.cache) return undefined;
  const dir = resolve(opts.cacheDir ?? defaultCacheDir());
  const { cache, warning } = openCache({ dir });
  if (warning && opts.verbose) io.stderr(`threatdiff: ${warning}\n`);
  else if (opts.verbose) io.stderr(`cache: ${dir}\n`);
  return cache;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

function verbose(io: { stderr: (s: string) => void }, head: Analysis, base: Analysis | null, cache: EngineCache | undefined): void {
  for (const a of base ? [base, head] : [head]) {
    const t = a.timings;
    const how =
      a.source === 'cache'
        ? 'graph from cache'
        : a.source === 'derived'
          ? `derived from ${a.incremental!.baseCommit.slice(0, 12)}: ${a.incremental!.filesChanged} files changed, ${a.incremental!.refsRelinked} of ${a.incremental!.refsTotal} refs re-linked`
          : 'built';
    io.stderr(
      `${a.ref} (${a.commit.slice(0, 12)}): ${how}; ${a.stats.candidates} candidate files, ${a.stats.parsed} parsed, ${a.stats.cached} from fragment cache, ${a.stats.reused ?? 0} reused, ${a.stats.ignored} not model files; ` +
        `${a.graph.elements.size} elements, ${a.graph.edges.length} edges\n` +
        `  time: list ${ms(t.list)}, load ${ms(t.load)}, ingest ${ms(t.ingest)}, link ${ms(t.build)}, rules ${ms(t.rules)}, store ${ms(t.store)}\n`,
    );
  }
  if (cache) {
    const c = cache.stats;
    io.stderr(`cache (${cache.kind}): fragments ${c.fragmentHits} hits / ${c.fragmentMisses} misses, graphs ${c.graphHits} hits / ${c.graphMisses} misses${c.corrupt ? `, ${c.corrupt} corrupt entries dropped` : ''}${c.evicted ? `, ${c.evicted} evicted` : ''}\n`);
  }
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function run(argv: string[], io = { stdout: (s: string) => void process.stdout.write(s), stderr: (s: string) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) }): Promise<number> {
  const program = buildProgram(io);
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof GitError) {
      io.stderr(`threatdiff: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`threatdiff: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.usage;
  }
}

