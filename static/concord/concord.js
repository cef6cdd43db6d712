// Concord's small behaviours, kept out of inline attributes so a strict Content-Security-Policy holds.
(function () {
  "use strict";
  // The one confirmation handler: <form data-confirm="Question?"> asks before a destructive submit, and a submit
  // button's own data-confirm (e.g. Reject beside Approve) asks instead; a button with data-no-confirm skips it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var question = form.dataset.confirm || "";
    if (button && button.dataset && button.dataset.confirm) {
      question = button.dataset.confirm;
    } else if (button && button.hasAttribute("data-no-confirm")) {
      question = "";
    }
    if (question && !window.confirm(question)) {
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
