import pg from 'pg';
import { StoreSchemaError } from '../../src/store/rows.js';
import { PG_MIGRATIONS, PostgresStore, migratePostgres } from '../../src/store/postgres.js';
import { cacheContract, fragmentEntry, storeContract } from './contract.js';
import { describeWithService, uniqueName } from './services.js';

describeWithService('PostgreSQL store', 'DATABASE_URL_TEST', (url) => {
  const schemas: string[] = [];
  let admin: pg.Pool;
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  });
  const freshSchema = () => {
    const s = uniqueName('td_test').toLowerCase();
    schemas.push(s);
    return s;
  };

  describe('the Store contract', () => {
    storeContract(async () => {
      const schema = freshSchema();
      let current = new PostgresStore({ connectionString: url, schema, poolSize: 2 });
      return {
        store: current,
        reopen: async () => {
          await current.close();
          current = new PostgresStore({ connectionString: url, schema, poolSize: 2 });
          return current;
        },
        close: () => current.close(),
      };
    });
  });

  describe('the engine cache contract', () => {
    cacheContract(async ({ maxBytes }) => {
      const schema = freshSchema();
      let clock = 1_000;
      const options = { connectionString: url, schema, poolSize: 2, evictIntervalMs: 0, now: () => clock, ...(maxBytes ? { maxCacheBytes: maxBytes } : {}) };
      let current = new PostgresStore(options);
      return {
        get cache() {
          return current;
        },
        reopen: async () => {
          await current.close();
          current = new PostgresStore(options);
          return current;
        },
        close: () => current.close(),
        damageFragment: async (key) => {
          await admin.query(`UPDATE "${schema}".fragments SET data = $1 WHERE key = $2`, [Buffer.from(JSON.stringify(fragmentEntry('evil.yaml'))), key]);
        },
        tick: () => {
          clock += 1_000;
        },
      };
    });
  });

  describe('several instances on one database', () => {
    test('instances starting at once all migrate safely, to one version', async () => {
      const schema = freshSchema();
      const stores = [...Array(5)].map(() => new PostgresStore({ connectionString: url, schema, poolSize: 1 }));
      await Promise.all(stores.map((s) => s.init()));
      const meta = await admin.query(`SELECT key, value FROM "${schema}".meta ORDER BY key`);
      expect(meta.rows).toEqual([
        { key: 'compat', value: '0' },
        { key: 'schema', value: String(PG_MIGRATIONS.at(-1)!.version) },
      ]);
      await Promise.all(stores.map((s) => s.close()));
    });

    test('a webhook delivery is claimed by exactly one instance', async () => {
      const schema = freshSchema();
      const a = new PostgresStore({ connectionString: url, schema, poolSize: 4 });
      const b = new PostgresStore({ connectionString: url, schema, poolSize: 4 });
      await Promise.all([a.init(), b.init()]);
      const ids = [...Array(20).keys()].map((i) => `delivery-${i}`);
      const claims = await Promise.all(ids.flatMap((id) => [a.claimDelivery(id), b.claimDelivery(id), a.claimDelivery(id)]));
      expect(claims.filter(Boolean)).toHaveLength(20);
      await Promise.all([a.close(), b.close()]);
    });

    test('a delivery older than a day can be claimed again', async () => {
      const schema = freshSchema();
      let clock = Date.UTC(2025, 0, 1);
      const s = new PostgresStore({ connectionString: url, schema, now: () => clock });
      expect(await s.claimDelivery('d')).toBe(true);
      clock += 23 * 3600_000;
      expect(await s.claimDelivery('d')).toBe(false);
      clock += 2 * 3600_000;
      expect(await s.claimDelivery('d')).toBe(true);
      await s.close();
    });

    test('a fragment parsed by one instance is a hit for another; so is an analysis', async () => {
      const schema = freshSchema();
      const a = new PostgresStore({ connectionString: url, schema, poolSize: 2 });
      const b = new PostgresStore({ connectionString: url, schema, poolSize: 2 });
      await a.set('blob-1', fragmentEntry('svc/a.yaml'));
      await a.setGraph('tree-1', new Uint8Array([7, 7, 7]));
      await a.flush();
      expect(await b.get('blob-1')).toEqual(fragmentEntry('svc/a.yaml'));
      expect([...(await b.getGraph('tree-1'))!]).toEqual([7, 7, 7]);
      expect(b.stats).toMatchObject({ fragmentHits: 1, graphHits: 1 });
      await Promise.all([a.close(), b.close()]);
    });

    test('buffered fragment writes are sent without an explicit flush', async () => {
      const schema = freshSchema();
      const a = new PostgresStore({ connectionString: url, schema, poolSize: 2, flushDelayMs: 5 });
      await a.set('blob-1', fragmentEntry('svc/a.yaml'));
      const deadline = Date.now() + 3000;
      let rows = 0;
      while (rows === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        rows = (await admin.query(`SELECT COUNT(*)::int AS n FROM "${schema}".fragments`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n;
      }
      expect(rows).toBe(1);
      await a.close();
    });
  });

  describe('never trusting a row', () => {
    test('a cache row of the wrong shape, or a store row that does not decode, reads as absent', async () => {
      const schema = freshSchema();
      const s = new PostgresStore({ connectionString: url, schema });
      await s.putAcceptance('octo/shop', { id: 'TD-1', reason: 'ok', by: 'a', at: 't' });
      await s.putAcceptance('octo/shop', { id: 'TD-2', reason: 'ok', by: 'a', at: 't' });
      await s.setPullFindings({ repo: 'octo/shop', pull: 1 }, { head: 'h', findings: [] });
      await s.raw(`UPDATE $schema.acceptances SET data = '[1,2]' WHERE id = 'TD-2'`);
      await s.raw(`UPDATE $schema.pull_findings SET data = 'not json'`);
      const { crc32 } = await import('node:zlib');
      const bad = Buffer.from(JSON.stringify({ fragment: { file: 'x', elements: 'no' }, deps: [] }));
      await s.raw(`INSERT INTO $schema.fragments (key, data, sum, size, used) VALUES ('k', $1, $2, $3, 1)`, [bad, crc32(bad), bad.length]);
      expect((await s.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
      expect(await s.getPullFindings({ repo: 'octo/shop', pull: 1 })).toBeUndefined();
      expect(await s.get('k')).toBeUndefined();
      expect(s.stats.corrupt).toBe(1);
      await s.close();
    });

    test('a damaged analysis is a miss and is deleted', async () => {
      const schema = freshSchema();
      const s = new PostgresStore({ connectionString: url, schema });
      await s.setGraph('g', new Uint8Array([1, 2, 3]));
      await s.raw(`UPDATE $schema.graphs SET data = '\\x010204'::bytea`);
      expect(await s.getGraph('g')).toBeUndefined();
      expect(await s.raw(`SELECT key FROM $schema.graphs`)).toEqual([]);
      expect(s.stats).toMatchObject({ corrupt: 1, graphMisses: 1 });
      await s.close();
    });

    test('graphs beyond maxGraphs are evicted, least recently used first', async () => {
      const schema = freshSchema();
      let clock = 1;
      const s = new PostgresStore({ connectionString: url, schema, maxGraphs: 2, evictIntervalMs: 0, now: () => clock++ });
      await s.setGraph('g1', new Uint8Array([1]));
      await s.setGraph('g2', new Uint8Array([2]));
      await s.getGraph('g1');
      await s.setGraph('g3', new Uint8Array([3]));
      await s.flush();
      expect((await s.raw(`SELECT key FROM $schema.graphs ORDER BY key`)).map((r) => r.key)).toEqual(['g1', 'g3']);
      expect(s.stats.evicted).toBe(1);
      await s.close();
    });
  });

  describe('schema versions', () => {
    test('an older database is migrated step by step and keeps its data', async () => {
      const schema = freshSchema();
      const s1 = new PostgresStore({ connectionString: url, schema });
      await s1.putAcceptance('octo/shop', { id: 'TD-1', reason: 'r', by: 'a', at: 't' });
      await s1.close();
      const next = PG_MIGRATIONS.at(-1)!.version + 1;
      const v2 = [...PG_MIGRATIONS, { version: next, description: 'test: a note per acceptance', sql: `ALTER TABLE acceptances ADD COLUMN note TEXT NOT NULL DEFAULT 'none'` }];
      const s2 = new PostgresStore({ connectionString: url, schema, migrations: v2 });
      expect((await s2.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
      expect(await s2.raw(`SELECT id, note FROM $schema.acceptances`)).toEqual([{ id: 'TD-1', note: 'none' }]);
      expect(await s2.raw(`SELECT value FROM $schema.meta WHERE key = 'schema'`)).toEqual([{ value: String(next) }]);
      await s2.close();
      // An older instance still running during a rolling upgrade: the additive step does not lock it out.
      const old = new PostgresStore({ connectionString: url, schema });
      expect((await old.listAcceptances('octo/shop')).map((a) => a.id)).toEqual(['TD-1']);
      await old.close();
    });

    test('a failing step is rolled back whole', async () => {
      const schema = freshSchema();
      const s1 = new PostgresStore({ connectionString: url, schema });
      await s1.init();
      await s1.close();
      const next = PG_MIGRATIONS.at(-1)!.version + 1;
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      await expect(migratePostgres(pool, schema, [...PG_MIGRATIONS, { version: next, description: 'broken', sql: 'ALTER TABLE acceptances ADD COLUMN x TEXT; SELECT * FROM no_such_table' }])).rejects.toThrow(/no_such_table/);
      await pool.end();
      expect((await admin.query(`SELECT value FROM "${schema}".meta WHERE key = 'schema'`)).rows).toEqual([{ value: String(next - 1) }]);
      expect((await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'acceptances' AND column_name = 'x'`, [schema])).rows).toEqual([]);
    });

    test('a database a newer threatdiff changed incompatibly is refused; every call says why', async () => {
      const schema = freshSchema();
      const s1 = new PostgresStore({ connectionString: url, schema });
      await s1.init();
      await s1.close();
      await admin.query(`UPDATE "${schema}".meta SET value = '7' WHERE key = 'schema'`);
      await admin.query(`UPDATE "${schema}".meta SET value = '6' WHERE key = 'compat'`);
      const s = new PostgresStore({ connectionString: url, schema });
      await expect(s.init()).rejects.toThrow(StoreSchemaError);
      await expect(s.getLatestHead({ repo: 'a/b', pull: 1 })).rejects.toThrow(/changed by a newer threatdiff \(schema 7, needs at least 6; this one knows 1\)/);
      await s.close();
    });

    test('a newer but compatible database is used as it is', async () => {
      const schema = freshSchema();
      const s1 = new PostgresStore({ connectionString: url, schema });
      await s1.setLatestHead({ repo: 'a/b', pull: 1 }, 'abc');
      await s1.close();
      await admin.query(`UPDATE "${schema}".meta SET value = '3' WHERE key = 'schema'`);
      const s = new PostgresStore({ connectionString: url, schema });
      expect(await s.getLatestHead({ repo: 'a/b', pull: 1 })).toBe('abc');
      expect((await admin.query(`SELECT value FROM "${schema}".meta WHERE key = 'schema'`)).rows).toEqual([{ value: '3' }]);
      await s.close();
    });

    test('an invalid schema name is refused before any SQL', () => {
      expect(() => new PostgresStore({ connectionString: url, schema: 'x"; DROP TABLE y; --' })).toThrow(/invalid PostgreSQL schema name/);
    });
  });
});
