// calciscope review keys: j/k next/previous item, c confirm a fact or mark a prompt reviewed,
// r reject or dismiss (type a reason, Enter). Enter sends nothing until c or r has chosen.
// Hand-written, no build step; the server checks everything (roles, CSRF, versions).
(function () {
  "use strict";
  function items() { return Array.from(document.querySelectorAll("#queue .queue-item")); }
  function current() { return document.querySelector("#queue .queue-item.current"); }
  function select(step) {
    const list = items();
    if (!list.length) { return; }
    let at = list.indexOf(current());
    at = at < 0 ? 0 : Math.min(Math.max(at + step, 0), list.length - 1);
    list.forEach(function (li) { li.classList.remove("current"); });
    list[at].classList.add("current");
    list[at].scrollIntoView({block: "nearest"});
    list[at].focus({preventScroll: true});  // Tab goes on from the item j/k chose
    htmx.trigger(list[at], "click");
  }
  function choose(form) {
    const outcome = document.getElementById("outcome");
    if (!outcome || form.dataset.decided) { return; }
    const hint = document.createElement("p");
    hint.className = "error choose";
    hint.setAttribute("role", "alert");
    const label = function (id) { return document.getElementById(id).firstChild.textContent.trim(); };
    hint.textContent = "Nothing sent: click " + label("confirm") + " or " + label("reject") +
      " (or Esc, then c or r).";
    outcome.replaceChildren(hint);
  }
  function decide(which) {
    const button = document.getElementById(which);
    if (button) { button.click(); }
  }
  // a decision form works once htmx has wired it (htmx:load, after the swap is processed): a
  // key pressed before that would send the form as a plain GET of this page, losing the decision
  document.addEventListener("htmx:load", function (event) {
    const elt = event.detail.elt;
    const form = elt.id === "decision" ? elt : (elt.querySelector ? elt.querySelector("#decision") : null);
    if (form) { form.dataset.ready = "true"; }
  });
  document.addEventListener("keydown", function (event) {
    const wired = document.getElementById("decision");
    const form = wired && wired.dataset.ready ? wired : null;
    const reason = document.getElementById("reason");
    if (reason && event.target === reason) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (!form) { return; }
        // Enter sends only the decision chosen with c or r: a reason typed after a click in
        // the field is no choice, and a confirming reason must never send a rejection
        if (form.dataset.mode === "confirm" || form.dataset.mode === "reject") {
          decide(form.dataset.mode);
        } else {
          choose(form);
        }
      } else if (event.key === "Escape") {
        reason.blur();
      }
      return;
    }
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    // a queue item reached with Tab opens with Enter or Space, as a button does
    const focused = event.target.closest ? event.target.closest("#queue .queue-item") : null;
    if (focused && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      // the item already open is not loaded again: a spent form would come back unspent
      if (focused.classList.contains("current")) { return; }
      items().forEach(function (li) { li.classList.remove("current"); });
      focused.classList.add("current");
      htmx.trigger(focused, "click");
      return;
    }
    if (event.key === "j") { select(1); }
    else if (event.key === "k") { select(-1); }
    else if (event.key === "c" && form) {
      if (!reason.value) { reason.value = form.dataset.defaultReason || "looked at"; }
      form.dataset.mode = "confirm";
      decide("confirm");
    } else if (event.key === "r" && form) {
      event.preventDefault();
      form.dataset.mode = "reject";
      reason.placeholder = "reason for rejecting, then Enter";
      reason.focus();
    }
  });
  document.addEventListener("click", function (event) {
    // the error page's Back: a javascript: link is refused by the Content-Security-Policy
    const back = event.target.closest("a[data-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
      return;
    }
    const li = event.target.closest("#queue .queue-item");
    if (li) {
      items().forEach(function (other) { other.classList.remove("current"); });
      li.classList.add("current");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if ((form.id === "decision" || form.id === "redecide") && event.detail.successful) {
      const li = current();
      if (li) { li.classList.add("decided"); }
      // decided: a second press would only meet this decision as someone else's conflict
      form.dataset.decided = "true";
      form.querySelectorAll("input, button").forEach(function (el) { el.disabled = true; });
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if ((form.id === "decision" || form.id === "redecide") && form.dataset.decided) { event.preventDefault(); }
  });
})();
