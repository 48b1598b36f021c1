import { serverPrefix } from '@condorhub/contracts';
import type { ServerState } from '@condorhub/server-lifecycle';
import { type Raw, html } from '../html/render';

/** A server's state as users read it (the OnDemand card's words), with its badge colour. */
export function phaseLabel(s: ServerState): { text: string; tone: string } {
  switch (s.phase) {
    case 'requested':
    case 'submitted':
      return { text: 'Submitting', tone: 'info' };
    case 'queued':
      return s.heldReason ? { text: 'Held', tone: 'bad' } : { text: 'Queued', tone: 'info' };
    case 'starting':
    case 'port-reported':
    case 'routing':
      return { text: 'Starting', tone: 'info' };
    case 'ready':
      return { text: 'Running', tone: 'ok' };
    case 'stopping':
      return { text: s.failure ? 'Failed, cleaning up' : 'Stopping', tone: 'warn' };
    case 'stopped':
      return s.failure ? { text: 'Failed', tone: 'bad' } : { text: 'Stopped', tone: '' };
    default:
      return { text: 'Never started', tone: '' };
  }
}

export const badge = (s: ServerState): Raw => {
  const l = phaseLabel(s);
  return html`<span class="badge ${l.tone}">${l.text}</span>`;
};

/** Short titles for the failure box; the advice itself comes with the failure (server-lifecycle). */
export const DIAGNOSIS_TITLES: Record<string, string> = {
  'submit-rejected': 'HTCondor refused the job',
  'never-scheduled': 'No node took the job',
  'removed-by-condor': 'HTCondor removed the job',
  'held-by-condor': 'HTCondor put the job on hold',
  'job-exited': 'The job ended early',
  'node-unresponsive': 'The worker node did not respond',
  'home-over-quota': 'Your home directory is full',
  'home-not-writable': 'Your home directory is not writable',
  'runtime-dir-not-writable': "Jupyter's runtime directory is not writable",
  'bad-user-config': 'Your Jupyter configuration stops the notebook',
  'user-jupyter-config': 'A setting in your Jupyter configuration blocks the hub',
  'port-bind-failure': 'The notebook could not open its port',
  'module-missing': 'A Python module is missing',
  'notebook-exited': 'The notebook exited',
  'handshake-failed': 'The notebook did not answer the hub',
  'route-failed': 'The notebook is not reachable',
  'condor-unreachable': 'HTCondor did not answer',
  'api-token-taken': "The notebook's start credential was used by another process",
  unknown: 'The server could not start',
};

export const serverLabel = (serverName: string) => (serverName ? `server “${serverName}”` : 'default server');

export function serverPath(kind: 'spawn' | 'spawn-pending' | 'stop' | 'timeline', user: string, serverName: string) {
  const base = `/hub/${kind}/${encodeURIComponent(user)}`;
  return serverName ? `${base}/${encodeURIComponent(serverName)}` : base;
}

export function apiServerPath(user: string, serverName: string, tail: string) {
  const u = encodeURIComponent(user);
  return serverName
    ? `/hub/api/condorhub/users/${u}/servers/${encodeURIComponent(serverName)}/${tail}`
    : `/hub/api/condorhub/users/${u}/server/${tail}`;
}

export const serverUrl = serverPrefix;

export function resources(s: ServerState): string {
  const o = s.options ?? {};
  const parts = [];
  if (o.cpus) parts.push(`${o.cpus} CPU${o.cpus > 1 ? 's' : ''}`);
  if (o.memoryMb) parts.push(o.memoryMb >= 1024 ? `${+(o.memoryMb / 1024).toFixed(1)} GB` : `${o.memoryMb} MB`);
  return parts.join(', ');
}

/** "12 s", "3 min 5 s", "2 h 4 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
