// Pages with live lists (home, admin): show times as "3 min ago", and while a server is
// starting or stopping, re-read the list every few seconds.
(function () {
  'use strict';
  function ago(iso) {
    var s = (Date.now() - Date.parse(iso)) / 1000;
    if (!isFinite(s)) return null;
    if (s < 45) return 'just now';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' days ago';
  }
  function humanize(scope) {
    var list = scope.querySelectorAll('time[datetime]');
    for (var i = 0; i < list.length; i++) {
      var text = ago(list[i].getAttribute('datetime'));
      if (text) list[i].textContent = text;
    }
  }
  humanize(document);
  // Forms that cannot be undone (delete a user, force-remove a server) ask first.
  document.addEventListener(
    'submit',
    function (e) {
      var question = e.target.getAttribute && e.target.getAttribute('data-confirm');
      if (question && !window.confirm(question)) e.preventDefault();
    },
    true,
  );
  // A page about something that is finishing (a failed spawn being cleaned up) looks again soon.
  if (document.querySelector('[data-reload-soon]'))
    setTimeout(function () {
      window.location.reload();
    }, 2000);
  var live = document.querySelector('[data-live-url]');
  if (!live) return;
  setInterval(function () {
    if (!live.querySelector('[data-busy]')) return;
    fetch(live.getAttribute('data-live-url'), { credentials: 'same-origin' })
      .then(function (r) {
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        live.innerHTML = html;
        humanize(live);
      })
      .catch(function () {});
  }, 3000);
})();
