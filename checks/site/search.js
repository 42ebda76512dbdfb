// Search the training site by rule code or by word. Plain JS, no build step.
// The index comes from search-index.js (window.ASYNCGUARD_SEARCH), which also works from file://.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var entries = window.ASYNCGUARD_SEARCH || [];
  var input = document.getElementById("search");
  var list = document.getElementById("search-results");
  if (!input || !list) { return; }

  function tokens(text) {
    return text.toLowerCase().split(/[^a-z0-9_]+/).filter(function (t) { return t.length > 0; });
  }

  function score(entry, token) {
    var code = entry.code.toLowerCase();
    var s = 0;
    if (code && code === token) { s += 100; }
    else if (code && code.indexOf(token) === 0) { s += 50; }
    if (entry.name.toLowerCase().indexOf(token) >= 0) { s += 20; }
    if (entry.title.toLowerCase().indexOf(token) >= 0) { s += 10; }
    if (entry.summary.toLowerCase().indexOf(token) >= 0) { s += 5; }
    if ((" " + entry.words).indexOf(" " + token) >= 0) { s += 1; }
    return s;
  }

  function search(query) {
    var ts = tokens(query);
    if (ts.length === 0) { return []; }
    var hits = [];
    entries.forEach(function (entry) {
      var total = 0;
      for (var i = 0; i < ts.length; i++) {
        var s = score(entry, ts[i]);
        if (s === 0) { return; }  // every word must match somewhere
        total += s;
      }
      hits.push({ entry: entry, score: total });
    });
    hits.sort(function (a, b) {
      return b.score - a.score || (a.entry.code || a.entry.title).localeCompare(b.entry.code || b.entry.title);
    });
    return hits.slice(0, 12).map(function (h) { return h.entry; });
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (entry) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + entry.url;
      a.textContent = entry.title;
      li.appendChild(a);
      if (entry.summary) {
        var span = document.createElement("span");
        span.className = "summary";
        span.textContent = " " + entry.summary.replace(/`/g, "");
        li.appendChild(span);
      }
      list.appendChild(li);
    });
    if (results.length === 0 && input.value.trim()) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "No page matches.";
      list.appendChild(none);
    }
    list.hidden = !input.value.trim();
  }

  input.addEventListener("input", function () { show(search(input.value)); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var first = list.querySelector("a");
      if (first) { window.location.href = first.href; }
    } else if (ev.key === "Escape") {
      input.value = "";
      show([]);
    }
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; show(search(q)); }
  window.asyncguardSearch = search;
})();
