// Comptes utilisateurs and the person page: a box in the header of the selection column ticks
// every box of the page at once. Without this file each row is ticked by hand (and the accounts
// list offers "all N people" on the server side).
(function () {
  "use strict";
  var headers = document.querySelectorAll("th[data-check-all]");
  Array.prototype.forEach.call(headers, function (header) {
    var selector =
      'input[type="checkbox"][form="' + header.getAttribute("data-check-all") + '"][data-row]';
    var boxes = Array.prototype.slice.call(document.querySelectorAll(selector));
    if (!boxes.length) {
      return;
    }
    var all = document.createElement("input");
    all.type = "checkbox";
    all.className = "check-all";
    all.setAttribute("aria-label", header.getAttribute("data-check-all-label"));
    header.appendChild(all);

    function sync() {
      var ticked = boxes.filter(function (box) {
        return box.checked;
      }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }

    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", sync);
    });
    sync();
  });
})();
