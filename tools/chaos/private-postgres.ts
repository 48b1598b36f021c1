import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@condorhub/testing';

const PG_BIN = process.env.CONDORHUB_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

/**
 * A PostgreSQL cluster of this run's own (initdb into a temp dir, its own port and socket
 * dir), so the chaos run can stop and restart it without touching the machine's shared server.
 * initdb refuses root, so the cluster runs as the `postgres` OS account. Durability off
 * (fsync=off): a restart here is a clean stop and start, not a power cut.
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'condorhub-pg-'));
  private readonly data = path.join(this.dir, 'data');
  private readonly sockets = path.join(this.dir, 'sockets');
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(await freePort());
    pg.init();
    pg.up();
    return pg;
  }

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/condorhub`;
  }

  private asPostgres(tool: string, args: string[]) {
    const asRoot = process.getuid?.() === 0;
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', OS_USER, '--', path.join(PG_BIN, tool), ...args]]
      : [path.join(PG_BIN, tool), args];
    return execFileSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private init() {
    mkdirSync(this.sockets);
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
      chownSync(this.dir, uid, gid);
      chownSync(this.sockets, uid, gid);
    }
    this.asPostgres('initdb', ['-D', this.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  }

  up() {
    const options = [
      `-p ${this.port}`,
      `-k ${this.sockets}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=300',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    this.asPostgres('pg_ctl', [
      '-D',
      this.data,
      '-o',
      options,
      '-l',
      path.join(this.dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /** Fast shutdown: open sessions are ended, as in a restart of the server by an operator. */
  down() {
    this.asPostgres('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  dispose() {
    try {
      this.asPostgres('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
