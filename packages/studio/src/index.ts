export { DIST_DIR, ensureBuilt } from './assets.ts';
export { type BenchView, readBench } from './bench.ts';
export { type MatrixCell, type StudioRouter, studioRouter } from './router.ts';
export { type RunningStudio, type StudioOptions, StudioRefusedError, startStudio } from './server.ts';
export { type StudioSession, studioSession } from './sessions.ts';
