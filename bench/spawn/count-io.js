'use strict';
// Preloaded into each service process by bench:spawn (NODE_OPTIONS=--require …) to count what
// the process asks of the store and of NATS, without touching condorhub:
// - store round trips: calls of pg's Client#query (a pool query is one; pg sends one query at a
//   time per connection, so each call is one round trip; BEGIN/COMMIT count as their own);
// - NATS messages: the connection's own counters (nc.stats(): messages this process sent and
//   received, JetStream pulls, acks and publishes included).
// Every 250 ms and at exit it writes `<pid>.json` into CONDORHUB_BENCH_IO_DIR.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.CONDORHUB_BENCH_IO_DIR;
if (dir) {
  let queries = 0;
  const { Client } = require('pg');
  const query = Client.prototype.query;
  Client.prototype.query = function countedQuery(...args) {
    queries++;
    return query.apply(this, args);
  };

  const connections = [];
  const { NatsConnectionImpl } = require('@nats-io/nats-core/internal');
  const connect = NatsConnectionImpl.connect;
  NatsConnectionImpl.connect = async function countedConnect(...args) {
    const nc = await connect.apply(this, args);
    connections.push(nc);
    return nc;
  };

  const file = path.join(dir, `${process.pid}.json`);
  const write = () => {
    const nats = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };
    for (const nc of connections) {
      const s = nc.stats();
      for (const k of Object.keys(nats)) nats[k] += s[k];
    }
    const snapshot = { pid: process.pid, ppid: process.ppid, at: Date.now(), queries, ...nats };
    try {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // the bench removed the directory: nothing left to report to
    }
  };
  setInterval(write, 250).unref();
  process.on('exit', write);
}
