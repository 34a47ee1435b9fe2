import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

export const STUDIO_DIR = path.resolve(import.meta.dirname, '..');
export const DIST_DIR = path.join(STUDIO_DIR, 'dist');
const WEB_DIR = path.join(STUDIO_DIR, 'web');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

/**
 * Builds the web app with Vite when dist/ is missing or older than web/ (the
 * first `pnpm studio`, or after an edit). The build output is not committed:
 * it would be a minified copy of web/ that can drift from it, and Vite is a
 * pinned devDependency, so building needs nothing beyond `pnpm install`.
 */
export function ensureBuilt(log: (line: string) => void = () => {}): void {
  const index = path.join(DIST_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(WEB_DIR)) return;
  log('building the web app (vite build)...');
  execFileSync(
    process.execPath,
    [path.join(STUDIO_DIR, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: STUDIO_DIR,
      stdio: 'inherit',
    },
  );
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves the built assets; any other path gets index.html (the app routes in the browser). */
export function serveAsset(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://studio');
  const wanted = path.normalize(path.join(DIST_DIR, decodeURIComponent(url.pathname)));
  const file =
    wanted.startsWith(DIST_DIR + path.sep) && existsSync(wanted) && statSync(wanted).isFile()
      ? wanted
      : path.join(DIST_DIR, 'index.html');
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
  });
  res.end(readFileSync(file));
}
