// Spawn-pending page: follow the progress stream, move the bar, refresh the stage list with
// real times from the timeline, and on ready open the notebook. Failures re-render server-side.
(function () {
  'use strict';
  var root = document.getElementById('pending');
  if (!root) return;
  var bar = root.querySelector('.progress');
  var fill = root.querySelector('.progress .bar');
  var message = document.getElementById('progress-message');
  var percent = document.getElementById('progress-percent');
  var stages = document.getElementById('stages');
  var timelineUrl = root.getAttribute('data-timeline-url');
  var pending = null;

  function fmt(ms) {
    var s = ms / 1000;
    if (s < 10) return '+' + s.toFixed(1) + ' s';
    if (s < 120) return '+' + Math.round(s) + ' s';
    return '+' + Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  }

  function refreshStages() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(timelineUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (t) {
          if (!t || !t.events) return;
          stages.textContent = '';
          t.events.forEach(function (e) {
            if (/^Route(Requested|RemovalRequested|Removed)$|^JobRemovalRequested$/.test(e.type)) return;
            var li = document.createElement('li');
            var when = document.createElement('span');
            when.className = 't';
            when.textContent = fmt(e.sinceStartMs);
            when.title = e.at;
            var what = document.createElement('span');
            what.textContent = e.message;
            li.appendChild(when);
            li.appendChild(what);
            stages.appendChild(li);
          });
        })
        .catch(function () {});
    }, 150);
  }

  // While the job waits in HTCondor's queue: why (no slot big enough, place in line, the
  // negotiator's reason). Asked at once and every 5 s; hidden again once the job left the queue.
  var queueUrl = root.getAttribute('data-queue-url');
  var queueBox = document.getElementById('queue-insight');
  var queueLines = document.getElementById('queue-lines');
  var queueTimer = null;
  function refreshQueue() {
    fetch(queueUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (q) {
        if (!q || !q.queued || !q.lines || !q.lines.length) {
          queueBox.hidden = true;
          return;
        }
        queueLines.textContent = '';
        q.lines.forEach(function (line) {
          var li = document.createElement('li');
          li.textContent = line;
          queueLines.appendChild(li);
        });
        queueBox.hidden = false;
      })
      .catch(function () {});
  }
  function stopQueue() {
    clearInterval(queueTimer);
    queueBox.hidden = true;
  }
  if (queueUrl && queueBox) {
    refreshQueue();
    queueTimer = setInterval(refreshQueue, 5000);
  }

  function show(p, text) {
    fill.style.width = Math.max(2, Math.min(100, p)) + '%';
    bar.setAttribute('aria-valuenow', String(p));
    percent.textContent = Math.round(p) + '%';
    if (text) message.textContent = text;
  }

  var errors = 0;
  var leaving = false;
  var source = new EventSource(root.getAttribute('data-progress-url'));
  source.onmessage = function (ev) {
    errors = 0;
    var e;
    try {
      e = JSON.parse(ev.data);
    } catch (x) {
      return;
    }
    show(e.progress || 0, e.message);
    refreshStages();
    if (e.ready || e.failed) stopQueue();
    if (e.ready) {
      source.close();
      bar.classList.add('ready');
      message.textContent = 'Your server is ready. Opening it…';
      setTimeout(function () {
        if (!leaving) window.location.assign(e.url || root.getAttribute('data-server-url'));
      }, 1200);
    } else if (e.failed) {
      source.close();
      bar.classList.add('failed');
      // The page knows how to explain each failure: let it.
      setTimeout(function () {
        if (!leaving) window.location.reload();
      }, 400);
    }
  };
  // Cancel posts a form: from then on the page is leaving, and a reload or redirect started
  // by the stream (the stop it causes ends the spawn) would abort that navigation.
  root.addEventListener('submit', function () {
    leaving = true;
    source.close();
    stopQueue();
  });
  source.onerror = function () {
    // EventSource reconnects by itself; a stream that keeps failing means the spawn is over.
    errors += 1;
    if (leaving) return;
    if (errors >= 3 || source.readyState === EventSource.CLOSED) {
      source.close();
      window.location.reload();
    }
  };
})();
