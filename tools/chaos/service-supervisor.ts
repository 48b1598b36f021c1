import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { forkService, stopServiceProcess } from '../../apps/all-in-one/src/testing/service-processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * condorhub's services, each its own process and session (as docker-compose or systemd run
 * them), that the chaos driver can SIGKILL and start again. Like systemd's Restart=always, a
 * service that dies on its own is started again too, and counted: that is a finding.
 */
export class ServiceSupervisor {
  private readonly children = new Map<string, ChildProcess>();
  /** Services being killed or restarted on purpose: their exits are expected. */
  private readonly planned = new Set<string>();
  private closing = false;
  /** Restarts of services that died on their own, under way. */
  private readonly restarting = new Map<string, Promise<void>>();
  readonly kills = new Map<string, number>();
  readonly unplannedExits: { service: string; how: string; at: number }[] = [];

  constructor(
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly log: (line: string) => void,
  ) {
    fs.mkdirSync(logDir, { recursive: true });
  }

  pid(service: string) {
    return this.children.get(service)?.pid;
  }

  /** Starts `service`, retrying while it cannot come up (its store or broker may be down). */
  async start(service: string, giveUpAt = Date.now() + 120_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const out = fs.openSync(path.join(this.logDir, `${service}.log`), 'a');
      try {
        const child = await forkService(service, this.env, 60_000, out);
        this.children.set(service, child);
        child.once('exit', (code, signal) => this.exited(service, child, `${signal ?? code}`));
        return;
      } catch (error) {
        if (this.closing || Date.now() > giveUpAt) throw error;
        if (attempt === 1 || attempt % 10 === 0)
          this.log(`${service} did not start (attempt ${attempt}): ${String(error)}`);
        await sleep(1_000);
      } finally {
        fs.closeSync(out);
      }
    }
  }

  private exited(service: string, child: ChildProcess, how: string) {
    if (this.children.get(service) !== child) return;
    this.children.delete(service);
    if (this.closing || this.planned.has(service)) return;
    this.unplannedExits.push({ service, how, at: Date.now() });
    this.log(`${service} exited on its own (${how}); starting it again`);
    const restart = sleep(1_000)
      .then(() => (this.closing ? undefined : this.start(service)))
      .catch((e) => this.log(`${service} could not be started again: ${String(e)}`))
      .finally(() => this.restarting.delete(service));
    this.restarting.set(service, restart);
  }

  /** Kills of a service under way: a second waits for the first's restart. */
  private readonly killing = new Map<string, Promise<void>>();

  /** SIGKILL to the service's whole process group (proxy workers, condor tools in flight), then start it after `downMs`. */
  killAndRestart(service: string, downMs: number): Promise<void> {
    const next = (this.killing.get(service) ?? Promise.resolve()).then(() => this.killOnce(service, downMs));
    this.killing.set(service, next);
    return next;
  }

  private async killOnce(service: string, downMs: number): Promise<void> {
    this.planned.add(service);
    try {
      await this.restarting.get(service);
      const child = this.children.get(service);
      if (child?.pid) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        await gone;
      }
      this.kills.set(service, (this.kills.get(service) ?? 0) + 1);
      await sleep(downMs);
      await this.start(service);
    } finally {
      this.planned.delete(service);
    }
  }

  /** Every service up (one that died on its own may still be on its way back). */
  async ensureAll(services: string[]): Promise<void> {
    for (const s of services) {
      await this.restarting.get(s);
      if (!this.children.has(s)) await this.start(s);
    }
  }

  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.children.values()].map(async (c) => {
        await stopServiceProcess(c);
        // Workers or condor tools left in its group.
        try {
          if (c.pid) process.kill(-c.pid, 'SIGKILL');
        } catch {
          // none left
        }
      }),
    );
    this.children.clear();
  }
}
