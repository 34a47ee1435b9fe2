import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fastPathsEnabled } from '../src/fast-path/index.ts';
import { createDb } from '../src/index.ts';
import { decideOperation, UNKNOWN } from '../src/rules/index.ts';
import { schema } from '../zenstack/schema.ts';
import { arrangeLinked, dec, openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { ormOnlyRuntime } from './support/plain-path.ts';
import { recordSentSql } from './support/sent-sql.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let t: Tenancy;
let linked: Awaited<ReturnType<typeof arrangeLinked>>;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
  linked = await arrangeLinked(raw);
});

// The SQL the application's pg clients send (the database stays real).
const sent = recordSentSql((text) => text);

// Compared without row-level security: PostgreSQL's policies would hide a fast path that dropped a rule.
const ormOnly = ormOnlyRuntime();
type Session = Parameters<typeof createDb>[0];
const both = (s: Session) =>
  [ormOnly.createDb(s, { fastPaths: false }), ormOnly.createDb(s, { fastPaths: true })] as const;

/** The outcome of a call: its value, or the error's class, reason and message. */
async function outcome(p: () => Promise<unknown>) {
  try {
    return { ok: await p() };
  } catch (err) {
    const e = err as { name?: string; reason?: string; message?: string };
    return { error: e.name, reason: e.reason, message: e.message };
  }
}

describe('decideOperation (three-valued, as the SQL)', () => {
  const ADMIN = { id: 'a', role: 'ADMIN', memberships: [] };
  const USER = { id: 'u', role: 'USER', memberships: [] };
  const MEMBER = { id: 'm', role: 'USER', memberships: [{ clinicId: 'c', role: 'STAFF' }] };
  it.each([
    ['Clinic', 'read', USER, true], // auth() != null
    ['Clinic', 'create', ADMIN, true],
    ['Clinic', 'create', USER, false],
    ['Patient', 'read', ADMIN, true], // the deletedAt deny folds away for ADMIN
    ['Patient', 'read', USER, false], // no memberships: `?[...]` over [] is false
    ['Patient', 'read', MEMBER, UNKNOWN], // depends on the row's clinic
    ['Patient', 'create', ADMIN, UNKNOWN], // @@deny('create', deletedAt != null) reads the row
    ['AuditLog', 'create', ADMIN, UNKNOWN],
    ['Clinic', 'read', { id: 'x' }, true], // auth() is not null even without a role
    ['Clinic', 'create', { id: 'x' }, UNKNOWN], // NULL = 'ADMIN' is NULL in SQL: not decided
  ] as const)('%s %s for %j -> %s', (model, op, auth, expected) => {
    expect(decideOperation(schema, model, op, auth)).toBe(expected);
  });
});

describe('reads: the same rows on both paths', () => {
  const reads: [string, (db: ReturnType<typeof createDb>) => Promise<unknown>][] = [
    ['clinic by id', (db) => db.clinic.findUnique({ where: { id: linked.clinic.id } })],
    [
      'clinics with two-level include, take',
      (db) =>
        db.clinic.findMany({
          where: { id: { in: [t.clinicA.id, t.clinicB.id, linked.clinic.id] } },
          orderBy: { id: 'asc' },
          take: 2,
          include: { treatmentsByClinic: { include: { treatment: true } } },
        }),
    ],
    [
      'paged: orderBy with ties then id, skip, select with relations',
      (db) =>
        db.treatmentsByClinic.findMany({
          orderBy: [{ priceOverride: 'desc' }, { id: 'desc' }],
          skip: 1,
          take: 3,
          select: { id: true, clinic: { select: { name: true } }, treatment: true },
        }),
    ],
    [
      'not paged (no orderBy): ZenStack as is',
      (db) => db.clinic.findMany({ where: { id: t.clinicA.id }, take: 5, include: { patients: true } }),
    ],
    [
      'paged: nothing matches',
      (db) =>
        db.clinic.findMany({ where: { id: 'none' }, orderBy: { id: 'asc' }, take: 5, include: { patients: true } }),
    ],
    [
      'paged: patients of clinics (rules that read the row, in both statements)',
      (db) => db.patient.findMany({ orderBy: { name: 'asc' }, take: 5, include: { clinic: true } }),
    ],
    [
      'link filtered by relation',
      (db) => db.treatmentsByClinic.findMany({ where: { clinic: { id: linked.clinic.id } } }),
    ],
    ['count', (db) => db.treatment.count()],
    ['patients', (db) => db.patient.findMany({ orderBy: { id: 'asc' } })],
    [
      'patients of a clinic',
      (db) => db.clinic.findUnique({ where: { id: t.clinicA.id }, include: { patients: true } }),
    ],
    ['memberships', (db) => db.clinicMembership.findMany({ orderBy: { id: 'asc' } })],
    ['audit log', (db) => db.auditLog.count()],
  ];
  for (const name of ['admin', 'staffA', 'viewerA', 'supportA', 'staffB', 'anonymous'] as const) {
    it(`${name}`, async () => {
      const [plain, fast] = both(t.sessions[name]);
      for (const [label, read] of reads) {
        const a = await outcome(() => read(plain));
        const b = await outcome(() => read(fast));
        expect(b, label).toEqual(a);
      }
    });
  }
});

describe('writes: same results, errors, audit rows and state', () => {
  const strip = (row: unknown) => {
    if (row === null) return null;
    const { id: _i, createdAt: _c, updatedAt: _u, ...rest } = row as Record<string, unknown>;
    return rest;
  };
  /** Audit rows without what differs between two records (ids, times), fields changed kept. */
  const auditOf = async (recordId: string) =>
    (await raw.auditLog.findMany({ where: { recordId }, orderBy: { id: 'asc' } })).map(
      ({ actorId, actorRole, model, action, before, after }) => ({
        actorId,
        actorRole,
        model,
        action,
        before: strip(before),
        beforeKeys: before === null ? null : Object.keys(before as object),
        after: strip(after),
        afterKeys: after === null ? null : Object.keys(after as object),
      }),
    );

  it('ADMIN create, update, delete of a treatment: one statement, the same rows and audit', async () => {
    const [plain, fast] = both(t.sessions.admin);
    const runs = [];
    for (const db of [plain, fast]) {
      sent.length = 0;
      const name = uid('T');
      const created = await db.treatment.create({ data: { name, price: dec('12.50') } });
      const createStatements = [...sent];
      const updated = await db.treatment.update({ where: { id: created.id }, data: { description: 'd' } });
      const deleted = await db.treatment.delete({ where: { id: created.id } });
      runs.push({
        created: { ...strip(created), name: 'n' },
        updated: { ...strip(updated), name: 'n' },
        deleted: { ...strip(deleted), name: 'n' },
        audit: (await auditOf(created.id)).map((a) => JSON.stringify(a).replaceAll(name, 'n')),
        left: await raw.treatment.findUnique({ where: { id: created.id } }),
        createStatements,
      });
    }
    const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(b.created).toEqual(a.created);
    expect(b.updated).toEqual(a.updated);
    expect(b.deleted).toEqual(a.deleted);
    expect(b.audit).toEqual(a.audit);
    expect(b.audit).toHaveLength(3);
    expect(b.left).toBeNull();
    expect(a.createStatements.some((s) => /^select exists/i.test(s))).toBe(true); // the pre-create check
    expect(b.createStatements.some((s) => /^select exists/i.test(s))).toBe(false);
    expect(a.createStatements).toHaveLength(6); // BEGIN, check, INSERT, audit INSERT, read-back, COMMIT
    expect(b.createStatements).toHaveLength(1); // the INSERT with its audit row (write-path.test.ts)
  });

  it('denied and failing writes: the same errors, nothing written, no audit row', async () => {
    const before = await snapshot(raw);
    const cases: [Session, (db: ReturnType<typeof createDb>) => Promise<unknown>][] = [
      [t.sessions.staffA, (db) => db.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'x' } })],
      [t.sessions.viewerA, (db) => db.patient.create({ data: { name: 'x', email: 'v@x.io', clinicId: t.clinicA.id } })],
      [t.sessions.staffA, (db) => db.patient.create({ data: { name: 'x', email: 'v@x.io', clinicId: t.clinicB.id } })],
      [t.sessions.admin, (db) => db.clinic.create({ data: { name: 'dup', code: t.clinicA.code } })], // unique
      [t.sessions.admin, (db) => db.treatment.update({ where: { id: 'missing' }, data: { name: 'x' } })],
      [t.sessions.admin, (db) => db.treatment.delete({ where: { id: 'missing' } })],
      [t.sessions.admin, (db) => db.treatmentsByClinic.create({ data: { clinicId: 'nope', treatmentId: 'nope' } })],
    ];
    for (const [session, write] of cases) {
      const [plain, fast] = both(session);
      const a = await outcome(() => write(plain));
      const b = await outcome(() => write(fast));
      expect(a.error, String(write)).toBeDefined();
      expect(b).toEqual(a);
    }
    expect(await snapshot(raw)).toEqual(before);
  });

  it('many-row writes report the same counts', async () => {
    const [plain, fast] = both(t.sessions.admin);
    const tag = uid('bulk');
    const counts = [];
    for (const [i, db] of [plain, fast].entries()) {
      const data = [1, 2, 3].map((n) => ({ name: `${tag}-${i}-${n}`, price: dec('1.00') }));
      const made = await db.treatment.createMany({ data });
      const renamed = await db.treatment.updateMany({
        where: { name: { startsWith: `${tag}-${i}-` } },
        data: { description: 'bulk' },
      });
      const gone = await db.treatment.deleteMany({ where: { name: { startsWith: `${tag}-${i}-` } } });
      counts.push({ made, renamed, gone });
    }
    expect(counts[1]).toEqual(counts[0]);
    expect(counts[0]).toEqual({ made: { count: 3 }, renamed: { count: 3 }, gone: { count: 3 } });
    expect(
      await raw.auditLog.count({ where: { model: 'Treatment', action: 'delete', recordId: { not: '' } } }),
    ).toBeGreaterThanOrEqual(6);
  });
});

describe('findMany({ take, include }) pages ids first', () => {
  it('sends the ids query, then the relations for those ids only', async () => {
    const [, fast] = both(t.sessions.admin);
    sent.length = 0;
    const page = await fast.clinic.findMany({
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      take: 2,
      include: { treatmentsByClinic: { include: { treatment: true } } },
    });
    const selects = sent.filter((q) => /^select/i.test(q));
    expect(selects).toHaveLength(2);
    expect(selects[0]).not.toMatch(/lateral/i);
    expect(selects[0]).toMatch(/limit/i);
    expect(selects[1]).toMatch(/lateral/i);
    expect(selects[1]).not.toMatch(/ limit \$/i);
    expect(page).toHaveLength(2);
  });
});

describe('fallback and switch', () => {
  it('a read whose rule needs the row takes the plain path and says so, without values', async () => {
    vi.stubEnv('DEBUG', 'acme:fast-path');
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    try {
      await createDb(t.sessions.staffA, { fastPaths: true }).patient.findMany({
        where: { email: 'secret@example.com' },
      });
      const lines = debug.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => l.includes('plain path') && l.includes('Patient'))).toBe(true);
      expect(lines.join('\n')).not.toContain('secret@example.com');
    } finally {
      debug.mockRestore();
      vi.unstubAllEnvs();
    }
  });

  it('ACME_DB_FAST_PATHS=0 turns every fast path off; the option wins over the environment', async () => {
    expect(fastPathsEnabled(undefined, {})).toBe(true);
    expect(fastPathsEnabled(undefined, { ACME_DB_FAST_PATHS: '0' })).toBe(false);
    expect(fastPathsEnabled(true, { ACME_DB_FAST_PATHS: '0' })).toBe(true);
    vi.stubEnv('ACME_DB_FAST_PATHS', '0');
    try {
      sent.length = 0;
      await createDb(t.sessions.admin).treatment.create({ data: { name: uid('T'), price: dec('1.00') } });
      expect(sent.some((s) => /^select exists/i.test(s))).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
