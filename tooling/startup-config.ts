import { checkSessionSecret, SessionSecretError } from '@acme/auth';
import { DbConfigError, readDbConfig } from '@acme/db/config';
import { readOrgConfig } from '@acme/db/orgs';
import { loadDotEnv } from './tool-env.ts';

/** Stands for the URLs the embedded development database provides when DATABASE_URL is not set. */
const DEV_PLACEHOLDER = 'postgresql://development-database.invalid/acme';

/**
 * Every setting a long-running entry point (`pnpm demo`, `pnpm studio`)
 * reads, checked before it starts a database, migrates or seeds: the
 * connection strings, pool numbers and replicas (readDbConfig), organization
 * mode's settings when it is on or `orgs` asks for it (readOrgConfig), and
 * AUTH_SECRET when the entry point signs tokens. A bad one is one line naming
 * the setting (never its value) and exit 64, not a stack trace, nor a refusal
 * after the migrations, the seed and the policy matrix have run.
 */
export function checkStartupConfig(label: string, opts: { authSecret?: boolean; orgs?: boolean } = {}): void {
  loadDotEnv();
  const env = process.env;
  try {
    // Without DATABASE_URL the development database supplies DATABASE_URL and APP_DATABASE_URL.
    const dbEnv = env.DATABASE_URL
      ? env
      : { ...env, DATABASE_URL: DEV_PLACEHOLDER, APP_DATABASE_URL: env.APP_DATABASE_URL || DEV_PLACEHOLDER };
    readDbConfig(dbEnv);
    if (env.CENTRAL_DATABASE_URL || opts.orgs) {
      readOrgConfig({ ...dbEnv, CENTRAL_DATABASE_URL: env.CENTRAL_DATABASE_URL || dbEnv.DATABASE_URL });
    }
    if (opts.authSecret && env.AUTH_SECRET) checkSessionSecret(env.AUTH_SECRET, 'AUTH_SECRET');
  } catch (err) {
    if (!(err instanceof DbConfigError || err instanceof SessionSecretError)) throw err;
    console.error(`[${label}] ${err.message}`);
    process.exit(64); // EX_USAGE, as the db:* commands exit on a bad setting
  }
}
