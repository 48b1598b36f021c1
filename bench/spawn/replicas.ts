import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '@condorhub/config';
import { freePort as anyFreePort } from '@condorhub/testing';
import {
  forkService,
  serviceProcessEnv,
  stopServiceProcess,
} from '../../apps/all-in-one/src/testing/service-processes';

export interface ServiceReplica {
  service: string;
  /** 0 for the first replica of its service. */
  replica: number;
  pid: number;
  /** The replica's /metrics: its own HTTP port (hub, port registry, proxy) or its metrics port. */
  metricsUrl?: string;
  /** Where the hub replica answers the REST API (hub only). */
  hubPort?: number;
}

export interface Replicas {
  services: ServiceReplica[];
  stop(): Promise<void>;
}

const COUNT_IO = path.join(__dirname, 'count-io.js');

/** Every replica started and not yet stopped, so a signal during start-up still stops them. */
const live = new Set<ChildProcess>();

export async function stopAllReplicas(): Promise<void> {
  await Promise.all([...live].map(stopServiceProcess));
  live.clear();
}

/**
 * `replicas` processes of each service, each in its own session as in forkService. Replica 0
 * runs on the config's ports; each further replica k gets ports of its own for its hub, port
 * registry and proxy, and its spawner gives its jobs that proxy as the hub's public URL: so
 * jobs submitted by spawner k report their port through proxy k to port registry k (the
 * proxy's default upstreams are the hub and registry on its host's ports). The durable
 * consumers split the spawns between the spawners, and with them the launchers' reports.
 * Every process counts its store round trips and NATS messages into `ioDir` (count-io.js).
 */
export async function startReplicas(
  config: Config,
  services: string[],
  replicas: number,
  ioDir: string,
  env: Record<string, string> = {},
): Promise<Replicas> {
  fs.mkdirSync(ioDir, { recursive: true });
  const base = {
    ...serviceProcessEnv(config),
    ...env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${COUNT_IO}`.trim(),
    CONDORHUB_BENCH_IO_DIR: ioDir,
  };
  const perReplica: Record<string, string>[] = [];
  // Each a port no other of these has (freePort only knows what is bound now).
  const taken = new Set([config.CONDORHUB_PROXY_PORT, config.CONDORHUB_HUB_PORT, config.CONDORHUB_PORT_REGISTRY_PORT]);
  const freePort = async () => {
    for (;;) {
      const port = await anyFreePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  for (let k = 0; k < replicas; k++) {
    const ports =
      k === 0
        ? {
            proxy: config.CONDORHUB_PROXY_PORT,
            hub: config.CONDORHUB_HUB_PORT,
            registry: config.CONDORHUB_PORT_REGISTRY_PORT,
          }
        : { proxy: await freePort(), hub: await freePort(), registry: await freePort() };
    perReplica.push({
      CONDORHUB_PROXY_PORT: String(ports.proxy),
      CONDORHUB_PUBLIC_URL: `http://127.0.0.1:${ports.proxy}`,
      CONDORHUB_HUB_PORT: String(ports.hub),
      CONDORHUB_PORT_REGISTRY_PORT: String(ports.registry),
      CONDORHUB_POLLER_METRICS_PORT: String(await freePort()),
      CONDORHUB_SPAWNER_METRICS_PORT: String(await freePort()),
      CONDORHUB_PROJECTOR_METRICS_PORT: String(await freePort()),
    });
  }
  const children: ChildProcess[] = [];
  const started: ServiceReplica[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopServiceProcess));
  };
  try {
    for (const service of services) {
      for (let k = 0; k < replicas; k++) {
        const own = perReplica[k];
        const child = await forkService(service, { ...base, ...own });
        children.push(child);
        live.add(child);
        child.once('exit', () => live.delete(child));
        const metricsPort = {
          hub: own.CONDORHUB_HUB_PORT,
          'port-registry': own.CONDORHUB_PORT_REGISTRY_PORT,
          proxy: own.CONDORHUB_PROXY_PORT,
          'condor-poller': own.CONDORHUB_POLLER_METRICS_PORT,
          spawner: own.CONDORHUB_SPAWNER_METRICS_PORT,
          projector: own.CONDORHUB_PROJECTOR_METRICS_PORT,
        }[service];
        started.push({
          service,
          replica: k,
          pid: child.pid!,
          metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
          hubPort: service === 'hub' ? Number(own.CONDORHUB_HUB_PORT) : undefined,
        });
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { services: started, stop };
}

export interface IoCounts {
  queries: number;
  natsIn: number;
  natsOut: number;
  natsOutBytes: number;
}

/**
 * What the processes counted so far, per service process (its workers' files added to it by
 * parent pid; a worker's own children are not services).
 */
export function readIoCounts(ioDir: string, roots: number[]): Map<number, IoCounts> {
  const out = new Map<number, IoCounts>(roots.map((r) => [r, { queries: 0, natsIn: 0, natsOut: 0, natsOutBytes: 0 }]));
  for (const name of fs.readdirSync(ioDir)) {
    if (!name.endsWith('.json')) continue;
    let s: { pid: number; ppid: number; queries: number; inMsgs: number; outMsgs: number; outBytes: number };
    try {
      s = JSON.parse(fs.readFileSync(path.join(ioDir, name), 'utf8'));
    } catch {
      continue;
    }
    const c = out.get(s.pid) ?? out.get(s.ppid);
    if (!c) continue;
    c.queries += s.queries;
    c.natsIn += s.inMsgs;
    c.natsOut += s.outMsgs;
    c.natsOutBytes += s.outBytes;
  }
  return out;
}

/** One sample of a Prometheus metric from a replica's /metrics (the sum over matching lines). */
export async function scrape(url: string, metric: string, labelMatch = ''): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    let sum: number | undefined;
    for (const line of text.split('\n')) {
      if (!line.startsWith(metric) || !line.includes(labelMatch)) continue;
      const rest = line.slice(metric.length);
      if (rest[0] !== ' ' && rest[0] !== '{') continue;
      sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  } catch {
    return undefined;
  }
}
