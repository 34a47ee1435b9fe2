/**
 * docs/api.md is generated from the routers (`pnpm docs:api`): regenerated here and compared, like the
 * generated-code check, so a procedure, an input limit or an output field cannot change without it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_REFERENCE, renderApiReference } from '../scripts/api-reference.ts';
import { appRouter } from '../src/root.ts';

describe('docs/api.md', () => {
  const generated = renderApiReference();

  it('is what the routers generate now (run `pnpm docs:api` and commit it)', () => {
    expect(readFileSync(API_REFERENCE, 'utf8')).toBe(generated);
  });

  it('has a section for every procedure, with its input and output', () => {
    const procedures = Object.keys((appRouter as unknown as { _def: { procedures: object } })._def.procedures);
    expect(procedures).toContain('clinic.byId');
    for (const p of procedures) expect(generated, p).toContain(`### \`${p}\`\n`);
    expect(generated.match(/^### /gm)).toHaveLength(procedures.length);
    const byId = generated.slice(generated.indexOf('### `clinic.byId`'), generated.indexOf('### `clinic.create`'));
    expect(byId).toContain('id: string /* 1–64 characters */;');
    expect(byId).toContain('clinic.byId?input=%7B%22id%22%3A%22seed-clinic-north%22%7D');
    expect(byId).toMatch(/updatedAt: string;/);
  });
});
