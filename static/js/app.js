// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  var STAY_MS = 6000;

  function dismiss(toast) {
    toast.classList.add("is-leaving");
    window.setTimeout(function () {
      toast.remove();
    }, 220);
  }

  // Success and info toasts leave by themselves; errors stay until dismissed.
  function arm(root) {
    var toasts = root.querySelectorAll ? root.querySelectorAll(".toast:not([data-armed])") : [];
    toasts.forEach(function (toast) {
      toast.setAttribute("data-armed", "");
      if (!toast.classList.contains("toast--error")) {
        window.setTimeout(function () {
          dismiss(toast);
        }, STAY_MS);
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      dismiss(button.closest(".toast"));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    arm(document);
  });

  document.addEventListener("htmx:load", function (event) {
    arm(document.getElementById("toasts") || document);
    if (event.detail && event.detail.elt) {
      arm(event.detail.elt);
    }
  });
})();
