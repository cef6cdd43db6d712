// Budget pages: remove a line row, confirm a submit button's own question, focus a row added by htmx.
// Everything here is an enhancement: without JavaScript the "remove" box is ticked and the server drops the row.
(function () {
  "use strict";

  // <button data-confirm="…"> inside a form: ask before that button submits (e.g. Reject beside Approve).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

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
