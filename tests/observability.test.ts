/**
 * Traces, metrics, the slow-query log and the HTTP endpoints, with a real OpenTelemetry SDK (in-memory
 * exporter) over the real database with row-level security on: one span per ORM operation with its policy
 * outcome and row count, the SQL statements as its children, and no patient data anywhere.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, createDb, ORMError } from '../src/index.ts';
import {
  metricsRegistry,
  observabilityMiddleware,
  type SlowQuery,
  setSlowQueryLogger,
} from '../src/observability/index.ts';
import { openUnrestrictedDb, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

const raw = openUnrestrictedDb();
let t: Tenancy;
const EMAIL = `${uid('secret.patient')}@example.com`;
const NAME = uid('Ada Secretname');
const slow: SlowQuery[] = [];

beforeAll(async () => {
  // Every statement counts as slow, so the log sees them all (read when the runtime builds its plugins).
  process.env.DB_SLOW_QUERY_MS = '0.0001';
  await closeDb();
  setSlowQueryLogger((entry) => slow.push(entry));
  t = await arrangeTenancy(raw);
});
afterAll(async () => {
  delete process.env.DB_SLOW_QUERY_MS;
  await closeDb();
  await raw.$disconnect();
  trace.disable();
  context.disable();
});
beforeEach(() => {
  exporter.reset();
  slow.length = 0;
});

const spans = () => exporter.getFinishedSpans();
const operationSpan = (name: string) => {
  const found = spans().filter((s) => s.name === name);
  expect(found, `one ${name} span`).toHaveLength(1);
  return found[0] as (typeof found)[number];
};
const childrenOf = (id: string) => spans().filter((s) => s.parentSpanContext?.spanId === id);

describe('traces', () => {
  it('one span per operation with model, operation, outcome and rows; its SQL statements are children', async () => {
    const rows = await createDb(t.sessions.staffA).patient.findMany();
    expect(rows.map((r) => r.id)).toEqual([t.patientA.id]);
    const op = operationSpan('Patient.findMany');
    expect(op.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.collection.name': 'Patient',
      'db.operation.name': 'findMany',
      'acme.db.policy.outcome': 'filtered',
      'acme.db.rows': 1,
      'acme.db.client': 'session',
      'acme.db.session.role': 'USER',
    });
    const sql = childrenOf(op.spanContext().spanId);
    expect(sql.length).toBeGreaterThanOrEqual(1);
    expect(sql[0]?.name).toBe('SELECT');
    expect(String(sql[0]?.attributes['db.query.text'])).toMatch(/from ("public"\.)?"Patient"/i);
    expect(sql[0]?.attributes['db.collection.name']).toBe('Patient');
  });

  it('allowed for a rule that holds whatever the row, denied for a refused write', async () => {
    await createDb(t.sessions.admin).clinic.findMany();
    expect(operationSpan('Clinic.findMany').attributes['acme.db.policy.outcome']).toBe('allowed');

    exporter.reset();
    const denied = await createDb(t.sessions.staffA)
      .clinic.create({ data: { name: 'No', code: uid('NO') } })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ORMError);
    const op = operationSpan('Clinic.create');
    expect(op.attributes['acme.db.policy.outcome']).toBe('denied');
    expect(op.attributes['acme.db.rows']).toBeUndefined();
  });

  it("never carries a patient's data or a parameter value, through writes, filters and errors", async () => {
    const admin = createDb(t.sessions.admin);
    const created = await admin.patient.create({ data: { name: NAME, email: EMAIL, clinicId: t.clinicA.id } });
    await admin.patient.findFirst({ where: { email: EMAIL } });
    await admin.patient.update({ where: { id: created.id }, data: { phone: '+41 79 555 12 34' } });
    // A duplicate e-mail: the driver's error quotes the row; the span must not.
    const dup = await admin.patient
      .create({ data: { name: NAME, email: EMAIL.toUpperCase(), clinicId: t.clinicA.id } })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ORMError);
    await createDb(t.sessions.staffA).patient.findMany({ where: { name: { contains: NAME } } });

    const all = spans();
    expect(all.length).toBeGreaterThan(8);
    const dump = JSON.stringify(
      all.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    for (const secret of [EMAIL, EMAIL.toUpperCase(), NAME, '555 12 34', t.sessions.staffA?.id]) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).toContain('"acme.db.policy.outcome":"allowed"');
    const metrics = await metricsRegistry.metrics();
    for (const secret of [EMAIL, NAME]) expect(metrics).not.toContain(secret);
  });
});

describe('slow-query log', () => {
  it('logs each slow statement once, with its SQL (placeholders, no values), duration and operation', async () => {
    await createDb(t.sessions.admin).patient.findMany({ where: { email: EMAIL } });
    const statements = spans().filter((s) => s.attributes['db.query.text'] !== undefined);
    expect(slow).toHaveLength(statements.length);
    const entry = slow.find((e) => /from ("public"\.)?"Patient"/i.test(e.sql));
    expect(entry).toMatchObject({ model: 'Patient', operation: 'findMany' });
    expect(entry?.durationMs).toBeGreaterThan(0);
    expect(entry?.sql).toMatch(/\$\d/);
    expect(JSON.stringify(slow)).not.toContain(EMAIL);
  });
});

describe('metrics', () => {
  it('pool gauges, query counts and latencies per model and operation, denied-by-policy counts', async () => {
    const before = (await metricsRegistry.getSingleMetric('acme_db_policy_denied_total')?.get())?.values ?? [];
    const deniedBefore = before.find((v) => v.labels.model === 'Clinic' && v.labels.operation === 'create')?.value ?? 0;
    await createDb(t.sessions.viewerA)
      .clinic.create({ data: { name: 'No', code: uid('NO') } })
      .catch(() => undefined);
    await createDb(t.sessions.staffA).patient.count();
    const text = await metricsRegistry.metrics();
    expect(text).toContain(`acme_db_policy_denied_total{model="Clinic",operation="create"} ${deniedBefore + 1}`);
    expect(text).toMatch(/acme_db_pool_connections\{pool="app",server="[^"]+:\d+",state="total"\} [1-9]/);
    expect(text).toMatch(/acme_db_pool_connections\{pool="app",server="[^"]+",state="waiting"\} 0/);
    expect(text).toMatch(/acme_db_queries_total\{model="Patient",operation="count"\} [1-9]/);
    expect(text).toMatch(/acme_db_query_duration_seconds_count\{model="Patient",operation="count"\} [1-9]/);
    expect(text).toMatch(/acme_db_operations_total\{model="Patient",operation="count",outcome="filtered"\} [1-9]/);
  });
});

describe('HTTP endpoints', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const handle = observabilityMiddleware();
    server = createServer((req, res) => handle(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('/metrics is Prometheus text, /healthz says ok, anything else goes on', async () => {
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toContain('# TYPE acme_db_operations_total counter');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/clinic.list`)).status).toBe(404);
  });

  it('/healthz answers 503 with no details when the database is unreachable', async () => {
    const saved = { db: process.env.DATABASE_URL, app: process.env.APP_DATABASE_URL };
    await closeDb();
    process.env.DATABASE_URL = 'postgresql://nobody:hunter2@127.0.0.1:1/none';
    process.env.APP_DATABASE_URL = 'postgresql://nobody:hunter2@127.0.0.1:1/none';
    try {
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.text()).toBe('{"status":"unavailable"}');
    } finally {
      await closeDb();
      Object.assign(process.env, { DATABASE_URL: saved.db, APP_DATABASE_URL: saved.app });
    }
  });
});
