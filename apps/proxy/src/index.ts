export * from './routing/route-table';
export * from './routing/static-routes';
export * from '@condorhub/session-cookie';
export { AccessPolicy, ownerFromPath, requestToken } from './ownership/access-policy';
export { Forwarder, type ForwardingLibrary, type ForwarderOptions } from './forwarding/forwarder';
export { ActivityTracker, type ActivityRecord, type ActivitySink } from './activity/activity-tracker';
export { ProxyMetrics } from './metrics/proxy-metrics';
export {
  probeTarget,
  TargetProber,
  type ProbeFailure,
  type ProbeResult,
  type TargetProberOptions,
} from './probing/target-prober';
export { ProxyServer, type ProxyServerOptions } from './proxy-server';
export { ProxyModule, ProxyService, PROXY_OPTIONS } from './proxy.module';
