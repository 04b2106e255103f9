// Progressive enhancement only: every page works without this script.
// A change of a filter's choice submits the form at once.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.filters select").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var page = sel.form.querySelector("input[name=page]");
      if (page) { page.remove(); }
      sel.form.requestSubmit();
    });
  });
});
