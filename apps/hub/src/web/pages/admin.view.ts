import type { ServerState } from '@condorhub/server-lifecycle';
import { isActive, isPending } from '@condorhub/server-lifecycle';
import type { DeadLetter } from '@condorhub/event-store';
import { type PageUser, type Raw, html, layout, raw, timeEl } from '../html/render';
import type { AdminActionEntry } from './admin/admin-audit';
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

export interface AdminUser {
  name: string;
  admin: boolean;
  lastActivity: Date | null;
  /** Active servers: deleting the user stops them. */
  active: number;
}

export interface AdminView {
  user: PageUser;
  csrf: string;
  servers: AdminServer[];
  nodes: AdminNode[];
  byDiagnosis: { diagnosis: string; count: number }[];
  spawns24h: number;
  recent: AdminFailure[];
  users: AdminUser[];
  deadLetters: DeadLetter[];
  deadLettersTotal: number;
  actions: AdminActionEntry[];
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
              ${forceRemoveForm(s, v.csrf)}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/**
 * For a server whose job is gone or whose stop is stuck: ends the entry now (the CLI's
 * force-remove). Offered on every active server; the title says what it does.
 */
function forceRemoveForm(s: AdminServer, csrf: string): Raw {
  const label = `${s.user}/${s.name}`;
  return html`<form
    method="post"
    action="/hub/admin/servers/force-remove"
    class="inline"
    data-confirm="Force-remove ${label}? Its entry ends now; the spawner still removes the job."
  >
    <input type="hidden" name="_xsrf" value="${csrf}" /><input type="hidden" name="user" value="${s.user}" /><input
      type="hidden"
      name="server"
      value="${s.name}"
    />
    <button
      class="danger small"
      type="submit"
      title="End this server's entry now, whatever its state; the spawner still removes the job"
    >
      Force remove
    </button>
  </form>`;
}

function usersSection(v: AdminView): Raw {
  return html`<section class="card" id="users">
    <h2 class="first">Users</h2>
    <form method="post" action="/hub/admin/users" class="add-users">
      <input type="hidden" name="_xsrf" value="${v.csrf}" />
      <label
        >Add users (one or several names, separated by spaces or new lines)
        <textarea name="names" rows="2" required placeholder="alice bob"></textarea>
      </label>
      <label class="check"><input type="checkbox" name="admin" /> as admins</label>
      <button class="primary small" type="submit">Add users</button>
    </form>
    ${
      v.users.length
        ? html`<table>
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Active servers</th>
                <th>Last activity</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${v.users.map(
                (u) =>
                  html`<tr data-user="${u.name}">
                    <td>${u.name}</td>
                    <td>${u.admin ? html`<span class="badge">admin</span>` : ''}</td>
                    <td>${u.active || ''}</td>
                    <td>${timeEl(u.lastActivity)}</td>
                    <td class="actions">
                      ${
                        u.name === v.user.name
                          ? html`<span class="small muted">you</span>`
                          : html`<form
                              method="post"
                              action="/hub/admin/users/delete"
                              class="inline"
                              data-confirm="Delete ${u.name}?${u.active ? ' Their running servers are stopped first.' : ''}"
                            >
                              <input type="hidden" name="_xsrf" value="${v.csrf}" /><input
                                type="hidden"
                                name="name"
                                value="${u.name}"
                              />
                              <button
                                class="danger small"
                                type="submit"
                                title="${u.active ? 'Stops their servers first, as JupyterHub does' : 'Delete this user'}"
                              >
                                Delete${u.active ? ' (stops servers)' : ''}
                              </button>
                            </form>`
                      }
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="empty">No users yet.</p>`
    }
  </section>`;
}

function deadLettersSection(v: AdminView): Raw {
  const pending = v.deadLetters.filter((d) => !d.replayedAt).length;
  return html`<section class="card" id="dead-letters">
    <h2 class="first">Dead letters</h2>
    <p class="small muted">
      Messages a consumer gave up on. Replay sends one back to that consumer (consumers are idempotent; one that fails
      again becomes a new dead
      letter).${v.deadLettersTotal > v.deadLetters.length ? ` Showing the newest ${v.deadLetters.length} of ${v.deadLettersTotal}; see \`condorhub dead-letters\`.` : ''}
    </p>
    ${
      v.deadLetters.length
        ? html`<form method="post" action="/hub/admin/dead-letters/replay" class="inline">
              <input type="hidden" name="_xsrf" value="${v.csrf}" /><input type="hidden" name="all" value="1" />
              <button class="primary small" type="submit" ${pending ? '' : 'disabled'}>
                Replay all not yet replayed (${pending})
              </button>
            </form>
            <table>
              <thead>
                <tr>
                  <th>#</th>
                  <th>Consumer</th>
                  <th>Subject / event</th>
                  <th>Error</th>
                  <th>Replays</th>
                  <th>Age</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${v.deadLetters.map(
                  (d) =>
                    html`<tr data-dead-letter="${d.id}">
                      <td class="mono">${d.id}</td>
                      <td class="mono">${d.consumer}</td>
                      <td>
                        <span class="mono small">${d.subject}</span>
                        ${d.eventType ? html`<div class="small muted">${d.eventType} on ${d.streamId ?? '?'}</div>` : ''}
                      </td>
                      <td class="small">${d.reason.replace(/\s+/g, ' ').slice(0, 300)}</td>
                      <td>
                        ${d.replays}${d.replayedAt ? html`<div class="small muted">last ${timeEl(d.replayedAt)}</div>` : ''}
                      </td>
                      <td>${timeEl(d.deadLetteredAt)}</td>
                      <td class="actions">
                        <form method="post" action="/hub/admin/dead-letters/replay" class="inline">
                          <input type="hidden" name="_xsrf" value="${v.csrf}" /><input
                            type="hidden"
                            name="id"
                            value="${d.id}"
                          />
                          <button class="small" type="submit">Replay</button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : html`<p class="empty">No dead letters.</p>`
    }
  </section>`;
}

const ACTION_TITLES: Record<AdminActionEntry['action'], string> = {
  'users-added': 'added users',
  'user-deleted': 'deleted user',
  'server-force-removed': 'force-removed server',
  'dead-letters-replayed': 'replayed dead letters',
  'node-released': 'released node',
};

function actionsSection(v: AdminView): Raw {
  return html`<section class="card" id="admin-actions">
    <h2 class="first">Recent admin actions</h2>
    ${
      v.actions.length
        ? html`<table>
            <tbody>
              ${v.actions.map(
                (a) =>
                  html`<tr>
                    <td>${timeEl(a.at)}</td>
                    <td>${a.admin}</td>
                    <td>${ACTION_TITLES[a.action] ?? a.action}</td>
                    <td class="mono small">${a.target}</td>
                    <td class="small muted">${a.detail ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="empty">None yet.</p>`
    }
  </section>`;
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
      ${usersSection(v)}
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
                          ${n.strikes.length}${
                            n.strikes.length
                              ? html`<details class="small strikes">
                                  <summary>${n.strikes[n.strikes.length - 1].reason}</summary>
                                  <ol>
                                    ${n.strikes.map((k) => html`<li>${timeEl(k.at)} ${k.reason}</li>`)}
                                  </ol>
                                </details>`
                              : ''
                          }
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
      </div>
      ${deadLettersSection(v)} ${actionsSection(v)}`,
  });
}
