import type { ProbotOctokit } from 'probot';

/** The authenticated client every function in src/github receives (Probot's Octokit: REST methods, paginate, retry, throttling). */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** Error shape of a failed Octokit request (`@octokit/request-error`), checked structurally. */
export interface HttpError extends Error {
  status: number;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

export function isHttpError(err: unknown, status?: number): err is HttpError {
  return typeof err === 'object' && err !== null && typeof (err as HttpError).status === 'number' && (status === undefined || (err as HttpError).status === status);
}

export interface RateLimitPolicy {
  /** Retries of one request after a rate limit. */
  retries: number;
  /** Milliseconds per second of `retry-after` (1000; 0 in tests). */
  msPerSecond: number;
  /** Longest wait for one retry, in seconds: beyond it the request fails (and the check says so). */
  maxWaitSeconds: number;
  /** Wait when a secondary limit names no `retry-after` (GitHub: at least a minute). */
  fallbackSeconds: number;
}

export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = { retries: 3, msPerSecond: 1000, maxWaitSeconds: 300, fallbackSeconds: 60 };

/**
 * Seconds to wait before retrying a rate-limited request, or undefined when
 * the error is not a rate limit. 403/429 with `retry-after` or a "secondary
 * rate limit" message (GitHub's secondary limits), or `x-ratelimit-remaining: 0`
 * (the primary limit, until `x-ratelimit-reset`).
 */
export function rateLimitWait(err: unknown, policy: RateLimitPolicy, now = Date.now()): number | undefined {
  if (!isHttpError(err) || (err.status !== 403 && err.status !== 429)) return undefined;
  const headers = err.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && headers['retry-after'] !== undefined) return Math.max(0, retryAfter);
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - now / 1000) + 1) : policy.fallbackSeconds;
  }
  if (/secondary rate limit/i.test(err.message)) return policy.fallbackSeconds;
  return undefined;
}

/**
 * Makes rate limits survivable whatever Octokit options the app was started
 * with: Probot's throttling plugin retries the primary limit but only logs a
 * secondary one, and plugin-retry never retries a 403. This outermost layer
 * waits as GitHub asks (bounded) and sends the request again. 5xx are left to
 * plugin-retry, which already retries them.
 */
export function withRateLimitRetry(octokit: Octokit, policy: RateLimitPolicy = DEFAULT_RATE_LIMIT_POLICY): Octokit {
  octokit.hook.wrap('request', async (request, options) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(options);
      } catch (err) {
        const wait = rateLimitWait(err, policy);
        if (wait === undefined || attempt >= policy.retries || wait > policy.maxWaitSeconds) throw err;
        octokit.log.warn(`GitHub rate limit on ${options.method} ${options.url}: retrying in ${wait} s`);
        await new Promise((resolve) => setTimeout(resolve, wait * policy.msPerSecond));
      }
    }
  });
  return octokit;
}

/** Counts the API calls made through one client (shown in the check summary). */
export function countCalls(octokit: Octokit): () => number {
  let calls = 0;
  octokit.hook.before('request', () => {
    calls++;
  });
  return () => calls;
}
