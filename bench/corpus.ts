import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build && node dist/bench/corpus.js [corpus-dir] [--only id,id] [--out dir]`
 *
 * Runs `threatdiff scan` (the built CLI, as a user would) on one deployment
 * of each real-world project in ../shared/corpus, each copied into its own
 * throw-away git repository, and prints one summary row per deployment and
 * the findings per rule. docs/corpus-results.md is written from this output.
 * Not a test: nothing here is run by `npm test`.
 */

export interface CorpusEntry {
  id: string;
  /** Folder under the corpus directory. */
  project: string;
  /** Files or folders inside the project folder; paths are kept as they are upstream. */
  paths: string[];
  /** Paths (relative to the project folder) matching this are left out. */
  skip?: RegExp;
  /** What was picked and why, for the doc. */
  note: string;
  /**
   * Independent documents (the OAI examples) are analysed one repository per
   * unit and the figures summed: together they would collide (five specs are
   * all titled "Swagger Petstore"). Returns the unit a file belongs to.
   */
  unitOf?: (path: string) => string;
  /** A `.github/threatdiff.yml` to commit with the files, as a user would configure the tool. */
  config?: string;
}

/** One repository per spec file; a folder of split files (`petstore-separate/`) is one unit. */
function specUnit(path: string): string {
  const split = /^(.*\/petstore-separate)\//.exec(path);
  return split ? split[1]! : path;
}

export const CORPUS: CorpusEntry[] = [
  {
    id: 'online-boutique',
    project: 'GoogleCloudPlatform__microservices-demo',
    paths: ['kubernetes-manifests'],
    note: 'plain manifests (kubernetes-manifests/), no network policies, no mesh',
  },
  {
    id: 'online-boutique+netpol',
    project: 'GoogleCloudPlatform__microservices-demo',
    paths: ['kubernetes-manifests', 'kustomize/components/network-policies'],
    note: 'the same plus the network-policies Kustomize component (deny-all and one policy per service)',
  },
  {
    id: 'online-boutique-release',
    project: 'GoogleCloudPlatform__microservices-demo',
    paths: ['release/kubernetes-manifests.yaml'],
    note: 'the release bundle: the same objects in one file, with the published image references instead of Skaffold placeholders',
  },
  {
    id: 'crapi',
    project: 'OWASP__crAPI',
    paths: ['deploy/k8s/base', 'openapi-spec/crapi-openapi-spec.json'],
    note: 'deploy/k8s/base (not the minikube overlay) and the OpenAPI 3.0 spec',
  },
  {
    id: 'crapi+apis',
    project: 'OWASP__crAPI',
    paths: ['deploy/k8s/base', 'openapi-spec/crapi-openapi-spec.json'],
    note: 'the same, with `apis:` in .github/threatdiff.yml saying that crapi-web (the nginx behind the LoadBalancer) serves the spec, whose only server is http://localhost:8888',
    config: 'apis:\n  "openapi-spec/crapi-openapi-spec.json": crapi-web\n',
  },
  {
    id: 'kubernetes-goat',
    project: 'madhuakula__kubernetes-goat',
    paths: ['scenarios', 'infrastructure', 'platforms'],
    note: 'every scenario manifest, the pwnchart ClusterRole (a Helm template path) and the kind cluster config',
  },
  {
    id: 'sock-shop',
    project: 'microservices-demo__microservices-demo',
    paths: ['deploy/kubernetes/manifests'],
    note: 'deploy/kubernetes/manifests (the application; no policies, monitoring or logging stacks)',
  },
  {
    id: 'sock-shop+policy',
    project: 'microservices-demo__microservices-demo',
    paths: ['deploy/kubernetes/manifests', 'deploy/kubernetes/manifests-policy'],
    note: 'the same plus manifests-policy (NetworkPolicies)',
  },
  {
    id: 'bank-of-anthos',
    project: 'GoogleCloudPlatform__bank-of-anthos',
    paths: ['kubernetes-manifests'],
    note: 'kubernetes-manifests/ (the release deployment; Kustomize layouts and extras left out)',
  },
  {
    id: 'k8s-examples-guestbook',
    project: 'kubernetes__examples',
    paths: ['web/guestbook'],
    skip: /^web\/guestbook\/(all-in-one|legacy)\//,
    note: 'web/guestbook: the Deployment-based files (all-in-one/ and legacy/ repeat them)',
  },
  {
    id: 'k8s-examples-ai-db',
    project: 'kubernetes__examples',
    paths: ['AI', 'databases'],
    note: 'AI model serving (TensorFlow, vLLM with HPA/monitoring) and the Cassandra/MySQL examples',
  },
  {
    id: 'bookinfo',
    project: 'istio__istio',
    paths: ['samples/bookinfo/platform/kube/bookinfo.yaml', 'samples/bookinfo/networking/bookinfo-gateway.yaml', 'samples/bookinfo/networking/destination-rule-all-mtls.yaml', 'samples/bookinfo/swagger.yaml'],
    note: 'bookinfo.yaml, the Istio ingress Gateway + VirtualService, the mTLS DestinationRules and the Swagger 2.0 spec',
  },
  {
    id: 'oai-specification',
    project: 'OAI__OpenAPI-Specification',
    paths: ['_archive_'],
    note: 'the six archived OpenAPI 3.0 examples, each analysed on its own',
    unitOf: specUnit,
  },
  {
    id: 'oai-learn',
    project: 'OAI__learn.openapis.org',
    paths: ['examples'],
    skip: /\.json$/,
    note: 'the YAML examples, 2.0 to 3.2 (the JSON files are the same specs again), each analysed on its own (petstore-separate/ as one)',
    unitOf: specUnit,
  },
  {
    id: 'serverless-patterns',
    project: 'aws-samples__serverless-patterns',
    paths: ['apigw-openapi-lambda-dynamodb-xray-terraform'],
    note: 'an API Gateway body (OpenAPI 3.0 with x-amazon-apigateway-integration)',
  },
];

interface ReportThreat {
  ruleId: string;
  severity: string;
  element: string;
}

interface ScanReport {
  summary: { elements: number; edges: number; files: { analysed: number; parsed: number; skipped: number; errors: number } };
  crossings: unknown[];
  threats: ReportThreat[];
  errors: { level: string; code: string }[];
}

export interface CorpusRow {
  id: string;
  files: number;
  elements: number;
  edges: number;
  crossings: number;
  bySeverity: Record<string, number>;
  issues: Record<string, number>;
  byRule: Record<string, Record<string, number>>;
  ms: number;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const here = dirname(fileURLToPath(import.meta.url));
/** dist/bench/corpus.js -> repository root. */
const repoRoot = resolve(here, '..', '..');
const cli = join(repoRoot, 'dist', 'src', 'cli', 'bin.js');

function git(dir: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, GIT_AUTHOR_NAME: 'corpus', GIT_AUTHOR_EMAIL: 'corpus@example.invalid', GIT_COMMITTER_NAME: 'corpus', GIT_COMMITTER_EMAIL: 'corpus@example.invalid', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The entry's files, relative to its project folder, upstream paths kept. */
function entryFiles(corpus: string, entry: CorpusEntry): string[] {
  const project = join(corpus, entry.project);
  const out: string[] = [];
  for (const p of entry.paths) {
    const src = join(project, p);
    for (const f of statSync(src).isDirectory() ? listFiles(src) : [src]) {
      const rel = relative(project, f).split('\\').join('/');
      if (!entry.skip?.test(rel) && !/(^|\/)LICENSE/.test(rel)) out.push(rel);
    }
  }
  return out;
}

/** Copies files into a fresh git repository and commits them. */
function makeRepo(project: string, files: string[], label: string, config?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `threatdiff-corpus-${label.replace(/[^a-z0-9-]/gi, '_')}-`));
  for (const rel of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    cpSync(join(project, rel), join(dir, rel));
  }
  if (config !== undefined) {
    mkdirSync(join(dir, '.github'), { recursive: true });
    writeFileSync(join(dir, '.github', 'threatdiff.yml'), config);
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', label);
  return dir;
}

/** `--no-cache`: every figure comes from this build's parsers, never from fragments cached by an earlier one. */
function scan(dir: string, format: string): string {
  return execFileSync(process.execPath, [cli, 'scan', '--no-cache', '--repo', dir, '--format', format], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
}

/** Scans the entry (one repository, or one per unit) and adds the figures up. */
export function runEntry(corpus: string, entry: CorpusEntry, outDir?: string): CorpusRow {
  const project = join(corpus, entry.project);
  const files = entryFiles(corpus, entry);
  const units = new Map<string, string[]>();
  for (const f of files) {
    const unit = entry.unitOf ? entry.unitOf(f) : entry.id;
    (units.get(unit) ?? units.set(unit, []).get(unit)!).push(f);
  }
  const row: CorpusRow = { id: entry.id, files: files.length, elements: 0, edges: 0, crossings: 0, bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])), issues: {}, byRule: {}, ms: 0 };
  const reports: unknown[] = [];
  const markdown: string[] = [];
  for (const [unit, unitFiles] of units) {
    const dir = makeRepo(project, unitFiles, `${entry.id}-${unit}`, entry.config);
    try {
      const t = performance.now();
      const json = scan(dir, 'json');
      row.ms += performance.now() - t;
      const report = JSON.parse(json) as ScanReport;
      if (outDir) {
        reports.push(entry.unitOf ? { unit, report } : report);
        markdown.push(`${entry.unitOf ? `<!-- unit ${unit} -->\n` : ''}${scan(dir, 'markdown')}`);
      }
      row.elements += report.summary.elements;
      row.edges += report.summary.edges;
      row.crossings += report.crossings.length;
      for (const th of report.threats) {
        row.bySeverity[th.severity] = (row.bySeverity[th.severity] ?? 0) + 1;
        const r = (row.byRule[th.ruleId] ??= {});
        r[th.severity] = (r[th.severity] ?? 0) + 1;
      }
      for (const e of report.errors) row.issues[e.level] = (row.issues[e.level] ?? 0) + 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (outDir) {
    writeFileSync(join(outDir, `${entry.id}.json`), JSON.stringify(entry.unitOf ? reports : reports[0], null, 2));
    writeFileSync(join(outDir, `${entry.id}.md`), markdown.join('\n\n'));
  }
  return row;
}

function table(rows: CorpusRow[]): string {
  const head = ['corpus', 'files', 'elements', 'edges', 'crossings', ...SEVERITIES, 'threats', 'errors', 'warnings', 'skipped', 's'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`];
  for (const r of rows) {
    const total = SEVERITIES.reduce((s, k) => s + (r.bySeverity[k] ?? 0), 0);
    const cells = [r.id, r.files, r.elements, r.edges, r.crossings, ...SEVERITIES.map((s) => r.bySeverity[s] ?? 0), total, r.issues.error ?? 0, r.issues.warning ?? 0, r.issues.skipped ?? 0, (r.ms / 1000).toFixed(1)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function ruleTable(row: CorpusRow): string {
  const lines = [`### ${row.id}`, '', '| rule | total | by severity |', '|---|--:|---|'];
  const rules = Object.entries(row.byRule).sort((a, b) => a[0].localeCompare(b[0]));
  for (const [rule, sev] of rules) {
    const total = Object.values(sev).reduce((s, n) => s + n, 0);
    lines.push(`| ${rule} | ${total} | ${SEVERITIES.filter((s) => sev[s]).map((s) => `${s} ${sev[s]}`).join(', ')} |`);
  }
  if (rules.length === 0) lines.push('| (none) | 0 | |');
  return lines.join('\n');
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1]!.startsWith('--')));
  const corpus = resolve(positional[0] ?? join(repoRoot, '..', 'shared', 'corpus'));
  if (!existsSync(corpus)) {
    process.stderr.write(`corpus: no corpus folder at ${corpus} (give its path as the first argument)\n`);
    process.exit(2);
  }
  if (!existsSync(cli)) {
    process.stderr.write(`corpus: ${cli} not found; run npm run build first\n`);
    process.exit(2);
  }
  const only = option('only')?.split(',');
  const outDir = option('out');
  if (outDir) mkdirSync(outDir, { recursive: true });
  const rows: CorpusRow[] = [];
  for (const entry of CORPUS) {
    if (only && !only.includes(entry.id)) continue;
    if (!existsSync(join(corpus, entry.project))) {
      process.stderr.write(`corpus: ${entry.project} missing, skipped\n`);
      continue;
    }
    process.stderr.write(`corpus: ${entry.id} …\n`);
    rows.push(runEntry(corpus, entry, outDir));
  }
  process.stdout.write(`${table(rows)}\n\n${rows.map(ruleTable).join('\n\n')}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
