import cluster from 'node:cluster';
import { loadConfig } from '@condorhub/config';
import { runService } from '@condorhub/runtime';
import { bootstrapProxy } from './bootstrap';
import { aggregateWorkerMetrics } from './metrics/worker-metrics';

const config = loadConfig();
const workers = config.CONDORHUB_PROXY_WORKERS;

if (workers > 1 && cluster.isPrimary) {
  // Replicas in one host: each worker builds its table from the projection and follows events
  // (as a second proxy host would). The primary hands accepted connections out in turn: left to
  // the kernel (SCHED_NONE), one worker often took a whole burst of new connections and kept
  // them (keep-alive), leaving the other idle (bench:proxy, 64 connections opened at once).
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  aggregateWorkerMetrics();
  // A supervisor that asked (IPC) hears the proxy is ready once every first worker is (runService).
  let ready = 0;
  cluster.on('message', (_worker, msg: { ready?: string }) => {
    if (msg?.ready && ++ready === workers && process.connected) process.send?.({ ready: 'proxy' });
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (!Object.keys(cluster.workers ?? {}).length) process.exit(0);
      return;
    }
    console.error(`proxy: worker ${worker.process.pid} exited (${signal ?? code}); starting another in 1 s`);
    setTimeout(fork, 1_000);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`proxy: ${signal}, stopping ${workers} workers`);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    setTimeout(() => process.exit(1), 20_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} else {
  runService('proxy', () => bootstrapProxy(config));
}
