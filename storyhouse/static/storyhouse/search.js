/* The search page, made nicer with JavaScript; every part works without it.
   The sidebar's tag fields suggest the archive's tags as you type (a <datalist> filled from
   /search/tags/, rendered and escaped by the server). */
(function () {
  "use strict";

  function setUp(form) {
    var url = form.getAttribute("data-tag-options");
    form.querySelectorAll("input[data-tag-input]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = null;
      var asked = "";
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var typed = input.value;
          if (typed === asked) return;
          asked = typed;
          fetch(url + "?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
            .then(function (response) { return response.ok ? response.text() : ""; })
            .then(function (options) {
              if (list && input.value === typed) list.innerHTML = options;
            })
            .catch(function () {});
        }, 200);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-tag-options]").forEach(setUp);
  });
})();
