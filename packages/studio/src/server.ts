import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { ensureBuilt, serveAsset } from './assets.ts';
import { type StudioDeps, studioRouter } from './router.ts';

export interface StudioOptions extends StudioDeps {
  /** 0 picks a free port. */
  port?: number;
  /** 127.0.0.1 unless `allowRemote`. */
  host?: string;
  /** Needed for any host but loopback; such a studio then requires the printed one-time token. */
  allowRemote?: boolean;
  log?: (line: string) => void;
}

export interface RunningStudio {
  url: string;
  /** Set when the studio listens beyond loopback: the URL to open once (it sets a cookie). */
  tokenUrl?: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const COOKIE = 'acme_studio';

export class StudioRefusedError extends Error {
  override readonly name = 'StudioRefusedError';
}

/**
 * The policy studio's HTTP server: tRPC under /trpc/, the built web app for
 * everything else. It reads through the owner connection (hidden rows'
 * counts and explanations), so it refuses NODE_ENV=production, binds to
 * loopback, accepts only loopback Host headers there (no DNS rebinding), and
 * serves another host only with `allowRemote` and a fresh random token.
 */
export async function startStudio(options: StudioOptions): Promise<RunningStudio> {
  if (process.env.NODE_ENV === 'production') {
    throw new StudioRefusedError('the studio does not run with NODE_ENV=production: it reads as the database owner');
  }
  const host = options.host ?? '127.0.0.1';
  const remote = !LOOPBACK.has(host);
  if (remote && !options.allowRemote) {
    throw new StudioRefusedError(`the studio binds to 127.0.0.1 only; --host ${host} needs --allow-remote as well`);
  }
  ensureBuilt(options.log);
  const token = remote ? randomBytes(24).toString('base64url') : undefined;
  const trpc = createHTTPHandler({ router: studioRouter(options), basePath: '/trpc/' });

  const server = http.createServer((req, res) => {
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    );
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (!remote && !LOOPBACK.has(hostname(req.headers.host))) {
      res.writeHead(403).end('studio: loopback Host only');
      return;
    }
    if (token && !authorised(req, res, token)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD' && !req.url?.startsWith('/trpc/')) {
      res.writeHead(405).end();
      return;
    }
    if (req.url?.startsWith('/trpc/')) trpc(req, res);
    else serveAsset(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    ...(token ? { tokenUrl: `${url}/?token=${token}` } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function hostname(header: string | undefined): string {
  if (!header) return '';
  return header.startsWith('[') ? header.slice(1, header.indexOf(']')) : (header.split(':')[0] ?? '');
}

/** The token from the URL once (then a cookie), compared in constant time. */
function authorised(req: http.IncomingMessage, res: http.ServerResponse, token: string): boolean {
  const url = new URL(req.url ?? '/', 'http://studio');
  const fromCookie = /(?:^|;\s*)acme_studio=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const given = url.searchParams.get('token') ?? fromCookie ?? '';
  const ok = given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));
  if (!ok) {
    res.writeHead(401, { 'content-type': 'text/plain' }).end('studio: open the URL with the token the studio printed');
    return false;
  }
  if (url.searchParams.has('token')) {
    res.setHeader('set-cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
  }
  return true;
}
