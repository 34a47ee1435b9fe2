// Preloaded into the prisma CLI process by tooling/tool-env.ts.
//
// Prisma's WebAssembly schema engine arms a 10 s timer (its advisory-lock
// timeout) for each migrate command and never clears it, so every command
// would sit idle for ~10 s after its work is done. We unref timers the wasm
// engine creates: they still fire if the engine is really waiting, but they
// no longer keep a finished process alive. Open sockets and the CLI's own
// timers are untouched.
'use strict';
const original = globalThis.setTimeout;
globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
  const timer = original(fn, ms, ...args);
  if (ms >= 5000 && /wasm-function/.test(new Error().stack ?? '')) timer.unref();
  return timer;
};
