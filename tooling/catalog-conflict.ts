/**
 * Roles live in cluster-wide catalogs (pg_authid, pg_auth_members), and
 * PostgreSQL takes no lock on a role it alters: two `ALTER ROLE x` at once,
 * from any two databases of a server, end with one failing "tuple
 * concurrently updated" (SQLSTATE XX000) once the other commits. Advisory
 * locks cannot serialize that, because they are per database, and the
 * organizations work deploys many databases of one server at once. The role
 * statements are idempotent, so running them again once the other
 * transaction has committed gives the same end state.
 */
const ATTEMPTS = 10;

export function isCatalogConflict(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'XX000' && /tuple concurrently (updated|deleted)/.test(e.message ?? '');
}

export async function retryCatalogConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isCatalogConflict(err) || attempt >= ATTEMPTS) throw err;
      // The other transaction has committed by now; a jittered pause spreads out a crowd of deploys.
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
    }
  }
}
