/**
 * Test servers: PostgreSQL and Redis URLs from the environment (.ci/run
 * starts both on 127.0.0.1 and exports them). Without a URL a suite is
 * skipped locally, but FAILS in CI, so a broken CI set-up cannot pass
 * silently by skipping everything that needs a server.
 */
export const inCI = ((v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false')(process.env.CI);

export function describeWithService(name: string, variable: 'DATABASE_URL_TEST' | 'REDIS_URL_TEST', body: (url: string) => void): void {
  const url = process.env[variable];
  if (url) {
    describe(name, () => body(url));
  } else if (inCI) {
    describe(name, () => {
      test(`${variable} is set (CI must provide the server: see .ci/run)`, () => {
        throw new Error(`${variable} is not set while CI=${process.env.CI}: the ${name} tests would be skipped`);
      });
    });
  } else {
    describe.skip(`${name} (set ${variable} to run)`, () => body(''));
  }
}

/** A name unique to this test process, for schemas and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
