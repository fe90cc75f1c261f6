import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_FILE } from '../../src/cache/sqlite.js';
import { createStore, DEFAULT_DB_PATH, MemoryStore, PostgresStore, SqliteStore, StoreSchemaError } from '../../src/store/index.js';
import { fragmentEntry } from './contract.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'td-factory-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('without DATABASE_URL: SQLite at THREATDIFF_DB, the engine cache next to it, one object for both', async () => {
  const file = join(dir, 'db', 'td.db');
  const backend = createStore({ THREATDIFF_DB: file });
  expect(backend.kind).toBe('sqlite');
  expect(backend.store).toBeInstanceOf(SqliteStore);
  expect(backend.cache).toBe(backend.store);
  expect(backend.warning).toBeUndefined();
  await backend.cache.set('k', fragmentEntry('a.yaml'));
  await backend.close();
  expect(existsSync(file)).toBe(true);
  expect(existsSync(join(dir, 'db', CACHE_FILE))).toBe(true);
  const again = createStore({ THREATDIFF_DB: file });
  expect(await again.cache.get('k')).toEqual(fragmentEntry('a.yaml'));
  await again.close();
});

test('the default path is .threatdiff/threatdiff.db under the working directory', () => {
  expect(DEFAULT_DB_PATH).toBe('.threatdiff/threatdiff.db');
});

test('DATABASE_URL selects PostgreSQL without connecting (it connects and migrates on first use)', async () => {
  const backend = createStore({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', THREATDIFF_PG_SCHEMA: 'tenant_a', THREATDIFF_DB: join(dir, 'x.db') });
  expect(backend.kind).toBe('postgres');
  expect(backend.store).toBeInstanceOf(PostgresStore);
  expect(backend.cache).toBe(backend.store);
  expect(existsSync(join(dir, 'x.db'))).toBe(false);
  await backend.close();
});

test('THREATDIFF_STORE=memory: the in-process store', async () => {
  const backend = createStore({ THREATDIFF_STORE: 'memory' });
  expect(backend.kind).toBe('memory');
  expect(backend.store).toBeInstanceOf(MemoryStore);
  await backend.cache.set('k', fragmentEntry('a.yaml'));
  expect(await backend.cache.get('k')).toEqual(fragmentEntry('a.yaml'));
  await backend.close();
});

test('a folder that cannot be used falls back to memory, with a warning to log', async () => {
  writeFileSync(join(dir, 'a-file'), 'x');
  const backend = createStore({ THREATDIFF_DB: join(dir, 'a-file', 'sub', 'td.db') });
  expect(backend.kind).toBe('memory');
  expect(backend.warning).toMatch(/^the SQLite store at .*a-file\/sub\/td\.db cannot be used \(.*\); state is kept in memory and lost on restart$/);
  await backend.close();
});

test('a corrupt file is rebuilt and the warning says where the old one went', async () => {
  const file = join(dir, 'td.db');
  writeFileSync(file, 'not sqlite at all '.repeat(1000));
  const backend = createStore({ THREATDIFF_DB: file });
  expect(backend.kind).toBe('sqlite');
  expect(backend.warning).toBe(`the store at ${file} could not be trusted (file is not a database); it was moved to ${file}.corrupt and a new one created`);
  await backend.close();
});

test('a file from a newer threatdiff stops the start instead of being replaced', async () => {
  const file = join(dir, 'td.db');
  const s = new SqliteStore({ file });
  s.database.pragma('user_version = 42');
  await s.close();
  expect(() => createStore({ THREATDIFF_DB: file })).toThrow(StoreSchemaError);
});
