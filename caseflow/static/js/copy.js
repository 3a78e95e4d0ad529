/* Copy buttons for read-only fields (progressive enhancement).
 *
 * Markup: <input id="x" readonly> and <button type="button" data-copy-target="x"
 * data-copied-message="…" data-failed-message="…" hidden>; a status element named by the
 * button's data-copy-status receives the message (role="status", announced by screen
 * readers). Without JavaScript the buttons stay hidden and the address can be selected in
 * its field. The button's classes come from data-enhanced-class only now: a class that sets
 * `display` would otherwise show the hidden, useless button. */
(function () {
  "use strict";

  function announce(button, message) {
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!status) {
      return;
    }
    status.textContent = "";
    // A fresh text after a tick, so a second copy is announced again.
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  }

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) {
      return;
    }
    var copied = button.getAttribute("data-copied-message") || "";
    var failed = button.getAttribute("data-failed-message") || "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () {
          announce(button, copied);
        },
        function () {
          announce(button, copyBySelection(field) ? copied : failed);
        }
      );
      return;
    }
    announce(button, copyBySelection(field) ? copied : failed);
  }

  function enhance() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      // Two sections of one page may each load this script: enhance a button once.
      if (button.hasAttribute("data-copy-ready")) {
        return;
      }
      button.setAttribute("data-copy-ready", "");
      var classes = (button.getAttribute("data-enhanced-class") || "").split(/\s+/);
      classes.forEach(function (name) {
        if (name) {
          button.classList.add(name);
        }
      });
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(button);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
