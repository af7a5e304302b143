// Copy buttons for the web form snippets on the campaign page. Without JavaScript (or a
// clipboard) the buttons stay hidden and the snippets can be selected by hand.
(function () {
  "use strict";

  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var label = button.textContent;
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(
        function () {
          button.textContent = "Copied";
          window.setTimeout(function () {
            button.textContent = label;
          }, 2000);
        },
        function () {
          if (source.select) {
            source.select();
          }
        }
      );
    });
  });

  document.querySelectorAll("input[readonly], textarea[readonly]").forEach(function (area) {
    area.addEventListener("focus", function () {
      area.select();
    });
  });
})();
