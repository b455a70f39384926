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
// Copy buttons, an enhancement only: a button marked data-copy="<input id>" shows once
// the script runs and copies that field; without JavaScript the field is selectable.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
// Saved replies, an enhancement only: picking one fills the reply box (a select marked
// data-fill="<textarea id>"); without JavaScript, sending with the box empty sends it.
(function () {
  "use strict";
  document.querySelectorAll("select[data-fill]").forEach(function (select) {
    var box = document.getElementById(select.getAttribute("data-fill"));
    if (!box) return;
    select.addEventListener("change", function () {
      var picked = select.options[select.selectedIndex];
      if (picked && picked.hasAttribute("data-text")) box.value = picked.getAttribute("data-text");
      box.focus();
    });
  });
})();
