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
(function () {
  "use strict";
  // A region that scrolls sideways must be reachable with the keyboard (WCAG 2.1.1; axe "scrollable-region-
  // focusable"): wide tables and the timeline get tabindex="0", named after their caption or the nearest heading.
  function label(region) {
    var caption = region.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var section = region.closest("section, .card");
    var heading = section && section.querySelector("h1, h2, h3, h4, .card-header");
    return heading ? heading.textContent.trim() : "";
  }
  function mark(root) {
    (root || document).querySelectorAll(".table-responsive, .gantt-container").forEach(function (region) {
      if (region.hasAttribute("tabindex")) { return; }
      region.setAttribute("tabindex", "0");
      var name = label(region);
      if (name && !region.hasAttribute("aria-label")) {
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", name);
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { mark(); });
  } else {
    mark();
  }
  // The timeline draws its chart after load; htmx swaps in new tables.
  document.addEventListener("htmx:afterSettle", function (event) { mark(event.detail.elt.parentNode || document); });
  window.addEventListener("load", function () { window.setTimeout(mark, 0); });
})();
(function () {
  "use strict";
  // Phones: the campaign tabs scroll sideways; bring the current one into view.
  function reveal() {
    var active = document.querySelector("nav > .nav-tabs .nav-link.active");
    var strip = active && active.closest(".nav-tabs");
    if (strip && strip.scrollWidth > strip.clientWidth) {
      strip.scrollLeft = active.offsetLeft - (strip.clientWidth - active.offsetWidth) / 2;
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", reveal); } else { reveal(); }
})();
(function () {
  "use strict";
  // Form errors are announced (WCAG 3.3.1, 4.1.3): after a page or an htmx swap brings back fields marked
  // invalid, a polite live region says the form was not saved and reads the messages, and the first invalid
  // field gets the focus (its aria-describedby points at its message).
  function announce(root) {
    var invalid = (root || document).querySelectorAll("[aria-invalid='true']");
    if (!invalid.length) { return; }
    var region = document.getElementById("form-announcer");
    var texts = [];
    invalid.forEach(function (field) {
      var id = field.getAttribute("aria-describedby");
      var message = id && document.getElementById(id);
      if (message && message.textContent.trim()) { texts.push(message.textContent.trim()); }
    });
    if (region) {
      region.textContent = "";
      window.setTimeout(function () {
        region.textContent = [document.body.dataset.msgFormErrors || ""].concat(texts).join(" ");
      }, 50);
    }
    if (typeof invalid[0].focus === "function") { invalid[0].focus({ preventScroll: false }); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { announce(document); });
  } else {
    announce(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { announce(event.detail.elt); });
})();
(function () {
  "use strict";
  // <select data-mention-picker="#textarea">: choosing a person writes "@username " where the cursor is in the
  // comment box, then puts the focus back there (the picker lists only people who can read the task).
  document.addEventListener("change", function (event) {
    var picker = event.target.closest && event.target.closest("[data-mention-picker]");
    if (!picker || !picker.value) {
      return;
    }
    var box = document.querySelector(picker.dataset.mentionPicker);
    if (box) {
      var text = "@" + picker.value + " ";
      var start = box.selectionStart == null ? box.value.length : box.selectionStart;
      var end = box.selectionEnd == null ? start : box.selectionEnd;
      var before = box.value.slice(0, start);
      if (before && !/\s$/.test(before)) {
        text = " " + text;
      }
      box.value = before + text + box.value.slice(end);
      box.focus();
      box.setSelectionRange(before.length + text.length, before.length + text.length);
    }
    picker.value = "";
  });
})();
(function () {
  "use strict";
  // <button data-copy="#field" data-copied="Copied">: copy the field's text; the button says so for a moment and
  // #copy-status (aria-live) tells screen readers. Without clipboard access the text is selected instead.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var field = document.querySelector(button.dataset.copy);
    if (!field) {
      return;
    }
    var done = function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || label;
      var status = document.getElementById("copy-status");
      if (status) {
        status.textContent = button.dataset.copied || "";
      }
      window.setTimeout(function () { button.textContent = label; }, 2000);
    };
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
(function () {
  "use strict";
  // <form data-upload-progress> sent by htmx: its <progress> shows how much of the file has gone up.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("[data-upload-progress]");
    var bar = form && form.querySelector("progress");
    if (bar && event.detail && event.detail.lengthComputable) {
      bar.classList.remove("d-none");
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });
})();
