// A wide table scrolls inside its own region (.table-wrap, focusable: the arrow keys scroll it).
// The hint above it ("scroll sideways") is shown only while the table is wider than its region:
// after every change of size of either. Without this file, the shadows on the region's edges
// are the cue.
(function () {
  "use strict";
  if (!("ResizeObserver" in window)) {
    return;
  }
  var regions = document.querySelectorAll(".table-scroll > .table-wrap");

  function update(region) {
    var hint = region.parentNode.querySelector(".table-scroll__hint");
    if (hint) {
      // One pixel of rounding is not a column out of sight.
      hint.hidden = region.scrollWidth <= region.clientWidth + 1;
    }
  }

  var observer = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      update(entry.target.closest(".table-wrap"));
    });
  });
  Array.prototype.forEach.call(regions, function (region) {
    observer.observe(region);
    if (region.firstElementChild) {
      observer.observe(region.firstElementChild);
    }
    update(region);
  });
})();
