import type { EventEnvelope } from '@condorhub/contracts';
import { stageMessage } from '@condorhub/server-lifecycle';
import { type PageUser, type Raw, escapeHtml, html, layout, raw, timeEl } from '../html/render';
import { duration, serverLabel, serverPath } from './labels';

/** The lane each event opens; events not listed keep the current lane (they are marks on it). */
const OPENS: Record<string, string> = {
  SpawnRequested: 'Submit',
  JobSubmitted: 'Queue',
  JobRunning: 'Job start',
  PortReported: 'Handshake',
  NotebookResponded: 'Routing',
  ServerReady: 'Running',
  StopRequested: 'Stopping',
  SpawnFailed: 'Failed',
};
const LANES = ['Submit', 'Queue', 'Job start', 'Handshake', 'Routing', 'Running', 'Stopping', 'Failed'];
const COLORS: Record<string, string> = {
  Submit: '#8a94a6',
  Queue: '#d9951e',
  'Job start': '#3f84d1',
  Handshake: '#7a5cc7',
  Routing: '#239f94',
  Running: '#1e7d45',
  Stopping: '#9aa3b2',
  Failed: '#b42318',
};
const HINT: Record<string, string> = {
  Submit: 'condor_submit',
  Queue: 'idle in the queue until a node runs the job',
  'Job start': 'launcher checks, then Jupyter starts and reports its port',
  Handshake: 'the hub checks the notebook answers',
  Routing: 'the proxy adds the route',
  Running: 'ready for the user',
  Stopping: 'route and job removed',
  Failed: 'failure handling: route and job removed',
};

export interface Segment {
  lane: string;
  from: number;
  to: number;
  open: boolean;
}

/** Stages as time segments: each stage lasts from the event that opens it to the next stage's. */
export function segments(events: EventEnvelope[], now: number, live: boolean): Segment[] {
  const out: Segment[] = [];
  let current: Segment | undefined;
  for (const e of events) {
    const at = Date.parse(e.recordedAt);
    if (e.type === 'ServerStopped') {
      if (current) current.to = at;
      current = undefined;
      continue;
    }
    const lane = OPENS[e.type];
    if (!lane || lane === current?.lane) {
      if (current) current.to = at;
      continue;
    }
    if (current) current.to = at;
    current = { lane, from: at, to: at, open: false };
    out.push(current);
  }
  if (current && live) {
    current.to = Math.max(current.to, now);
    current.open = true;
  }
  return out;
}

/** Axis labels as precise as the step needs ("0.5 s", "90 s", "2 min"). */
function axisLabel(t: number, step: number): string {
  if (step < 1000) return `${(t / 1000).toFixed(1)} s`;
  if (step < 60_000) return `${Math.round(t / 1000)} s`;
  if (step < 3_600_000) return `${+(t / 60_000).toFixed(1)} min`;
  return `${+(t / 3_600_000).toFixed(1)} h`;
}

function tickStep(totalMs: number): number {
  const steps = [
    100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
    7_200_000, 21_600_000, 86_400_000,
  ];
  return steps.find((s) => totalMs / s <= 8) ?? 86_400_000;
}

/** The picture: one lane per stage on a shared time axis, bars with their durations, events as numbered marks. */
export function timelineSvg(events: EventEnvelope[], now: number, live: boolean): Raw {
  if (!events.length) return html`<p class="empty">No events.</p>`;
  const t0 = Date.parse(events[0].recordedAt);
  const segs = segments(events, now, live);
  const end = Math.max(...segs.map((s) => s.to), Date.parse(events[events.length - 1].recordedAt));
  const total = Math.max(end - t0, 1000);
  const W = 1000;
  const L = 150;
  const R = 30;
  const top = 28;
  const rowH = 34;
  const lanes = LANES.filter((l) => segs.some((s) => s.lane === l));
  const eventsRow = top + lanes.length * rowH + 8;
  const H = eventsRow + 44;
  const x = (t: number) => L + ((t - t0) / total) * (W - L - R);
  const step = tickStep(total);
  const parts: string[] = [];
  parts.push(`<g class="grid">`);
  for (let t = 0; t <= total + 1; t += step) {
    const px = x(t0 + t).toFixed(1);
    parts.push(`<line x1="${px}" y1="${top - 6}" x2="${px}" y2="${eventsRow + 24}"/>`);
  }
  parts.push(`</g><g class="axis">`);
  for (let t = 0; t <= total + 1; t += step) {
    parts.push(
      `<text x="${x(t0 + t).toFixed(1)}" y="${top - 12}" text-anchor="middle">${escapeHtml(axisLabel(t, step))}</text>`,
    );
  }
  parts.push(`</g>`);
  lanes.forEach((lane, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text class="lane-label" x="${L - 12}" y="${y + rowH / 2 + 4}" text-anchor="end">${escapeHtml(lane)}<title>${escapeHtml(HINT[lane])}</title></text>`,
    );
    for (const s of segs.filter((g) => g.lane === lane)) {
      const x1 = x(s.from);
      const w = Math.max(3, x(s.to) - x1);
      const label = `${duration(s.to - s.from)}${s.open ? '…' : ''}`;
      parts.push(
        `<rect x="${x1.toFixed(1)}" y="${y + 6}" width="${w.toFixed(1)}" height="${rowH - 12}" rx="4" fill="${COLORS[lane]}"${
          s.open ? ' fill-opacity="0.75" stroke-dasharray="4 3" stroke="#1d2330"' : ''
        }><title>${escapeHtml(`${lane}: ${label} (${HINT[lane]})`)}</title></rect>`,
      );
      const inside = w > label.length * 7 + 12;
      parts.push(
        `<text class="dur${inside ? '' : ' outside'}" x="${(inside ? x1 + w / 2 : x1 + w + 6).toFixed(1)}" y="${y + rowH / 2 + 4}" text-anchor="${inside ? 'middle' : 'start'}">${escapeHtml(label)}</text>`,
      );
    }
  });
  parts.push(`<text class="lane-label" x="${L - 12}" y="${eventsRow + 16}" text-anchor="end">Events</text>`);
  parts.push(`<line x1="${L}" y1="${eventsRow + 12}" x2="${W - R}" y2="${eventsRow + 12}" stroke="#c3cad6"/>`);
  events.forEach((e, i) => {
    const px = x(Date.parse(e.recordedAt));
    const bad =
      /Failed|TimedOut|Held|Removed$|Unknown/.test(e.type) &&
      !['JobRemovalRequested', 'StrayJobRemoved'].includes(e.type);
    parts.push(
      `<g><circle cx="${px.toFixed(1)}" cy="${eventsRow + 12}" r="8" fill="${bad ? '#b42318' : '#fff'}" stroke="${bad ? '#b42318' : '#1d2330'}"/>` +
        `<text x="${px.toFixed(1)}" y="${eventsRow + 16}" text-anchor="middle" font-size="10" ${bad ? 'fill="#fff"' : ''}>${i + 1}</text>` +
        `<title>${escapeHtml(`${i + 1}. ${e.type} at +${duration(Date.parse(e.recordedAt) - t0)}`)}</title></g>`,
    );
  });
  return raw(
    `<svg class="timeline-svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="spawn timeline" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`,
  );
}

export interface SpawnSummary {
  spawnId: string;
  outcome: string;
  diagnosis: string | null;
  requestedAt: Date;
}

export interface TimelineView {
  user: PageUser;
  csrf: string;
  owner: string;
  serverName: string;
  spawnId: string;
  events: EventEnvelope[];
  live: boolean;
  spawns: SpawnSummary[];
}

export function timelinePage(v: TimelineView): string {
  const now = Date.now();
  const t0 = v.events.length ? Date.parse(v.events[0].recordedAt) : now;
  let prev = t0;
  const rows = v.events.map((e, i) => {
    const at = Date.parse(e.recordedAt);
    const row = html`<tr>
      <td class="muted">${i + 1}</td>
      <td>${timeEl(e.recordedAt)}</td>
      <td class="mono">+${duration(at - t0)}</td>
      <td class="mono muted">+${duration(at - prev)}</td>
      <td class="mono">${e.type}</td>
      <td>${stageMessage(e, v.events[0].recordedAt) ?? detailOf(e)}</td>
    </tr>`;
    prev = at;
    return row;
  });
  const last = v.events[v.events.length - 1];
  const whose = `${v.owner}'s ${serverLabel(v.serverName)}`;
  const base = serverPath('timeline', v.owner, v.serverName);
  return layout({
    title: 'Spawn timeline',
    user: v.user,
    csrf: v.csrf,
    nav: v.owner === v.user.name ? 'home' : 'admin',
    scripts: ['home.js'],
    body: html`<div class="page-head">
        <div>
          <h1>Spawn timeline</h1>
          <p class="muted">
            ${whose} · spawn <span class="mono">${v.spawnId}</span> · ${v.events.length} events over
            ${last ? duration(Date.parse(last.recordedAt) - t0) : '0 s'}${v.live ? ' so far' : ''}
          </p>
        </div>
        <div class="actions">
          <a class="button" href="${serverPath('spawn-pending', v.owner, v.serverName)}">Server page</a>
          <a class="button" href="/hub/home">My servers</a>
        </div>
      </div>
      <section class="card">
        ${timelineSvg(v.events, now, v.live)}
        <div class="legend">
          ${LANES.map((l) => html`<span title="${HINT[l]}"><i class="sw-${l.replace(/\s/g, '-').toLowerCase()}"></i>${l}</span>`)}
        </div>
      </section>
      <section class="card">
        <h2 class="first">Every event</h2>
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Since start</th>
              <th>Since previous</th>
              <th>Event</th>
              <th>What happened</th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>
      </section>
      ${
        v.spawns.length > 1
          ? html`<section class="card">
              <h2 class="first">Earlier spawns of this server</h2>
              <table>
                <tbody>
                  ${v.spawns.map(
                    (s) =>
                      html`<tr>
                        <td>${timeEl(s.requestedAt)}</td>
                        <td>${s.outcome}${s.diagnosis ? ` (${s.diagnosis})` : ''}</td>
                        <td><a href="${base}?spawn=${s.spawnId}">${s.spawnId === v.spawnId ? 'shown' : 'show'}</a></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </section>`
          : ''
      }`,
  });
}

function detailOf(e: EventEnvelope): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'LauncherReported':
      return `Launcher: ${String(d.diagnosis ?? '')} ${d.message ? `(${String(d.message)})` : ''}`.trim();
    case 'PortReportTimedOut':
      return `No port report from ${String(d.host)} after ${String(d.waitedS)} s`;
    case 'HandshakeFailed':
      return `Notebook did not answer: ${String(d.error ?? d.status ?? '')}`;
    case 'JobRemoved':
      return `HTCondor removed the job: ${String(d.reason)}`;
    case 'JobCompleted':
      return `Job ended (exit code ${String(d.exitCode)})`;
    case 'JobStateUnknown':
      return `condor_q failed (${String(d.failedQueries)}×): ${String(d.error)}`;
    case 'IdleTimedOut':
      return `Waited ${String(d.waitedS)} s in the queue`;
    case 'RouteRequested':
      return `Route ${String(d.routeSpec)} → ${String(d.target)} requested`;
    case 'RouteRemovalRequested':
      return 'Route removal requested';
    case 'RouteRemoved':
      return 'Route removed';
    case 'JobRemovalRequested':
      return 'condor_rm requested';
    default:
      return e.type;
  }
}
