/**
 * The `pnpm db:org:*` commands, and `db:migrate:deploy` / `db:status` when
 * CENTRAL_DATABASE_URL turns organization mode on. scripts/db.ts hands
 * these over; everything else there stays single-database.
 */
import { parseArgs } from 'node:util';
import { redactUrl } from '@acme/db/config';
import { readOrgConfig } from '@acme/db/orgs';
import { checkDrift } from '../migrate/drift.ts';
import { CENTRAL_SCHEMA } from '../migrate/schema-targets.ts';
import { loadDotEnv } from '../tool-env.ts';
import { deployAll, statusAll } from './deploy.ts';
import { migrationState } from './migrations.ts';
import { checkSlug, createOrganization, OrgCommandError, setOrganizationStatus } from './provision.ts';
import { findOrganization, openCentral } from './registry.ts';
import { resolveMigration } from './resolve.ts';

export const ORG_COMMANDS = [
  'org:create',
  'org:list',
  'org:suspend',
  'org:archive',
  'org:activate',
  'org:member',
  'org:resolve',
];

/** Whether scripts/db.ts should hand `command` to this file. */
export function isOrgCommand(command: string): boolean {
  loadDotEnv();
  if (ORG_COMMANDS.includes(command)) return true;
  return Boolean(process.env.CENTRAL_DATABASE_URL) && (command === 'deploy' || command === 'status');
}

const log = (line: string) => console.log(line);

function parse(argv: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']) {
  return parseArgs({ args: argv, options: options ?? {}, strict: true, allowPositionals: true });
}

const concurrency = (raw: unknown) => {
  const n = Number(raw ?? process.env.ORG_DEPLOY_CONCURRENCY ?? 4);
  if (!Number.isInteger(n) || n < 1) throw new OrgCommandError('--concurrency must be a whole number >= 1');
  return n;
};

export async function runOrgCommand(command: string, argv: string[]): Promise<number> {
  if (!process.env.CENTRAL_DATABASE_URL) {
    console.error(
      `db:${command} needs organization mode: set CENTRAL_DATABASE_URL (the central database; see README "Organizations").`,
    );
    return 64;
  }
  const config = readOrgConfig();
  const central = openCentral(config);
  console.log(`[db:${command}] central database ${redactUrl(config.centralUrl)}`);
  try {
    return await run(command, argv, config, central);
  } catch (err) {
    console.error(`[db:${command}] ${(err as Error).message}`);
    return err instanceof OrgCommandError ? 64 : 1;
  } finally {
    await central.close();
  }
}

async function run(
  command: string,
  argv: string[],
  config: ReturnType<typeof readOrgConfig>,
  central: ReturnType<typeof openCentral>,
): Promise<number> {
  switch (command) {
    case 'org:create': {
      const { values, positionals } = parse(argv, { name: { type: 'string' }, server: { type: 'string' } });
      const slug = checkSlug(positionals[0]);
      const opts = { slug, name: values.name as string | undefined, server: values.server as string | undefined };
      const result = await createOrganization(config, central, opts, log);
      log(
        result.registered
          ? `${slug}: registered (${result.record.status}), database ${result.record.dbName}`
          : `${slug}: already registered (${result.record.status}); its database is up to date`,
      );
      return 0;
    }
    case 'org:suspend':
    case 'org:archive':
    case 'org:activate': {
      const { positionals } = parse(argv, {});
      const status = ({ 'org:suspend': 'suspended', 'org:archive': 'archived', 'org:activate': 'active' } as const)[
        command
      ];
      const { before } = await setOrganizationStatus(central, positionals[0] ?? '', status);
      log(`${positionals[0]}: ${before} -> ${status} (running processes see it within ORG_DIRECTORY_TTL_MS)`);
      return 0;
    }
    case 'org:member': {
      const { values, positionals } = parse(argv, { role: { type: 'string' } });
      const [slug, userId] = positionals;
      const role = (values.role as string | undefined) ?? 'USER';
      if (!userId || !['USER', 'ADMIN', 'SUPPORT'].includes(role)) {
        throw new OrgCommandError('usage: pnpm db:org:member <slug> <userId> [--role USER|ADMIN|SUPPORT]');
      }
      const org = await findOrganization(central, checkSlug(slug));
      if (!org) throw new OrgCommandError(`No organization ${JSON.stringify(slug)} is registered.`);
      await central.db.organizationMember.upsert({
        where: { organizationId_userId: { organizationId: org.id, userId } },
        create: { organizationId: org.id, userId, role },
        update: { role },
      });
      log(`${userId} is ${role} in ${slug}`);
      return 0;
    }
    case 'org:resolve': {
      const { values, positionals } = parse(argv, { 'rolled-back': { type: 'string' }, applied: { type: 'string' } });
      const input = {
        slug: positionals[0] ?? '',
        ...(values['rolled-back'] ? { rolledBack: values['rolled-back'] as string } : {}),
        ...(values.applied ? { applied: values.applied as string } : {}),
      };
      log(await resolveMigration(config, central, input));
      return 0;
    }
    case 'org:list': {
      const { values } = parse(argv, { concurrency: { type: 'string' } });
      const rows = await statusAll(config, central, {
        drift: false,
        concurrency: concurrency(values.concurrency ?? 8),
      });
      log(['slug'.padEnd(24), 'status'.padEnd(10), 'schema version'.padEnd(52), 'pending'].join(' '));
      for (const r of rows) {
        const version = r.error ? `unreachable: ${r.error}` : (r.missing ?? r.state?.version ?? '(none)');
        const pending = r.state ? String(r.state.pending.length + r.state.failed.length) : '?';
        log([r.slug.padEnd(24), r.status.padEnd(10), version.padEnd(52), pending].join(' '));
      }
      return 0;
    }
    case 'deploy': {
      const { values } = parse(argv, { org: { type: 'string' }, concurrency: { type: 'string' } });
      if (values.org) checkSlug(values.org as string);
      const results = await deployAll(config, central, {
        ...(values.org ? { only: values.org as string } : {}),
        concurrency: concurrency(values.concurrency),
        log,
      });
      const failed = results.filter((r) => !r.ok);
      log(`${results.length - failed.length} of ${results.length} organizations deployed.`);
      if (failed.length) {
        // Again at the end, one line each: the per-organization lines of 1,000 scroll away.
        for (const f of failed) console.error(`  ${f.slug}: ${f.detail}`);
        console.error(`Failed: ${failed.map((f) => f.slug).join(', ')}`);
        return 1;
      }
      return 0;
    }
    case 'status': {
      const { values } = parse(argv, {
        'no-drift': { type: 'boolean' },
        concurrency: { type: 'string' },
        org: { type: 'string' },
      });
      const drift = values['no-drift'] !== true;
      const only = values.org ? checkSlug(values.org as string) : undefined;
      const c = await migrationState(config.centralUrl, CENTRAL_SCHEMA);
      log(`central: ${c.applied.length} applied, ${c.pending.length} pending, ${c.failed.length} failed`);
      let worst = c.pending.length || c.failed.length ? 1 : 0;
      if (drift && !only) {
        const d = await checkDrift(config.centralUrl, CENTRAL_SCHEMA);
        log(`central: drift ${d.kind === 'drift' ? `DRIFT\n${d.sql}` : d.kind === 'skipped' ? d.reason : 'none'}`);
        if (d.kind === 'drift') worst = 2;
      }
      const opts = { drift, concurrency: concurrency(values.concurrency), ...(only ? { only } : {}) };
      for (const r of await statusAll(config, central, opts)) {
        if (r.missing) {
          // Archiving comes before dropping a database; any other status routes sessions to it.
          log(`${r.slug} (${r.status}): ${r.missing}`);
          if (r.status !== 'archived') worst = Math.max(worst, 1);
          continue;
        }
        if (r.error || !r.state) {
          log(`${r.slug} (${r.status}): unreachable: ${r.error}`);
          worst = Math.max(worst, 1);
          continue;
        }
        const s = r.state;
        const pending = s.pending.length ? ` (${s.pending.join(', ')})` : '';
        log(
          `${r.slug} (${r.status}): ${s.applied.length} applied, ${s.pending.length} pending${pending}, ` +
            `${s.failed.length} failed${r.drift ? `, drift ${r.drift}` : ''}`,
        );
        if (r.drift?.startsWith('DRIFT')) worst = 2;
        else if (s.pending.length || s.failed.length) worst = Math.max(worst, 1);
      }
      return worst;
    }
  }
  throw new OrgCommandError(`Unknown command db:${command}`);
}
