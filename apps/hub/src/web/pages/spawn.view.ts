import { type ServerState, culledMessage } from '@condorhub/server-lifecycle';
import { type PageUser, html, layout } from '../html/render';
import type { WebSettings } from '../web-settings';
import { serverLabel, serverPath, serverUrl } from './labels';
import { resourceFields } from './resource-fields';

export interface SpawnView {
  user: PageUser;
  csrf: string;
  owner: string;
  serverName: string;
  state: ServerState;
  settings: WebSettings;
}

/**
 * Where the proxy sends a browser whose notebook is not there (no route, or the target does
 * not answer): say which, and offer the way out.
 */
export function spawnPage(v: SpawnView): string {
  const whose =
    v.owner === v.user.name ? `Your ${serverLabel(v.serverName)}` : `${v.owner}'s ${serverLabel(v.serverName)}`;
  const s = v.settings;
  const running = v.state.phase === 'ready';
  const body = running
    ? html`<section class="card">
        <p class="lead">
          ${whose} is running on <span class="mono">${v.state.host ?? '?'}</span>, but it did not answer just now.
        </p>
        <p>
          It may be busy (a large notebook saving), or its job may have just ended. Try opening it again; if that keeps
          failing, stop it and start a new one.
        </p>
        <div class="actions">
          <a class="button primary" href="${serverUrl(v.owner, v.serverName)}">Open again</a>
          <form method="post" action="${serverPath('stop', v.owner, v.serverName)}" class="inline">
            <input type="hidden" name="_xsrf" value="${v.csrf}" /><input
              type="hidden"
              name="next"
              value="${serverPath('spawn', v.owner, v.serverName)}"
            />
            <button class="danger" type="submit">Stop it</button>
          </form>
          <a class="button" href="/hub/home">Back to my servers</a>
        </div>
      </section>`
    : html`<section class="card">
        <p class="lead">${whose} is not running${v.state.failure ? ': its last start failed' : ''}.</p>
        ${v.state.failure ? html`<p class="alert">${v.state.failure.userMessage}</p>` : ''}
        ${v.state.culled ? html`<p class="muted cull-line">${culledMessage(v.state.culled)}</p>` : ''}
        <form method="post" action="${serverPath('spawn', v.owner, v.serverName)}" class="row">
          <input type="hidden" name="_xsrf" value="${v.csrf}" />
          ${resourceFields(s, v.state.options ?? {})}
          <button class="primary" type="submit">Start it</button>
          <a class="button" href="/hub/home">Back to my servers</a>
        </form>
      </section>`;
  return layout({
    title: running ? 'Server not answering' : 'Server not running',
    user: v.user,
    csrf: v.csrf,
    body: html`<div class="page-head">
        <div>
          <h1>${running ? 'Your notebook did not answer' : 'This notebook is not running'}</h1>
          <p class="muted mono">${serverUrl(v.owner, v.serverName)}</p>
        </div>
      </div>
      ${body}`,
  });
}
