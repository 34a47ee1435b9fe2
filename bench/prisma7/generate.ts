/**
 * `pnpm --filter @acme/bench-prisma7 generate`: regenerates ./generated
 * (committed, like zenstack/schema.ts) from schema.prisma. Offline: `prisma
 * generate` wants to download a schema engine it never runs; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at any executable skips that
 * (../shared/notes/toolchain.md).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
execFileSync(process.execPath, [cli, 'generate', '--config', 'prisma.config.ts'], {
  cwd: import.meta.dirname,
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1' },
});
