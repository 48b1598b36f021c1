// A 5,000-user site on paper: the per-spawn costs bench:spawn measured, times a stated workload.
// usage: npm run bench:scale -- [--from run1.txt --from run2.txt …] [--users 5000 …]
//   --from: bench:spawn outputs (their `cost.*: value` lines; the median of each over the files).
//   Without --from, the figures below (bench/RESULTS.md "scale", session 7) are used.
// Every assumption is an option; each is printed with the result as `assume.<name>: value`.
import fs from 'node:fs';
import { numberArg } from './lib/args';
import { median } from './lib/stats';

/** Per-spawn costs, 2 replicas of every service, medians of session 7's three R2 runs (bench/RESULTS.md "scale"). */
const MEASURED: Record<string, number> = {
  'cost.events_per_spawn': 10,
  'cost.event_bytes_per_spawn': 3471,
  'cost.store_bytes_per_spawn': 18104,
  'cost.event_table_bytes_per_spawn': 7045,
  'cost.store_round_trips_per_spawn': 220.0,
  'cost.nats_msgs_per_spawn': 35.5,
  'cost.nats_msgs_received_per_spawn': 69.5,
  'cost.projector.cpu_ms_per_spawn': 49.6,
  'cost.spawner.cpu_ms_per_spawn': 88.9,
  'cost.spawner.condor_tools_cpu_ms_per_spawn': 43.4,
  'cost.port-registry.cpu_ms_per_spawn': 23.4,
  'cost.hub.cpu_ms_per_spawn': 36.6,
  'cost.proxy.cpu_ms_per_spawn': 22.4,
  'cost.condor-poller.cpu_ms_per_spawn': 31.5,
  'cost.condor-poller.condor_tools_cpu_ms_per_spawn': 21.8,
};
const SERVICES = ['projector', 'spawner', 'port-registry', 'hub', 'proxy', 'condor-poller'];

function fromFiles(): Record<string, number> {
  const files: string[] = [];
  process.argv.forEach((a, i) => a === '--from' && files.push(process.argv[i + 1]));
  if (!files.length) return MEASURED;
  const values = new Map<string, number[]>();
  for (const file of files) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^(cost\.[\w.-]+): (-?[\d.]+)$/.exec(line.trim());
      if (!m) continue;
      if (!values.has(m[1])) values.set(m[1], []);
      values.get(m[1])!.push(Number(m[2]));
    }
  }
  const out: Record<string, number> = {};
  for (const [k, xs] of values) out[k] = median(xs);
  for (const k of Object.keys(MEASURED)) if (!(k in out)) throw new Error(`${k} is in none of ${files.join(', ')}`);
  return out;
}

const assume = {
  users: numberArg('users', 5000),
  // Server starts per user per day, averaged over every user (weekends and the inactive included).
  spawnsPerUserDay: numberArg('spawns-per-user-day', 1),
  // The busiest hour holds this share of the day's starts (a working day of ~8 h: 1/8 flat).
  peakHourShare: numberArg('peak-hour-share', 0.25),
  // A class pressing Start together: this many starts within one minute (the bench's storm).
  stormSpawns: numberArg('storm-spawns', 200),
  // Stopping a server (stop, removal, route removal, stopped), events per spawn, each of the
  // measured mean size; not measured by bench:spawn, which only starts servers.
  stopEvents: numberArg('stop-events', 6),
  // Notebooks open at the busiest time, as a share of users.
  concurrentShare: numberArg('concurrent-share', 0.3),
  // HTTP requests through the proxy per open notebook per second (Jupyter's polling of
  // kernels, sessions, contents and terminals, plus saves; websocket frames are not requests).
  requestsPerNotebookS: numberArg('requests-per-notebook-s', 1),
  // The proxy's CPU per request at 1,000 routes with ownership, activity and metrics on
  // (bench/RESULTS.md, proxy, session 6).
  proxyCpuUsPerRequest: numberArg('proxy-cpu-us', 87),
  // Keep cores below this busy share (headroom for bursts and GC).
  coreTarget: numberArg('core-target', 0.5),
};

function main() {
  const c = fromFiles();
  const print = (name: string, value: number, digits = 0) => console.log(`${name}: ${value.toFixed(digits)}`);
  for (const [k, v] of Object.entries(assume)) console.log(`assume.${k}: ${v}`);

  const spawnsDay = assume.users * assume.spawnsPerUserDay;
  const eventsPerSpawn = c['cost.events_per_spawn'] + assume.stopEvents;
  const bytesPerEvent = c['cost.event_bytes_per_spawn'] / c['cost.events_per_spawn'];
  // The store grows by more than the events (indexes, inbox rows, timers, read-model rows): the
  // measured schema growth per spawn, scaled up for the stop's events by the same ratio.
  const storePerSpawn = c['cost.store_bytes_per_spawn'] * (eventsPerSpawn / c['cost.events_per_spawn']);
  print('scale.spawns_per_day', spawnsDay);
  print('scale.events_per_day', spawnsDay * eventsPerSpawn);
  print('scale.event_mb_per_day', (spawnsDay * eventsPerSpawn * bytesPerEvent) / 1e6, 1);
  // Before pruning: inbox rows and fired timers go after CONDORHUB_INBOX_RETENTION_S.
  print('scale.store_growth_mb_per_day', (spawnsDay * storePerSpawn) / 1e6, 1);
  // Kept for good: the events table with its indexes.
  const keptPerSpawn = c['cost.event_table_bytes_per_spawn'] * (eventsPerSpawn / c['cost.events_per_spawn']);
  print('scale.events_table_growth_mb_per_day', (spawnsDay * keptPerSpawn) / 1e6, 1);
  print('scale.events_table_growth_gb_per_year', (spawnsDay * keptPerSpawn * 365) / 1e9, 1);

  // Two peaks: the busiest hour, and a class's storm within a minute.
  const peaks = {
    peak_hour: (spawnsDay * assume.peakHourShare) / 3600,
    storm: assume.stormSpawns / 60,
  };
  for (const [peak, perS] of Object.entries(peaks)) {
    print(`scale.${peak}.spawns_per_s`, perS, 2);
    print(`scale.${peak}.events_per_s`, perS * c['cost.events_per_spawn'], 1);
    print(`scale.${peak}.store_round_trips_per_s`, perS * c['cost.store_round_trips_per_spawn'], 0);
    print(
      `scale.${peak}.nats_msgs_per_s`,
      perS * (c['cost.nats_msgs_per_spawn'] + c['cost.nats_msgs_received_per_spawn']),
      0,
    );
    let total = 0;
    for (const s of SERVICES) {
      const cores = (perS * c[`cost.${s}.cpu_ms_per_spawn`]) / 1000;
      total += cores;
      print(`scale.${peak}.${s}.cores`, cores, 2);
    }
    print(`scale.${peak}.condorhub_cores`, total, 2);
    print(`scale.${peak}.condorhub_cores_at_target`, total / assume.coreTarget, 1);
  }

  // The data plane: open notebooks' requests, not spawns.
  const requestsS = assume.users * assume.concurrentShare * assume.requestsPerNotebookS;
  const proxyCores = (requestsS * assume.proxyCpuUsPerRequest) / 1e6;
  print('scale.proxy_requests_per_s', requestsS);
  print('scale.proxy_cores', proxyCores, 2);
  print('scale.proxy_cores_at_target', proxyCores / assume.coreTarget, 1);
}

main();
