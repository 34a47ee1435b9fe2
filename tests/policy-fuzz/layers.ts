/**
 * The layers every case runs on, each with a database of its own (a write
 * changes each layer's copy, and the copies may drift apart where the layers'
 * rules differ by design: SQL cannot know nesting). Chosen with
 * POLICY_LAYERS (default `orm,orm-plain,rls,sql`; `-plain` is the same layer with every fast path of
 * src/fast-path off, so the fast paths are checked against the same oracle as the plain path). A variant to compare (a fast path
 * switched on or off, a cache, a router) is one more entry here: give it a
 * name, a `createDb`, and it is checked against the same oracle.
 */
import pg from 'pg';
import { readDbConfig } from '../../src/config.ts';
import type { QueryCacheStats } from '../../src/fast-path/query-cache/index.ts';
import { type DbOptions, DbRuntime, type EnhancedClient } from '../../src/runtime.ts';
import { createScratchDatabase, databaseName, dropDatabase, withClient, withDatabase } from '../../tooling/database.ts';
import { deployMigrations } from '../../tooling/migrate/migrate.ts';
import type { World } from './world.ts';

export interface Layer {
  name: string;
  /** The owner's pool: loads worlds, reads the database back past row-level security. */
  owner: pg.Pool;
  /** ORM layers: a session client. */
  createDb?: (session: unknown, options?: DbOptions) => EnhancedClient;
  /** ORM layers: the compiled-query cache's counters (src/fast-path/query-cache). */
  queryCache?: () => QueryCacheStats;
  /** The SQL layer: the app role's pool. */
  app?: pg.Pool;
  /** What this layer's database must hold now. */
  world: World;
  close(): Promise<void>;
}

export const LAYER_NAMES = ['orm', 'orm-plain', 'rls', 'rls-plain', 'sql'] as const;

export async function openLayers(serverUrl: string, names: string[]): Promise<Layer[]> {
  const appUrl = process.env.APP_DATABASE_URL as string;
  const layers: Layer[] = [];
  for (const name of names) {
    if (!(LAYER_NAMES as readonly string[]).includes(name)) throw new Error(`POLICY_LAYERS: unknown layer ${name}`);
    const url = await createScratchDatabase(serverUrl, `acme_fuzz_${name.replace('-', '_')}`);
    await deployMigrations(url, { quiet: true });
    // A throwaway database: no need to wait for the WAL flush on every commit (thousands per run).
    await withClient(url, (c) => c.query(`ALTER DATABASE "${databaseName(url)}" SET synchronous_commit = off`));
    const owner = new pg.Pool({ connectionString: url, max: 2 });
    const layerApp = withDatabase(appUrl, databaseName(url));
    const layer: Layer = {
      name,
      owner,
      world: undefined as unknown as World,
      close: async () => {
        await owner.end();
        await dropDatabase(url);
      },
    };
    if (name === 'sql') {
      const app = new pg.Pool({ connectionString: layerApp, max: 2 });
      layer.app = app;
      layer.close = async () => {
        await app.end();
        await owner.end();
        await dropDatabase(url);
      };
    } else {
      // orm: sessions on the owner, so only the ORM's rules apply; rls: sessions on the app role as well.
      const rls = name.startsWith('rls');
      const env = { DATABASE_URL: url, ...(rls ? { APP_DATABASE_URL: layerApp } : {}), DB_POOL_MAX: '4' };
      const runtime = new DbRuntime(readDbConfig(env));
      const fastPaths = name.endsWith('-plain') ? { fastPaths: false } : {};
      layer.createDb = (session, options) => runtime.createDb(session as never, { ...options, ...fastPaths });
      layer.queryCache = () => runtime.poolStats().queryCache;
      layer.close = async () => {
        await runtime.close();
        await owner.end();
        await dropDatabase(url);
      };
    }
    layers.push(layer);
  }
  return layers;
}
