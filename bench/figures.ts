/** Shapes of the benchmark's figures (JSON with `--json FILE`). */

export interface PrFigures {
  changedFiles: number;
  /** Median of 5 runs (3 from 5,000 services): list, parse changed blobs, apply changes, rules. Base analysis in memory. */
  analysisMs: number;
  firstRunMs: number;
  timings: { list: number; ingest: number; build: number; rules: number; load: number; store: number };
  parsed: number;
  refsRelinked: number;
  refsTotal: number;
  /** Cold full build time ÷ analysisMs. */
  speedup: number;
  threatsNew: number;
  /** GitHub API calls for the app path (bench/app-calls.ts); undefined when the hook is absent. */
  apiCalls: ApiCallFigures | undefined;
}

export interface SizeFigures {
  services: number;
  files: number;
  candidates: number;
  bytes: number;
  generateMs: number;
  cold: {
    ms: number;
    timings: { list: number; ingest: number; build: number; rules: number; load: number; store: number };
    parsed: number;
    maxRssMb: number;
    maxRssBeforeMb: number;
    elements: number;
    edges: number;
    refs: number;
    threats: number;
    crossings: number;
  };
  fullWarmFragmentsMs: number;
  fullWarmFragmentsTimings: { list: number; ingest: number; build: number; rules: number; load: number; store: number };
  graphLoadMs: number;
  graphLoadDecodeMs: number;
  cliPr1Ms: number;
  pr: Record<string, PrFigures>;
  throughput: {
    yaml: { files: number; mb: number; bareMs: number; pipelineMs: number; bareMBps: number; pipelineMBps: number; overhead: number };
    hcl: { files: number; mb: number; bareMs: number; pipelineMs: number; bareMBps: number; pipelineMBps: number; overhead: number };
  };
  cores: number;
  cpu: string;
  node: string;
}

/** API calls of one PR analysis through the app: reads (GET), writes, installation tokens, by endpoint. */
export interface ApiCallCount {
  total: number;
  reads: number;
  writes: number;
  auth: number;
  byEndpoint: Record<string, number>;
}

/** Cold: empty cache and store (optional: slow on large repositories). Warm: the app analysed the base once before. */
export interface ApiCallFigures {
  cold?: ApiCallCount;
  warm: ApiCallCount;
}

/**
 * App path hook (for the GitHub App): a module `bench/app-calls.ts` exporting
 * `apiCalls: ApiCallsHook` is picked up when present. Given the benchmark
 * repository and a PR branch, it analyses the PR through the app with a
 * simulated GitHub and returns the API calls made, cold and warm. Absent, the
 * column shows n/a.
 */
export type ApiCallsHook = (repoDir: string, prBranch: string) => Promise<ApiCallFigures>;

export async function loadApiCallsHook(): Promise<ApiCallsHook | undefined> {
  // A variable specifier: the module is optional and must not be required at compile time.
  const specifier = './app-calls.js';
  try {
    const mod = (await import(specifier)) as { apiCalls?: ApiCallsHook };
    return typeof mod.apiCalls === 'function' ? mod.apiCalls : undefined;
  } catch {
    return undefined;
  }
}
