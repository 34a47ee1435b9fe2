/**
 * The policy studio in a real browser: Playwright driving Debian's Chromium
 * (`.ci/run` installs it; browser downloads are unreachable here) against a
 * studio served from this test's database. Each page is saved as a
 * screenshot under .artifacts/studio/ (git-ignored, kept by CI).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probePolicies } from '@acme/db/tooling/policy-probe.ts';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUnrestrictedDb, uid } from '../../../tests/support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from '../../../tests/support/tenancy.ts';
import { type RunningStudio, readBench, StudioRefusedError, startStudio } from '../src/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '../../../.artifacts/studio');
// CI must run it (.ci/run installs Chromium); elsewhere a machine without the browser skips it, loudly.
const present = existsSync(CHROMIUM);
if (!present && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
if (!present) console.warn(`[studio-browser] SKIPPED: ${CHROMIUM} not installed (apt-get install -y chromium)`);

const raw = openUnrestrictedDb();
let t: Tenancy;
let studio: RunningStudio;
let browser: Browser;
let page: Page;
let patients: { id: string; name: string }[];
const benchFile = path.join(tmpdir(), `studio-bench-${process.pid}.json`);

beforeAll(async () => {
  if (!present) return;
  t = await arrangeTenancy(raw);
  patients = await raw.patient.findMany({ select: { id: true, name: true }, orderBy: { id: 'asc' } });
  writeFileSync(
    benchFile,
    JSON.stringify({
      date: '2026-12-01T00:00:00.000Z',
      quick: true,
      ratios: { 'findUnique by id': { 'raw pg': { p50VsPg: 1 }, 'createDb (policies)': { p50VsPg: 2.75 } } },
    }),
  );
  const url = process.env.DATABASE_URL as string;
  studio = await startStudio({
    port: 0,
    benchFile,
    probe: () => probePolicies(url, { anonymous: null, USER: { id: uid('probe-user'), role: 'USER' } }),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await studio?.close();
  await raw.$disconnect();
});

// expect.poll gives up after 1 s by default: a first page load on a busy machine takes longer.
const WAIT = { timeout: 20_000 };
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, not the DOM's: rendered text, spaced between cells
const text = (testId: string) => page.getByTestId(testId).innerText();

// A page, its queries and the browser share two busy cores with the other test files: generous timeouts.
describe.skipIf(!present)('policy studio in Chromium', { timeout: 90_000 }, () => {
  it('a USER without memberships: every Patient hidden, with the deciding rule', async () => {
    await page.goto(studio.url);
    await page.getByTestId('model').selectOption('Patient');
    await page.getByTestId('session-kind').selectOption('role');
    await page.getByTestId('session-role').selectOption('USER');
    await expect.poll(() => text('rows-heading'), WAIT).toBe('Patient as a USER with no memberships');
    await expect.poll(() => text('hidden-count'), WAIT).toBe(`${patients.length} hidden`);
    expect(await text('visible-count')).toBe('0 visible');
    expect(await text('hidden-by')).toContain(
      `${patients.length} rows: no @@allow rule for read holds (rules 0, 1: false)`,
    );
    expect(await text('hidden-by')).toContain('auth().memberships?[clinicId == this.clinicId]');
    expect(await text('hidden-rows')).toContain(patients[0]?.id);
    // Hidden rows show their ids only, never their contents.
    expect(await page.content()).not.toContain(patients[0]?.name);
    await shot('1-user-no-memberships-patients-hidden');
  });

  it('an ADMIN sees the same rows; a row opens its explain view', async () => {
    await page.getByTestId('session-role').selectOption('ADMIN');
    await expect.poll(() => text('visible-count'), WAIT).toBe(`${patients.length} visible`);
    expect(await text('hidden-count')).toBe('0 hidden');
    const table = await text('visible-rows');
    for (const p of patients) expect(table).toContain(p.name);
    await shot('2-admin-patients-visible');

    await page.getByTestId('explain-row').first().click();
    await expect.poll(() => text('verdict-read'), WAIT).toBe('allowed');
    expect(await text('decided-read')).toContain("@@allow('all', auth().role == 'ADMIN')");
    expect(await text('verdict-post-update')).toBe('allowed');
    expect(await text('op-create')).toContain('judged on the data being created');
    await shot('3-explain-row-as-admin');
  });

  it('a real user, memberships loaded: sees the patients of their clinic only', async () => {
    await page.getByTestId('nav-rows').click();
    await page.getByTestId('session-kind').selectOption('user');
    await page.getByTestId('session-role').selectOption('USER');
    const staffA = t.sessions.staffA.id;
    await page.getByTestId('session-user').selectOption(staffA);
    await expect.poll(() => text('rows-heading'), WAIT).toBe(`Patient as ${staffA} (USER)`);
    await expect.poll(() => text('visible-count'), WAIT).toBe('1 visible');
    expect(await text('visible-rows')).toContain(t.patientA.name);
    await page.getByTestId('explain-hidden').first().click();
    await expect.poll(() => text('verdict-read'), WAIT).toBe('denied');
    await shot('4-explain-hidden-row-as-member');
  });

  it('the live policy matrix and the benchmark charts', async () => {
    await page.getByTestId('nav-matrix').click();
    await expect.poll(() => text('matrix'), { timeout: 60_000 }).toContain('Patient');
    expect(await text('matrix')).toMatch(/anonymous\s+Clinic\s+no\s+no\s+no\s+no/);
    await shot('5-policy-matrix');
    await page.getByTestId('nav-bench').click();
    await expect.poll(() => text('bench'), WAIT).toContain('createDb (policies)');
    expect(await text('bench')).toContain('2.75×');
    await shot('6-benchmark');
  });
});

describe('studio guards', () => {
  it('refuses NODE_ENV=production and a non-loopback host without the flag', async () => {
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    await expect(startStudio({ port: 0, benchFile })).rejects.toBeInstanceOf(StudioRefusedError);
    process.env.NODE_ENV = env;
    await expect(startStudio({ port: 0, host: '0.0.0.0', benchFile })).rejects.toThrow(/--allow-remote/);
  });

  it('beyond loopback: nothing without the one-time token', async () => {
    const remote = await startStudio({ port: 0, host: '0.0.0.0', allowRemote: true, benchFile });
    try {
      const port = new URL(remote.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/trpc/overview`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/trpc/overview?token=wrong`)).status).toBe(401);
      const token = new URL(remote.tokenUrl as string).searchParams.get('token');
      const first = await fetch(`http://127.0.0.1:${port}/?token=${token}`);
      expect(first.status).toBe(200);
      const cookie = first.headers.get('set-cookie')?.split(';')[0] as string;
      expect((await fetch(`http://127.0.0.1:${port}/trpc/overview`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await remote.close();
    }
  });

  it('on loopback, a foreign Host header is refused (DNS rebinding)', async () => {
    const local = await startStudio({ port: 0, benchFile });
    try {
      const port = new URL(local.url).port;
      const res = await new Promise<number>((resolve, reject) => {
        import('node:http').then(({ get }) =>
          get({ host: '127.0.0.1', port, path: '/', headers: { host: 'attacker.example' } }, (r) =>
            resolve(r.statusCode ?? 0),
          ).on('error', reject),
        );
      });
      expect(res).toBe(403);
    } finally {
      await local.close();
    }
  });

  it('says when bench/results.json is absent', () => {
    expect(readBench(path.join(tmpdir(), 'no-such-results.json'))).toMatchObject({ present: false });
  });
});
