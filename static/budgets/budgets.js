// Budget pages: remove a line row, focus a row added by htmx (confirmations: concord.js).
// Everything here is an enhancement: without JavaScript the "remove" box is ticked and the server drops the row.
(function () {
  "use strict";

  // Ticking a row's remove box takes the row off the page, and the live summary is told.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-remove-line") || !box.checked) {
      return;
    }
    var row = box.closest("[data-line]");
    var form = box.form;
    if (!row) {
      return;
    }
    row.remove();
    var add = document.getElementById("add-line");
    if (add) {
      add.focus();
    }
    if (form) {
      form.dispatchEvent(new Event("line-removed", { bubbles: true }));
    }
  });

  // A row added with htmx: put the cursor in its first field.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "line-rows") {
      var rows = target.querySelectorAll("[data-line]");
      var last = rows[rows.length - 1];
      var first = last && last.querySelector("select, input");
      if (first) {
        first.focus();
      }
    }
  });
})();
