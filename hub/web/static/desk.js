// Tickets at the loket: the kiosk choice only when printing on a kiosk; the browser's print dialog opens
// by itself for a ticket just issued or reprinted on the loket PC's printer.
(function () {
  "use strict";
  function sync(select) {
    var box = select.form && select.form.querySelector("[data-desk-kiosk]");
    if (box) box.hidden = select.value !== "kiosk";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-desk-output]").forEach(function (select) {
      sync(select);
      select.addEventListener("change", function () { sync(select); });
    });
    var reason = document.getElementById("d-reason");
    var category = document.getElementById("d-category");
    if (reason && category) {
      var both = function () { reason.disabled = category.value !== "prioritas"; };
      both();
      category.addEventListener("change", both);
    }
    var ticket = document.querySelector("[data-auto-print]");
    if (ticket) {
      document.body.setAttribute("data-printing", "1");
      window.print();
    }
  });
})();
