// The dashboard's filters: typing a date means "these dates", so the period becomes
// "Dates". Without this file the period select decides, and "Dates" uses From and To.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form.filters input[type='date']")) {
      return;
    }
    var period = input.form.querySelector("select[name='period']");
    if (period) {
      period.value = "custom";
    }
  });
})();
