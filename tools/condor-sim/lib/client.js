'use strict';
// One request/response over the daemon's unix socket: a JSON line each way.
const net = require('node:net');

function request(socketPath, payload, timeoutMs) {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    let buf = '';
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      fn(v);
    };
    const timer = setTimeout(
      () => finish(reject, Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(payload)}\n`));
    sock.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        try {
          finish(resolve, JSON.parse(buf.slice(0, nl)));
        } catch (e) {
          finish(reject, e);
        }
      }
    });
    sock.on('error', (e) => finish(reject, e));
    sock.on('close', () => finish(reject, Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
  });
}

module.exports = { request };
