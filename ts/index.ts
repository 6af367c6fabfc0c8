/** memcache-native: a memcached client for Node.js, over a Rust core with a pure-TS fallback. */
export { Client, type ClientEvents } from './client.js';
export type {
  AppendOptions,
  CallOptions,
  CloseOptions,
  CounterOptions,
  DeleteMultiOptions,
  DeleteOptions,
  Entries,
  ItemOptions,
  Key,
  MultiOptions,
  SetMultiOptions,
  StoreOptions,
} from './call-options.js';
export { DEFAULT_OPTIONS, type ClientOptions, type DiscoveryOptions } from './options.js';
export { FETCH_DEFAULTS, type FetchOptions, type InvalidateOptions, type Loader, type LoaderContext } from './cache-aside/options.js';
export type { ItemInfo } from './protocol/meta/dialect.js';
export { GetMultiResult, type CasResult, type ServerStats, type ServerVersion } from './results.js';
export type { ServerSpec, TcpServer, UnixServer } from './cluster/server-spec.js';
export type { Distribution } from './cluster/distribution.js';
export type { ServerDownEvent, ServerUpEvent } from './cluster/health.js';
export type { DiscoveryConfigEvent, DiscoveryErrorEvent } from './cluster/discovery/discovery.js';
export type { HashAlgorithm } from './core/index.js';
export { PythonCompatibleSerializer, type SerializedValue, type Serializer } from './codec/serializer.js';
export { zlibCompressor, zstdCompressor, type Compressor, type CompressorSetting } from './codec/compression.js';
export * as flags from './codec/flags.js';
export * from './errors.js';
export { coreKind, nativeLoadError, type NativeLoadError, type NativeLoadErrorCode } from './core/index.js';
export type { ClientMetrics, CommandName, MetricsCounts, OperationCounts, ServerMetricsSnapshot } from './observability/metrics.js';
export {
  CHANNELS,
  type CommandMessage,
  type ConnectionMessage,
  type FetchEvent,
  type FetchMessage,
  type ServerDownMessage,
  type ServerUpMessage,
} from './observability/channels.js';
