import { type ServerState, culledMessage, isActive, isPending } from '@condorhub/server-lifecycle';
import { type PageUser, type Raw, html, layout, timeEl } from '../html/render';
import type { WebSettings } from '../web-settings';
import { badge, resources, serverLabel, serverPath, serverUrl } from './labels';
import { resourceFields } from './resource-fields';

export interface ServerItem {
  name: string;
  state: ServerState;
  lastActivity: Date | null;
}

/** Start/Stop/Open for one server; `next` is where a stop returns to. */
export function serverActions(user: string, item: ServerItem, csrf: string, next: string): Raw {
  const s = item.state;
  const open =
    s.phase === 'ready' ? html`<a class="button primary small" href="${serverUrl(user, item.name)}">Open</a>` : '';
  const progress = isPending(s)
    ? html`<a class="button small" href="${serverPath('spawn-pending', user, item.name)}">Progress</a>`
    : '';
  const stop = isActive(s)
    ? html`<form method="post" action="${serverPath('stop', user, item.name)}" class="inline">
        <input type="hidden" name="_xsrf" value="${csrf}" /><input type="hidden" name="next" value="${next}" />
        <button class="danger small" type="submit" ${s.phase === 'stopping' ? 'disabled' : ''}>Stop</button>
      </form>`
    : '';
  const start = !isActive(s)
    ? html`<form method="post" action="${serverPath('spawn', user, item.name)}" class="inline">
        <input type="hidden" name="_xsrf" value="${csrf}" />
        ${s.options?.cpus ? html`<input type="hidden" name="cpus" value="${s.options.cpus}" />` : ''}
        ${s.options?.memoryMb ? html`<input type="hidden" name="memory_mb" value="${s.options.memoryMb}" />` : ''}
        <button class="primary small" type="submit">Start</button>
      </form>`
    : '';
  const timeline = s.spawnId
    ? html`<a class="button small" href="${serverPath('timeline', user, item.name)}">Timeline</a>`
    : '';
  return html`${open}${progress}${start}${stop}${timeline}`;
}

export function serversTable(user: string, items: ServerItem[], csrf: string): Raw {
  const rows = items.map((item) => {
    const s = item.state;
    const busy = isPending(s) || s.phase === 'stopping';
    const failure =
      s.failure && !isActive(s)
        ? html`<div class="fail-line">
            Last start failed: ${s.failure.userMessage}
            <a href="${serverPath('spawn-pending', user, item.name)}">details</a>
          </div>`
        : '';
    // The last spawn was stopped by the culler: say why, or the server seems to vanish.
    const culled =
      s.culled && !isPending(s) ? html`<div class="small muted cull-line">${culledMessage(s.culled)}</div>` : '';
    return html`<tr data-server="${item.name}" ${busy ? 'data-busy' : ''}>
      <td>
        <strong>${item.name ? item.name : 'Default'}</strong>${
          item.name ? '' : html`<div class="muted small">/user/${user}/</div>`
        }${failure}${culled}
      </td>
      <td class="state">${badge(s)}${s.heldReason ? html`<div class="small muted">${s.heldReason}</div>` : ''}</td>
      <td class="mono">${s.jobId ?? html`<span class="muted">–</span>`}</td>
      <td class="mono">${s.host ?? html`<span class="muted">–</span>`}</td>
      <td>${resources(s) || html`<span class="muted">–</span>`}</td>
      <td>${timeEl(s.requestedAt)}</td>
      <td>${timeEl(item.lastActivity)}</td>
      <td class="actions">${serverActions(user, item, csrf, '/hub/home')}</td>
    </tr>`;
  });
  return html`<table class="servers">
    <thead>
      <tr>
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
      ${rows}
    </tbody>
  </table>`;
}

export interface HomeView {
  user: PageUser;
  csrf: string;
  items: ServerItem[];
  settings: WebSettings;
  error?: string;
  form?: { serverName?: string; cpus?: number; memoryMb?: number };
}

export function homePage(v: HomeView): string {
  const s = v.settings;
  return layout({
    title: 'My servers',
    user: v.user,
    csrf: v.csrf,
    nav: 'home',
    scripts: ['home.js'],
    body: html`<div class="page-head">
        <div>
          <h1>My servers</h1>
          <p class="muted">Each server is a Jupyter notebook running as a batch job on the HTCondor pool.</p>
        </div>
      </div>
      ${v.error ? html`<p class="alert" role="alert">${v.error}</p>` : ''}
      <section class="card" id="servers" data-live-url="/hub/home/servers">
        ${serversTable(v.user.name, v.items, v.csrf)}
      </section>
      <section class="card">
        <h2 class="first">Start a server</h2>
        <form method="post" action="/hub/spawn/${v.user.name}" class="row" id="start-form">
          <input type="hidden" name="_xsrf" value="${v.csrf}" />
          <label
            >Name
            <input
              name="server_name"
              placeholder="empty: default server"
              pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}"
              maxlength="64"
              value="${v.form?.serverName ?? ''}"
          /></label>
          ${resourceFields(s, v.form ?? {})}
          <button class="primary" type="submit">Start</button>
        </form>
        <p class="muted small">
          Up to ${s.CONDORHUB_MAX_CPUS} CPUs and ${s.CONDORHUB_MAX_MEMORY_MB / 1024} GB per server,
          ${s.CONDORHUB_NAMED_SERVER_LIMIT} named servers at a time.
        </p>
      </section>`,
  });
}

export { serverLabel };
