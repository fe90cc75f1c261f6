import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { CACHE_FILE } from '../../src/cache/sqlite.js';
import { StoreSchemaError } from '../../src/store/rows.js';
import { APPLICATION_ID, SQLITE_MIGRATIONS, SqliteStore } from '../../src/store/sqlite.js';
import { cacheContract, fragmentEntry, storeContract } from './contract.js';

const Db = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => BetterSqlite3.Database;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'td-store-'));
  file = join(dir, 'state', 'threatdiff.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite store: the Store contract', () => {
  storeContract(async () => {
    let current = new SqliteStore({ file });
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = new SqliteStore({ file });
        return current;
      },
      close: () => current.close(),
    };
  });
});

describe('SQLite store: the engine cache contract', () => {
  cacheContract(async ({ maxBytes }) => {
    const options = { file, ...(maxBytes ? { cache: { maxBytes } } : {}) };
    let current = new SqliteStore(options);
    return {
      get cache() {
        return current;
      },
      reopen: async () => {
        await current.close();
        current = new SqliteStore(options);
        return current;
      },
      close: () => current.close(),
      damageFragment: async (key) => {
        const db = new Db(join(dir, 'state', CACHE_FILE));
        db.prepare('UPDATE fragments SET data = ? WHERE key = ?').run(Buffer.from(JSON.stringify(fragmentEntry('evil.yaml'))), key);
        db.close();
      },
      tick: () => undefined,
    };
  });
});

describe('SQLite store: never trusting the file', () => {
  test('a file that is not SQLite is moved aside and a new store created', async () => {
    const s0 = new SqliteStore({ file });
    await s0.close();
    writeFileSync(file, 'garbage '.repeat(4096));
    const s = new SqliteStore({ file });
    expect(s.recovered).toMatch(/not a database/);
    expect(readFileSync(`${file}.corrupt`, 'utf8').startsWith('garbage ')).toBe(true);
    expect(await s.listAcceptances('octo/shop')).toEqual([]);
    await s.putAcceptance('octo/shop', { id: 'TD-1', reason: 'r', by: 'a', at: 't' });
    await s.close();
    const again = new SqliteStore({ file });
    expect(again.recovered).toBeUndefined();
    expect((await again.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
    await again.close();
  });

  test('damaged pages fail the integrity check: the file is rebuilt, not read', async () => {
    const s0 = new SqliteStore({ file });
    // Enough rows for several b-tree pages, then a checkpoint so they are in the main file.
    await s0.addCommentedFindings({ repo: 'octo/shop', pull: 1 }, [...Array(2000).keys()].map((i) => `TD-${i.toString(16).padStart(8, '0')}`));
    s0.database.pragma('wal_checkpoint(TRUNCATE)');
    await s0.close();
    const bytes = readFileSync(file);
    const pageSize = 4096;
    expect(bytes.length).toBeGreaterThan(pageSize * 8);
    // Overwrite three pages in the middle of the file, where the rows are (the first pages are the empty tables' roots).
    const middle = Math.floor(bytes.length / pageSize / 2);
    for (let p = middle; p < middle + 3; p++) bytes.fill(0xa5, p * pageSize + 100, p * pageSize + 3000);
    writeFileSync(file, bytes);
    const s = new SqliteStore({ file });
    expect(s.recovered).toBeDefined();
    expect(existsSync(`${file}.corrupt`)).toBe(true);
    expect(await s.listCommentedFindings({ repo: 'octo/shop', pull: 1 })).toEqual([]);
    await s.close();
  });

  test("another program's SQLite file is not taken over", async () => {
    const db = new Db(file.replace('state/', ''));
    db.exec('CREATE TABLE acceptances (x TEXT); INSERT INTO acceptances VALUES (1)');
    db.close();
    const foreign = file.replace('state/', '');
    const s = new SqliteStore({ file: foreign });
    expect(s.recovered).toBe('not a threatdiff store (application_id 0)');
    expect(await s.listAcceptances('octo/shop')).toEqual([]);
    await s.close();
    const kept = new Db(`${foreign}.corrupt`);
    expect(kept.prepare('SELECT x FROM acceptances').all()).toEqual([{ x: '1' }]);
    kept.close();
  });

  test('a row that is not valid reads as absent, and the rest still reads', async () => {
    const s = new SqliteStore({ file });
    const pr = { repo: 'octo/shop', pull: 3 };
    await s.putAcceptance('octo/shop', { id: 'TD-1', reason: 'ok', by: 'a', at: 't' });
    await s.putAcceptance('octo/shop', { id: 'TD-2', reason: 'ok', by: 'a', at: 't' });
    await s.setPullFindings(pr, { head: 'h', findings: [] });
    await s.setStickyComment(pr, { commentId: 1, digest: 'd' });
    s.database.prepare(`UPDATE acceptances SET data = '{"id": 5}' WHERE id = 'TD-1'`).run();
    s.database.prepare(`UPDATE pull_findings SET data = '{"head": "h", "findings": "nope"'`).run();
    s.database.prepare(`UPDATE sticky SET comment_id = 'x'`).run();
    expect((await s.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-2']);
    expect(await s.getPullFindings(pr)).toBeUndefined();
    expect(await s.getStickyComment(pr)).toBeUndefined();
    await s.close();
  });

  test('the engine cache file is separate: a corrupt cache is rebuilt and the store keeps its data', async () => {
    const s0 = new SqliteStore({ file });
    await s0.putAcceptance('octo/shop', { id: 'TD-1', reason: 'r', by: 'a', at: 't' });
    await s0.set('k', fragmentEntry('a.yaml'));
    await s0.close();
    writeFileSync(join(dir, 'state', CACHE_FILE), 'not a cache'.repeat(100));
    const s = new SqliteStore({ file });
    expect(s.recovered).toBeUndefined();
    expect(s.stats.corrupt).toBe(1);
    expect(await s.get('k')).toBeUndefined();
    expect((await s.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
    await s.close();
  });

  test('fragment writes reach the file without an explicit flush (the app never calls it)', async () => {
    const s = new SqliteStore({ file, cacheFlushMs: 10 });
    await s.set('k', fragmentEntry('a.yaml'));
    const deadline = Date.now() + 2000;
    const count = () => {
      const db = new Db(join(dir, 'state', CACHE_FILE));
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM fragments').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(count()).toBe(1);
    await s.close();
  });
});

describe('SQLite store: schema versions', () => {
  test('a new file gets the current version and our application id', async () => {
    const s = new SqliteStore({ file });
    expect(s.database.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.at(-1)!.version);
    expect(s.database.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    await s.close();
  });

  test('an older file is migrated step by step and keeps its data', async () => {
    const s1 = new SqliteStore({ file });
    await s1.putAcceptance('octo/shop', { id: 'TD-1', reason: 'r', by: 'a', at: 't' });
    await s1.close();
    const v2 = [...SQLITE_MIGRATIONS, { version: SQLITE_MIGRATIONS.length + 1, description: 'test: a note per acceptance', sql: `ALTER TABLE acceptances ADD COLUMN note TEXT NOT NULL DEFAULT 'none'` }];
    const s2 = new SqliteStore({ file, migrations: v2 });
    expect(s2.database.pragma('user_version', { simple: true })).toBe(v2.length);
    expect(s2.database.prepare('SELECT id, note FROM acceptances').all()).toEqual([{ id: 'TD-1', note: 'none' }]);
    expect((await s2.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
    await s2.close();
  });

  test('a failing step is rolled back: the version and data stay as they were', async () => {
    const s1 = new SqliteStore({ file });
    await s1.putAcceptance('octo/shop', { id: 'TD-1', reason: 'r', by: 'a', at: 't' });
    await s1.close();
    const broken = [...SQLITE_MIGRATIONS, { version: SQLITE_MIGRATIONS.length + 1, description: 'test: broken', sql: `ALTER TABLE acceptances ADD COLUMN x TEXT; CREATE TABLE broken (` }];
    expect(() => new SqliteStore({ file, migrations: broken })).toThrow(/syntax error|incomplete input/);
    const s = new SqliteStore({ file });
    expect(s.database.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    expect(s.database.prepare(`SELECT COUNT(*) AS n FROM pragma_table_info('acceptances') WHERE name = 'x'`).get()).toEqual({ n: 0 });
    expect((await s.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
    await s.close();
  });

  test('a file from a newer threatdiff is refused and left untouched', async () => {
    const s1 = new SqliteStore({ file });
    await s1.putAcceptance('octo/shop', { id: 'TD-1', reason: 'r', by: 'a', at: 't' });
    s1.database.pragma('user_version = 99');
    await s1.close();
    const before = statSync(file).size;
    expect(() => new SqliteStore({ file })).toThrow(StoreSchemaError);
    expect(() => new SqliteStore({ file })).toThrow(/newer threatdiff \(schema 99, this one knows 1\)/);
    expect(existsSync(`${file}.corrupt`)).toBe(false);
    expect(statSync(file).size).toBe(before);
  });
});
