export {
  inTransactionScope,
  isTrustedStatement,
  notePassThrough,
  QueryCapturePlugin,
} from './capture.ts';
export { QUERY_CACHE_SIZE, QueryCache, type QueryCacheStats, queryCacheEnabled } from './lru.ts';
export { QueryCachePlugin } from './query-cache-plugin.ts';
