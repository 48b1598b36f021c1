import type { ServerState } from '@condorhub/server-lifecycle';
import { culledMessage, isActive, isPending } from '@condorhub/server-lifecycle';
import { type PageUser, type Raw, html, layout, timeEl } from '../html/render';
import { DIAGNOSIS_TITLES, apiServerPath, badge, duration, serverLabel, serverPath, serverUrl } from './labels';

export interface PendingView {
  user: PageUser;
  csrf: string;
  owner: string;
  serverName: string;
  state: ServerState;
  progressUrl: string;
}

const HIDDEN = new Set(['RouteRequested', 'RouteRemovalRequested', 'RouteRemoved', 'JobRemovalRequested']);

function stagesList(s: ServerState): Raw {
  const t0 = s.requestedAt ? Date.parse(s.requestedAt) : undefined;
  const items = (s.stages ?? [])
    .filter((st) => !HIDDEN.has(st.type))
    .map(
      (st) =>
        html`<li>
          <span class="t" title="${st.at}">+${t0 !== undefined ? duration(Date.parse(st.at) - t0) : ''}</span
          ><span>${st.message}</span>
        </li>`,
    );
  return html`<ol class="stages" id="stages">
    ${items}
  </ol>`;
}

function startForm(owner: string, serverName: string, s: ServerState, csrf: string, label: string): Raw {
  return html`<form method="post" action="${serverPath('spawn', owner, serverName)}" class="inline">
    <input type="hidden" name="_xsrf" value="${csrf}" />
    ${s.options?.cpus ? html`<input type="hidden" name="cpus" value="${s.options.cpus}" />` : ''}
    ${s.options?.memoryMb ? html`<input type="hidden" name="memory_mb" value="${s.options.memoryMb}" />` : ''}
    <button class="primary" type="submit">${label}</button>
  </form>`;
}

function failureBox(v: PendingView): Raw {
  const f = v.state.failure!;
  return html`<section class="card failure" id="failure" data-diagnosis="${f.diagnosis}">
    <h2>${DIAGNOSIS_TITLES[f.diagnosis] ?? 'The server could not start'}</h2>
    <p class="todo">${f.userMessage}</p>
    <dl class="facts">
      <dt>Failed at</dt>
      <dd>${f.stage} stage, ${timeEl(f.at)}</dd>
      <dt>Diagnosis</dt>
      <dd class="mono">${f.diagnosis}</dd>
      ${
        v.state.jobId
          ? html`<dt>Job</dt>
              <dd class="mono">${v.state.jobId}${v.state.host ? ` on ${v.state.host}` : ''}</dd>`
          : ''
      }
      ${
        f.detail
          ? html`<dt>Detail</dt>
              <dd>${f.detail}</dd>`
          : ''
      }
    </dl>
    ${
      f.stderrTail
        ? html`<h3>Last lines the notebook wrote</h3>
            <pre class="tail" id="stderr-tail">${f.stderrTail}</pre>`
        : ''
    }
    <div class="actions">
      ${
        isActive(v.state)
          ? html`<span class="muted" data-reload-soon>Cleaning up the job…</span>`
          : startForm(v.owner, v.serverName, v.state, v.csrf, 'Try again')
      }
      <a class="button" href="${serverPath('timeline', v.owner, v.serverName)}">Timeline</a>
      <a class="button" href="/hub/home">Back to my servers</a>
    </div>
  </section>`;
}

export function pendingPage(v: PendingView): string {
  const s = v.state;
  const pending = isPending(s);
  const whose =
    v.owner === v.user.name ? `Your ${serverLabel(v.serverName)}` : `${v.owner}'s ${serverLabel(v.serverName)}`;
  const progress = [...(s.stages ?? [])].reverse().find((x) => x.type !== 'SpawnRequested');
  let body: Raw;
  if (pending) {
    body = html`<section
        class="card"
        id="pending"
        data-progress-url="${v.progressUrl}"
        data-timeline-url="${apiServerPath(v.owner, v.serverName, 'timeline')}"
        data-queue-url="${apiServerPath(v.owner, v.serverName, 'queue')}"
        data-server-url="${serverUrl(v.owner, v.serverName)}"
      >
        <div
          class="progress"
          role="progressbar"
          aria-label="spawn progress"
          aria-valuemin="0"
          aria-valuemax="100"
          aria-valuenow="0"
        >
          <div class="bar"></div>
        </div>
        <div class="progress-text">
          <span id="progress-message">${progress?.message ?? 'Server requested'}</span
          ><span id="progress-percent" class="muted">0%</span>
        </div>
        <div id="queue-insight" class="queue-insight" aria-live="polite" hidden>
          <h2>Why it is still waiting</h2>
          <ul id="queue-lines"></ul>
        </div>
        <h2>Stages</h2>
        ${stagesList(s)}
        <div class="actions">
          <form method="post" action="${serverPath('stop', v.owner, v.serverName)}" class="inline">
            <input type="hidden" name="_xsrf" value="${v.csrf}" /><input type="hidden" name="next" value="/hub/home" />
            <button class="danger" type="submit">Cancel</button>
          </form>
          <a class="button" href="${serverPath('timeline', v.owner, v.serverName)}">Timeline</a>
        </div>
      </section>
      <p class="muted small">
        Batch jobs can wait in the queue for a while when the pool is busy. You can leave this page; the server keeps
        starting.
      </p>`;
  } else if (s.failure && s.phase !== 'ready') {
    body = html`${failureBox(v)}
      <section class="card">
        <h2 class="first">Stages</h2>
        ${stagesList(s)}
      </section>`;
  } else if (s.phase === 'stopping') {
    body = html`<section class="card">
      <p class="lead">The server is stopping.</p>
      ${culledLine(s)}
      <div class="actions"><a class="button" href="/hub/home">Back to my servers</a></div>
    </section>`;
  } else {
    body = html`<section class="card">
      <p class="lead">${whose} is not running.</p>
      ${culledLine(s)}
      <div class="actions">
        ${startForm(v.owner, v.serverName, s, v.csrf, 'Start')}<a class="button" href="/hub/home">Back to my servers</a>
      </div>
    </section>`;
  }
  return layout({
    title: pending ? 'Starting…' : 'Server',
    user: v.user,
    csrf: v.csrf,
    scripts: pending ? ['pending.js'] : ['home.js'],
    body: html`<div class="page-head">
        <div>
          <h1>${pending ? `Starting ${whose.replace(/^Your/, 'your')}` : whose}</h1>
          <p class="muted">
            ${badge(s)} ${s.jobId ? html`job <span class="mono">${s.jobId}</span>` : ''}
            ${s.host ? html`on <span class="mono">${s.host}</span>` : ''}
            ${s.requestedAt ? html`· requested ${timeEl(s.requestedAt)}` : ''}
          </p>
        </div>
      </div>
      ${body}`,
  });
}

/** Why the culler stopped the last spawn, if it did: the user who comes back reads it here. */
function culledLine(s: ServerState): Raw | '' {
  return s.culled ? html`<p class="muted cull-line">${culledMessage(s.culled)}</p>` : '';
}
