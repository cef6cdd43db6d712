// Concord's small behaviours, kept out of inline attributes so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  // <form data-confirm="Question?">: ask before a destructive submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var skip = event.submitter && event.submitter.hasAttribute("data-no-confirm");
    if (form instanceof HTMLFormElement && form.dataset.confirm && !skip && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
(function () {
  "use strict";
  // <a data-history-back href="/fallback">: go back when there is somewhere to go back to.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-history-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
(function () {
  "use strict";
  // <button data-print>: open the browser's print dialog (printable minutes and reports).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
