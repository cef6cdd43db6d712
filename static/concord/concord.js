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
(function () {
  "use strict";
  // htmx requests the server refused without a form to show (403, 404, 409, 429, 5xx) or that never reached it:
  // say so in a dismissible message at the top of the page, and put the form that sent it back as it was, so no
  // unsaved value sits in a field as if it had been saved. (400 and 422 carry the form with its field errors and
  // are swapped in place: see the htmx-config meta in base.html.)
  var region = null;

  function say(text) {
    region = region || document.getElementById("request-messages");
    if (!region) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow-sm";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", document.body.dataset.msgClose || "Close");
    alert.appendChild(close);
    region.replaceChildren(alert);
    close.focus();
  }

  function restore(elt) {
    if (!elt) { return; }
    // A control may belong to a form elsewhere on the page (form="…", as in the task table's rows).
    var form = elt.tagName === "FORM" ? elt : elt.form || (elt.closest && elt.closest("form"));
    if (form) { form.reset(); }
  }

  function plainText(xhr) {
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    var text = (xhr.responseText || "").trim();
    if (type.indexOf("text/plain") === 0 && text && text.length <= 500) { return text; }
    if (type.indexOf("application/json") === 0) {
      try {
        var body = JSON.parse(text);
        if (typeof body.detail === "string") { return body.detail; }
      } catch (ignored) { /* not JSON after all */ }
    }
    return "";
  }

  // An autosave's status line (standup notes, minutes) shows a refusal in red and a success as before.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("autosave-status")) {
      var failed = event.detail.xhr && event.detail.xhr.status >= 400;
      target.classList.toggle("text-danger", failed);
      target.classList.toggle("text-secondary", !failed);
    }
  });

  // For scripts that talk to the server without htmx (the timeline's drag and drop).
  window.ConcordMessages = { say: say };

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    say(plainText(xhr) || document.body.dataset.msgFailed);
    restore(event.detail.elt);
  });
  document.addEventListener("htmx:sendError", function (event) {
    say(document.body.dataset.msgOffline);
    restore(event.detail.elt);
  });
})();
