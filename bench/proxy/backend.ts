/**
 * Stand-in notebooks for the proxy benchmark: one process, N listening ports on 127.0.0.1
 * (one per route, as real notebooks each have their own port), a tiny JSON answer, and a
 * websocket echo on every port. Reports its ports to the parent over IPC.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const count = Number(process.argv[2] ?? 1000);
const body = Buffer.from('{"version":"2.14.0","ok":true}');

const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => {
  ws.on('message', (m) => ws.send(m));
  ws.on('error', () => ws.terminate());
});

function handler(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

async function main(): Promise<void> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    // keepAliveTimeout well above the proxies' idle pools, as tornado's (1 h), so stale-socket races stay out of the figures.
    const server = http.createServer({ keepAliveTimeout: 60_000 }, handler);
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    ports.push((server.address() as AddressInfo).port);
  }
  process.send!({ ready: true, ports });
}

process.on('disconnect', () => process.exit(0));
void main();
