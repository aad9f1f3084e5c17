// Refresh the waiting queue every 10 seconds without reloading the page.
// Rows are built from the page's <template> (the texts stay in the French template).
(function () {
  "use strict";
  var table = document.getElementById("waiting");
  if (!table) { return; }
  var body = table.querySelector("tbody");
  var template = document.getElementById("row-template");
  var empty = document.getElementById("empty");
  var news = document.getElementById("news");
  var newsText = document.getElementById("news-text").textContent;

  function row(item) {
    var tr = template.content.firstElementChild.cloneNode(true);
    tr.dataset.id = item.id;
    tr.querySelector('[data-f="created"]').textContent = item.created;
    var kind = tr.querySelector('[data-f="kind"]');
    kind.textContent = kind.dataset[item.kind] || item.kind;
    tr.querySelector('[data-f="channel"]').textContent = item.channel_label;
    tr.querySelector('[data-f="summary"]').textContent = item.summary;
    var form = tr.querySelector("form");
    form.action = form.dataset.action.replace(/\/0\/take$/, "/" + item.id + "/take");
    return tr;
  }

  function refresh() {
    fetch(table.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (items) {
        var known = {};
        body.querySelectorAll("tr").forEach(function (tr) { known[tr.dataset.id] = tr; });
        var added = false;
        var fresh = document.createDocumentFragment();
        items.forEach(function (item) {
          var tr = known[String(item.id)];
          if (!tr) { tr = row(item); added = true; }
          fresh.appendChild(tr);
        });
        // Keep focus where the agent is when their row stays.
        body.replaceChildren(fresh);
        table.hidden = items.length === 0;
        empty.hidden = items.length !== 0;
        if (added) { news.textContent = newsText; }
      })
      .catch(function () { /* keep the current list; next poll may work */ });
  }
  setInterval(refresh, 10000);
})();
