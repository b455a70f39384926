// Live refresh, an enhancement only: every 15 s the page is fetched again and each
// element marked data-live is replaced by its fresh copy. Forms are never replaced.
(function () {
  "use strict";
  if (!document.querySelector("[data-live]")) return;
  setInterval(function () {
    if (document.hidden) return;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (old) {
          var found = fresh.getElementById(old.id);
          if (found) old.replaceWith(found);
        });
      })
      .catch(function () {});
  }, 15000);
})();
