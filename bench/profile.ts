/** The value after `--name` on the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const now = (): number => performance.now();
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A V8 CPU profile of part of a benchmark run (open the file in Chrome DevTools or speedscope). */
export async function startProfile(): Promise<import('node:inspector').Session> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<void>((resolve, reject) => session.post(method, params ?? {}, (err) => (err ? reject(err) : resolve())));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return session;
}

export async function stopProfile(session: import('node:inspector').Session, file: string): Promise<CpuProfile> {
  const { writeFileSync } = await import('node:fs');
  const profile = await new Promise<CpuProfile>((resolve, reject) => session.post('Profiler.stop', (err, res) => (err ? reject(err) : resolve(res.profile as unknown as CpuProfile))));
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  return profile;
}

/** Self time per function (ms), largest first: a quick text summary of a profile. */
export function topSelfTime(profile: CpuProfile, count = 25): { fn: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFn = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    byFn.set(name, (byFn.get(name) ?? 0) + us / 1000);
  }
  return [...byFn].map(([fn, ms]) => ({ fn, ms })).sort((a, b) => b.ms - a.ms).slice(0, count);
}

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}
