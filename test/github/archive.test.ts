import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Headers } from 'tar-stream';
import { blobSha } from '../../src/engine/memory.js';
import type { Octokit } from '../../src/github/octokit.js';
import { BlobReader } from '../../src/github/snapshot.js';
import { DEFAULT_TARBALL_MAX_BYTES, DEFAULT_TARBALL_THRESHOLD, repoPath, scanTarball, tarballSettings, type ScanOptions } from '../../src/github/archive.js';

const TOP = 'octo-org-shop-1a2b3c4/';

const require = createRequire(import.meta.url);
const tarHeaders = require('tar-stream/headers.js') as { encode(h: object): Buffer; encodePax(h: object): Buffer };

/** The pax global header `git archive` starts with (`comment=<commit>`); tar-stream's pack cannot write one with a body. */
function paxGlobalHeader(): Buffer {
  const body = tarHeaders.encodePax({ pax: { comment: '1a2b3c4d5e6f' } });
  const header = tarHeaders.encode({ name: 'pax_global_header', type: 'pax-header', size: body.length, mode: 0o666, uid: 0, gid: 0, mtime: new Date(0) });
  header[156] = 'g'.charCodeAt(0); // typeflag: global
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

/** A gzipped tarball laid out as GitHub serves one: a pax global header, then everything under `owner-repo-sha7/`. */
async function tarball(entries: (Headers & { content?: string })[]): Promise<Buffer> {
  const p = pack();
  p.entry({ name: TOP, type: 'directory' });
  for (const { content, ...header } of entries) {
    const h = { ...header, name: TOP + header.name };
    if (content === undefined) p.entry(h);
    else p.entry(h, content);
  }
  p.finalize();
  const chunks: Buffer[] = [paxGlobalHeader()];
  for await (const c of p) chunks.push(c);
  return gzipSync(Buffer.concat(chunks));
}

const DEPLOY = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n';
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n';
const LONG = `deep/${'nested/'.repeat(20)}openapi.yaml`; // over 100 characters: a ustar prefix
const UTF8 = 'k8s/café.yaml'; // not ASCII: tar-stream writes a pax header for it

const scanOptions = (o: Partial<ScanOptions> = {}): ScanOptions => ({ list: false, keep: () => true, expected: () => undefined, maxBytes: 1024 * 1024, maxFileBytes: 1024, maxKeptBytes: 1024 * 1024, ...o });
const from = (buf: Buffer) => Readable.from([buf.subarray(0, 100), buf.subarray(100)]);

test('keeps only the wanted files, under their blob SHAs, top directory stripped; links are skipped', async () => {
  const gz = await tarball([
    { name: 'k8s/', type: 'directory' },
    { name: 'k8s/deployment.yaml', content: DEPLOY },
    { name: 'k8s/service.yaml', content: SERVICE },
    { name: 'README.md', content: '# shop\n' },
    { name: LONG, content: 'openapi: 3.0.0\n' },
    { name: UTF8, content: SERVICE },
    { name: 'k8s/link.yaml', type: 'symlink', linkname: 'deployment.yaml' },
    { name: 'k8s/hard.yaml', type: 'link', linkname: `${TOP}k8s/deployment.yaml` },
  ]);
  const wanted = new Map([
    ['k8s/deployment.yaml', blobSha(DEPLOY)],
    [LONG, blobSha('openapi: 3.0.0\n')],
    [UTF8, blobSha(SERVICE)],
    ['k8s/link.yaml', blobSha(DEPLOY)],
  ]);
  const scan = await scanTarball(from(gz), scanOptions({ keep: (p) => wanted.has(p), expected: (p) => wanted.get(p) }));
  expect(scan.error).toBeUndefined();
  expect([...scan.contents.entries()]).toEqual([
    [blobSha(DEPLOY), DEPLOY],
    [blobSha('openapi: 3.0.0\n'), 'openapi: 3.0.0\n'],
    [blobSha(SERVICE), SERVICE],
  ]);
  expect(scan).toMatchObject({ files: [], mismatched: 0, skipped: 2 });
});

test('a file whose bytes do not hash to the listing SHA is not kept', async () => {
  const gz = await tarball([
    { name: 'k8s/deployment.yaml', content: DEPLOY.replace(/\n/g, '\r\n') }, // eol conversion by .gitattributes
    { name: 'k8s/service.yaml', content: SERVICE },
  ]);
  const wanted = new Map([
    ['k8s/deployment.yaml', blobSha(DEPLOY)],
    ['k8s/service.yaml', blobSha(SERVICE)],
  ]);
  const scan = await scanTarball(from(gz), scanOptions({ keep: (p) => wanted.has(p), expected: (p) => wanted.get(p) }));
  expect([...scan.contents.keys()]).toEqual([blobSha(SERVICE)]);
  expect(scan.mismatched).toBe(1);
});

test('listing hashes every regular file and keeps only small accepted ones', async () => {
  const big = 'x'.repeat(2000);
  const gz = await tarball([
    { name: 'k8s/deployment.yaml', content: DEPLOY },
    { name: 'docs/big.yaml', content: big },
    { name: 'bin/tool', content: '\u0000\u0001binary' },
    { name: 'empty.json', content: '' },
  ]);
  const scan = await scanTarball(from(gz), scanOptions({ list: true, keep: (p) => /\.(ya?ml|json)$/.test(p) }));
  expect(scan.files).toEqual([
    { path: 'k8s/deployment.yaml', sha: blobSha(DEPLOY), size: DEPLOY.length },
    { path: 'docs/big.yaml', sha: blobSha(big), size: 2000 },
    { path: 'bin/tool', sha: blobSha('\u0000\u0001binary'), size: 8 },
    { path: 'empty.json', sha: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391', size: 0 },
  ]);
  // docs/big.yaml is over maxFileBytes (1024): listed, not kept.
  expect([...scan.contents.keys()]).toEqual([blobSha(DEPLOY), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391']);
});

test('kept contents stop at maxKeptBytes; later files are left to blob reads', async () => {
  const gz = await tarball([
    { name: 'a.yaml', content: DEPLOY },
    { name: 'b.yaml', content: SERVICE },
  ]);
  const scan = await scanTarball(from(gz), scanOptions({ maxKeptBytes: DEPLOY.length + 1 }));
  expect([...scan.contents.keys()]).toEqual([blobSha(DEPLOY)]);
  expect(scan.error).toBeUndefined();
});

test('an archive over maxBytes uncompressed stops with a clear error, keeping what was verified before', async () => {
  const gz = await tarball([
    { name: 'a.yaml', content: DEPLOY },
    { name: 'big.bin', content: 'y'.repeat(64 * 1024) },
    { name: 'b.yaml', content: SERVICE },
  ]);
  const scan = await scanTarball(from(gz), scanOptions({ maxBytes: 32 * 1024 }));
  expect(scan.error).toBe('the archive is over 32768 bytes uncompressed');
  expect([...scan.contents.keys()]).toEqual([blobSha(DEPLOY)]);
});

test('a corrupt or cut archive ends with an error, never a throw', async () => {
  const corrupt = await scanTarball(Readable.from([Buffer.from('this is not gzip at all')]), scanOptions());
  expect(corrupt.error).toMatch(/^the archive could not be read: /);
  expect(corrupt.contents.size).toBe(0);

  const gz = await tarball([{ name: 'a.yaml', content: DEPLOY.repeat(50) }]);
  const cut = await scanTarball(Readable.from([gz.subarray(0, gz.length - 40)]), scanOptions({ maxFileBytes: 1 << 20 }));
  expect(cut.error).toMatch(/^the archive could not be read: /);
  expect(cut.contents.size).toBe(0);

  const failing = new Readable({ read() { this.destroy(new Error('socket hang up')); } });
  expect((await scanTarball(failing, scanOptions())).error).toBe('the archive could not be read: socket hang up');
});

test('repoPath strips the top directory and refuses paths that could escape it', () => {
  expect(repoPath('octo-org-shop-1a2b3c4/k8s/a.yaml')).toBe('k8s/a.yaml');
  expect(repoPath('octo-org-shop-1a2b3c4/')).toBeUndefined();
  expect(repoPath('pax_global_header')).toBeUndefined();
  expect(repoPath('top/../etc/passwd')).toBeUndefined();
  expect(repoPath('top//a.yaml')).toBeUndefined();
  expect(repoPath('top/./a.yaml')).toBeUndefined();
});

test('settings come from the environment, with defaults for missing or invalid values', () => {
  expect(tarballSettings({})).toEqual({ threshold: DEFAULT_TARBALL_THRESHOLD, maxBytes: DEFAULT_TARBALL_MAX_BYTES, maxFileBytes: 2 * 1024 * 1024, maxKeptBytes: 256 * 1024 * 1024 });
  expect(DEFAULT_TARBALL_THRESHOLD).toBe(100);
  expect(tarballSettings({ THREATDIFF_TARBALL_THRESHOLD: '0', THREATDIFF_TARBALL_MAX_BYTES: '5000' })).toMatchObject({ threshold: 0, maxBytes: 5000 });
  expect(tarballSettings({ THREATDIFF_TARBALL_THRESHOLD: '-3', THREATDIFF_TARBALL_MAX_BYTES: '1e9' })).toMatchObject({ threshold: 100, maxBytes: 1024 ** 3 });
});

describe('BlobReader.prefetch', () => {
  const at = { owner: 'octo-org', repo: 'shop' };
  const entry = (path: string, content: string) => ({ path, sha: blobSha(content), size: Buffer.byteLength(content) });
  const FILES = { 'k8s/deployment.yaml': DEPLOY, 'k8s/service.yaml': SERVICE, 'api/openapi.yaml': 'openapi: 3.0.0\n' };

  /** An Octokit double: the tarball of FILES (or a failure), and blobs by SHA; counts requests. */
  function fakeOctokit(tarballBody: () => Promise<Buffer>) {
    const calls: string[] = [];
    const byShas = new Map(Object.values(FILES).map((c) => [blobSha(c), c]));
    const octokit = {
      rest: {
        repos: {
          downloadTarballArchive: async (params: { ref: string; request: { parseSuccessResponseBody: boolean } }) => {
            calls.push(`tarball ${params.ref} parse=${params.request.parseSuccessResponseBody}`);
            const body = await tarballBody();
            return { data: Readable.toWeb(Readable.from([body])) };
          },
        },
        git: {
          getBlob: async ({ file_sha }: { file_sha: string }) => {
            calls.push(`blob ${file_sha}`);
            return { data: { content: Buffer.from(byShas.get(file_sha)!).toString('base64'), encoding: 'base64' } };
          },
        },
      },
    };
    return { octokit: octokit as unknown as Octokit, calls };
  }
  const logger = () => {
    const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
    return { lines, log: { info: (fields: object, msg: string) => lines.push({ level: 'info', fields: fields as Record<string, unknown>, msg }), warn: (fields: object, msg: string) => lines.push({ level: 'warn', fields: fields as Record<string, unknown>, msg }) } as never };
  };
  const entries = Object.entries(FILES).map(([p, c]) => entry(p, c));

  test('at or under the threshold nothing is downloaded; over it, one tarball seeds every verified blob', async () => {
    const { octokit, calls } = fakeOctokit(() => tarball(Object.entries(FILES).map(([name, content]) => ({ name, content }))));
    const { lines, log } = logger();
    const reader = new BlobReader(octokit, at, { log, tarball: { threshold: 3 } });
    expect(await reader.prefetch('c0ffee', entries)).toBeUndefined();
    expect(calls).toEqual([]);

    const eager = new BlobReader(octokit, at, { log, tarball: { threshold: 2 } });
    expect(await eager.prefetch('c0ffee', entries)).toBeUndefined();
    expect(await Promise.all(entries.map((e) => eager.read(e.sha)))).toEqual(Object.values(FILES));
    expect(await eager.read(blobSha(DEPLOY))).toBe(DEPLOY);
    expect(calls).toEqual(['tarball c0ffee parse=false']);
    expect(eager.stats).toEqual({ fetched: 0, reused: 1, tarballs: 1, tarballFiles: 3 });
    // Structured figures, never contents.
    expect(lines).toEqual([{ level: 'info', msg: 'read 3 files of c0ffee from its tarball', fields: { owner: 'octo-org', repo: 'shop', commit: 'c0ffee', purpose: 'prefetch', wanted: 3, kept: 3, listed: 0, mismatched: 0, skipped: 0, bytes: expect.any(Number), ms: expect.any(Number) } }]);
    expect(JSON.stringify(lines)).not.toContain('Deployment');
  });

  test('a file the tarball lacks or alters is read by blob; a failed download warns and reads every blob', async () => {
    const altered = fakeOctokit(() => tarball([{ name: 'k8s/deployment.yaml', content: `${DEPLOY}# changed by export-subst\n` }, { name: 'k8s/service.yaml', content: SERVICE }]));
    const reader = new BlobReader(altered.octokit, at, { tarball: { threshold: 1 } });
    expect(await reader.prefetch('c0ffee', entries)).toBeUndefined();
    await Promise.all(entries.map((e) => reader.read(e.sha)));
    expect(altered.calls).toEqual(['tarball c0ffee parse=false', `blob ${blobSha(DEPLOY)}`, `blob ${blobSha('openapi: 3.0.0\n')}`]);
    expect(reader.stats).toEqual({ fetched: 2, reused: 0, tarballs: 1, tarballFiles: 1 });

    const failing = fakeOctokit(() => Promise.reject(Object.assign(new Error('Service Unavailable'), { status: 503 })));
    const { lines, log } = logger();
    const fallback = new BlobReader(failing.octokit, at, { log, tarball: { threshold: 1 } });
    expect(await fallback.prefetch('c0ffee1234567890', entries)).toEqual({ file: '', level: 'warning', code: 'tarball-failed', message: 'could not read 3 files of c0ffee123456 from its tarball (GitHub answered 503: Service Unavailable): 3 of them are read one by one instead, one API call each' });
    expect(await Promise.all(entries.map((e) => fallback.read(e.sha)))).toEqual(Object.values(FILES));
    expect(failing.calls).toHaveLength(4);
    expect(lines.map((l) => [l.level, l.msg, l.fields.reason])).toEqual([['warn', 'tarball of c0ffee123456 failed: reading blobs one by one', 'GitHub answered 503: Service Unavailable']]);
  });

  test('threshold 0 never downloads a tarball, not even to list a truncated tree', async () => {
    const { octokit, calls } = fakeOctokit(() => tarball([]));
    const reader = new BlobReader(octokit, at, { tarball: { threshold: 0 } });
    expect(await reader.prefetch('c0ffee', entries)).toBeUndefined();
    expect(await reader.listFromTarball('c0ffee', [])).toBeUndefined();
    expect(calls).toEqual([]);
  });

  test('a truncated listing is completed from the tarball; the tree SHAs win where both name a path', async () => {
    const { octokit } = fakeOctokit(() => tarball([{ name: 'k8s/deployment.yaml', content: DEPLOY }, { name: 'k8s/service.yaml', content: SERVICE }, { name: 'README.md', content: '# shop\n' }]));
    const reader = new BlobReader(octokit, at, { tarball: { threshold: 100 } });
    const partial = [{ path: 'k8s/deployment.yaml', sha: blobSha(DEPLOY), size: DEPLOY.length }, { path: 'docs/ignored.md', sha: 'f'.repeat(40), size: 3 }];
    expect(await reader.listFromTarball('c0ffee', partial)).toEqual({
      entries: [...partial, { path: 'k8s/service.yaml', sha: blobSha(SERVICE), size: SERVICE.length }, { path: 'README.md', sha: blobSha('# shop\n'), size: 7 }],
    });
    // Model-file candidates were kept: reading them costs nothing more.
    expect(await reader.read(blobSha(SERVICE))).toBe(SERVICE);
    expect(reader.stats).toEqual({ fetched: 0, reused: 0, tarballs: 1, tarballFiles: 2 });
  });
});
