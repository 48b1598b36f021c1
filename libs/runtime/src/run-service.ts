import type { INestApplicationContext } from '@nestjs/common';

/**
 * A service's main: boot, then close cleanly on SIGTERM/SIGINT (loops stop, then connections).
 * A start-up failure (bad config, no database) prints one clear line and exits 1.
 */
export function runService(name: string, boot: () => Promise<INestApplicationContext>): void {
  boot()
    .then((app) => {
      let closing = false;
      const close = (signal: string) => {
        if (closing) return;
        closing = true;
        console.error(`${name}: ${signal}, shutting down`);
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        void app.close().then(() => process.exit(0));
      };
      process.on('SIGTERM', () => close('SIGTERM'));
      process.on('SIGINT', () => close('SIGINT'));
      // Started by a supervisor over IPC (the spawn bench): say so.
      if (process.connected) process.send?.({ ready: name });
    })
    .catch((error) => {
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
