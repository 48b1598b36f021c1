import type { ServerState } from '@condorhub/server-lifecycle';
import { isActive, isPending } from '@condorhub/server-lifecycle';
import { type PageUser, type Raw, html, layout, raw, timeEl } from '../html/render';
import { DIAGNOSIS_TITLES, badge, resources, serverPath } from './labels';
import { serverActions } from './home.view';

export interface AdminServer {
  user: string;
  name: string;
  state: ServerState;
  lastActivity: Date | null;
}

export interface AdminNode {
  host: string;
  state: string;
  strikes: { reason: string; at: string }[];
  quarantinedAt: Date | null;
  quarantineReason: string | null;
  releasedAt: Date | null;
  releasedBy: string | null;
  spawnsStarted: number;
  lastSeenAt: Date | null;
}

export interface AdminFailure {
  spawnId: string;
  userName: string;
  serverName: string;
  host: string | null;
  stage: string | null;
  diagnosis: string | null;
  userMessage: string | null;
  requestedAt: Date;
}

export interface AdminView {
  user: PageUser;
  csrf: string;
  servers: AdminServer[];
  nodes: AdminNode[];
  byDiagnosis: { diagnosis: string; count: number }[];
  spawns24h: number;
  recent: AdminFailure[];
  notice?: string;
  error?: string;
}

export function adminServersTable(v: Pick<AdminView, 'servers' | 'csrf'>): Raw {
  if (!v.servers.length) return html`<p class="empty">No servers are running.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th>User</th>
        <th>Server</th>
        <th>State</th>
        <th>Job</th>
        <th>Host</th>
        <th>Resources</th>
        <th>Started</th>
        <th>Last activity</th>
        <th></th>
      </tr>
    </thead>
    <tbody>
      ${v.servers.map(
        (s) =>
          html`<tr ${isPending(s.state) || s.state.phase === 'stopping' ? 'data-busy' : ''}>
            <td>${s.user}</td>
            <td>${s.name || html`<span class="muted">default</span>`}</td>
            <td>${badge(s.state)}</td>
            <td class="mono">${s.state.jobId ?? '–'}</td>
            <td class="mono">${s.state.host ?? '–'}</td>
            <td>${resources(s.state) || '–'}</td>
            <td>${timeEl(s.state.requestedAt)}</td>
            <td>${timeEl(s.lastActivity)}</td>
            <td class="actions">
              ${serverActions(s.user, { name: s.name, state: s.state, lastActivity: s.lastActivity }, v.csrf, '/hub/admin')}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function failureBars(rows: { diagnosis: string; count: number }[]): Raw {
  if (!rows.length) return html`<p class="empty">No failed spawns in the last 24 hours.</p>`;
  const max = Math.max(...rows.map((r) => r.count));
  const W = 520;
  const rowH = 26;
  const labelW = 230;
  const parts = rows.map((r, i) => {
    const y = i * rowH;
    const w = Math.max(4, ((W - labelW - 50) * r.count) / max);
    const title = DIAGNOSIS_TITLES[r.diagnosis] ?? r.diagnosis;
    return `<g><text x="0" y="${y + 17}">${escapeText(title)}</text>
      <rect x="${labelW}" y="${y + 5}" width="${w.toFixed(1)}" height="16" rx="3" fill="#d9534f"><title>${escapeText(r.diagnosis)}</title></rect>
      <text x="${(labelW + w + 6).toFixed(1)}" y="${y + 17}" font-weight="600">${r.count}</text></g>`;
  });
  return raw(
    `<svg class="timeline-svg" viewBox="0 0 ${W} ${rows.length * rowH + 4}" role="img" aria-label="failures by cause">${parts.join('')}</svg>`,
  );
}

const escapeText = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function adminPage(v: AdminView): string {
  const active = v.servers.filter((s) => isActive(s.state)).length;
  const quarantined = v.nodes.filter((n) => n.state === 'quarantined').length;
  return layout({
    title: 'Admin',
    user: v.user,
    csrf: v.csrf,
    nav: 'admin',
    scripts: ['home.js'],
    body: html`<div class="page-head">
        <div>
          <h1>Admin</h1>
          <p class="muted">
            ${active} active server${active === 1 ? '' : 's'} · ${v.nodes.length} node${v.nodes.length === 1 ? '' : 's'}
            (${quarantined} quarantined) · ${v.spawns24h} spawns in 24 h
          </p>
        </div>
      </div>
      ${v.notice ? html`<p class="notice">${v.notice}</p>` : ''}
      ${v.error ? html`<p class="alert" role="alert">${v.error}</p>` : ''}
      <section class="card" id="admin-servers" data-live-url="/hub/admin/servers">
        <h2 class="first">Servers</h2>
        ${adminServersTable(v)}
      </section>
      <section class="card" id="nodes">
        <h2 class="first">Worker nodes</h2>
        ${
          v.nodes.length
            ? html`<table>
                <thead>
                  <tr>
                    <th>Host</th>
                    <th>Health</th>
                    <th>Strikes</th>
                    <th>Spawns</th>
                    <th>Last seen</th>
                    <th>Quarantine</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${v.nodes.map(
                    (n) =>
                      html`<tr data-host="${n.host}">
                        <td class="mono">${n.host}</td>
                        <td>
                          ${n.state === 'quarantined' ? html`<span class="badge bad">Quarantined</span>` : html`<span class="badge ok">Healthy</span>`}
                        </td>
                        <td>
                          ${n.strikes.length}${n.strikes.length ? html`<div class="small muted">${n.strikes[n.strikes.length - 1].reason}</div>` : ''}
                        </td>
                        <td>${n.spawnsStarted}</td>
                        <td>${timeEl(n.lastSeenAt)}</td>
                        <td>
                          ${
                            n.state === 'quarantined'
                              ? html`${timeEl(n.quarantinedAt)}
                                  <div class="small">${n.quarantineReason ?? ''}</div>`
                              : n.releasedAt
                                ? html`<span class="small muted"
                                    >released by ${n.releasedBy ?? '?'} ${timeEl(n.releasedAt)}</span
                                  >`
                                : ''
                          }
                        </td>
                        <td class="actions">
                          ${
                            n.state === 'quarantined'
                              ? html`<form method="post" action="/hub/admin/nodes/release" class="inline">
                                  <input type="hidden" name="_xsrf" value="${v.csrf}" /><input
                                    type="hidden"
                                    name="host"
                                    value="${n.host}"
                                  />
                                  <button class="primary small" type="submit">Release</button>
                                </form>`
                              : ''
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="empty">No node has run a server yet.</p>`
        }
      </section>
      <div class="grid2">
        <section class="card">
          <h2 class="first">Failures by cause (24 h)</h2>
          ${failureBars(v.byDiagnosis)}
        </section>
        <section class="card">
          <h2 class="first">Recent failures</h2>
          ${
            v.recent.length
              ? html`<table>
                  <tbody>
                    ${v.recent.map(
                      (f) =>
                        html`<tr>
                          <td>${timeEl(f.requestedAt)}</td>
                          <td>${f.userName}${f.serverName ? `/${f.serverName}` : ''}</td>
                          <td>
                            <span class="mono small">${f.diagnosis ?? 'unknown'}</span
                            >${f.host ? html`<div class="small muted">on ${f.host}</div>` : ''}
                          </td>
                          <td>
                            <a href="${serverPath('timeline', f.userName, f.serverName)}?spawn=${f.spawnId}"
                              >timeline</a
                            >
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
              : html`<p class="empty">None.</p>`
          }
        </section>
      </div>`,
  });
}
