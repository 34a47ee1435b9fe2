import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createScratchDatabase, dropDatabase } from '../database.ts';
import { runTool } from '../tool-env.ts';
import { MAIN_SCHEMA, type SchemaTarget, schemaEnv } from './schema-targets.ts';

export type DriftResult = { kind: 'in-sync' } | { kind: 'drift'; sql: string } | { kind: 'skipped'; reason: string };

/** The live schema as a Prisma datamodel (introspection), without Prisma's warning preamble. */
export async function pullDatamodel(url: string): Promise<string> {
  const res = await runTool('prisma', ['db', 'pull', '--print'], { env: { DATABASE_URL: url }, quiet: true });
  if (res.code !== 0) throw new Error(`prisma db pull failed:\n${res.stderr || res.stdout}`);
  // Prisma prints its driver-adapter warning on stdout, ahead of the datamodel.
  const start = res.stdout.search(/^(generator|datasource) /m);
  return start >= 0 ? res.stdout.slice(start) : res.stdout;
}

/**
 * Compares the live database with the schema the committed migrations build.
 *
 * Prisma cannot diff against a live database when it runs through a driver
 * adapter (the only engine that works offline), so we build the expected
 * schema ourselves: apply the migrations to a scratch database, introspect
 * both, and diff the two datamodels. The scratch database is always dropped.
 */
export async function checkDrift(url: string, target: SchemaTarget = MAIN_SCHEMA): Promise<DriftResult> {
  let scratch: string;
  try {
    scratch = await createScratchDatabase(url, 'acme_drift');
  } catch (err) {
    return { kind: 'skipped', reason: `cannot create a scratch database (${(err as Error).message})` };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'acme-drift-'));
  try {
    const deploy = await runTool('prisma', ['migrate', 'deploy'], {
      env: { DATABASE_URL: scratch, ...schemaEnv(target) },
      quiet: true,
    });
    if (deploy.code !== 0)
      throw new Error(`the committed migrations do not apply cleanly:\n${deploy.stdout}${deploy.stderr}`);
    const [expected, live] = await Promise.all([pullDatamodel(scratch), pullDatamodel(url)]);
    writeFileSync(path.join(dir, 'expected.prisma'), expected);
    writeFileSync(path.join(dir, 'live.prisma'), live);
    const diff = await runTool(
      'prisma',
      [
        'migrate',
        'diff',
        '--from-schema-datamodel',
        path.join(dir, 'expected.prisma'),
        '--to-schema-datamodel',
        path.join(dir, 'live.prisma'),
        '--script',
      ],
      { quiet: true },
    );
    if (diff.code !== 0) throw new Error(`prisma migrate diff failed:\n${diff.stderr}`);
    const sql = diff.stdout.trim();
    return sql === '' || /^-- This is an empty migration\.?$/.test(sql) ? { kind: 'in-sync' } : { kind: 'drift', sql };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(scratch);
  }
}
