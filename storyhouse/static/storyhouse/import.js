/* The desk's import form, made nicer with JavaScript: a progress bar while the files are sent,
   then "Reading your books…" while the server imports them. The form works without it. */
(function () {
  "use strict";

  function setUp(form) {
    var box = form.querySelector("[data-import-progress]");
    if (!box || !window.XMLHttpRequest || !window.FormData) return;
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-import-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      box.hidden = false;
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) bar.value = Math.round((progress.loaded / progress.total) * 100);
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // indeterminate: the server is reading the books
        status.textContent = form.getAttribute("data-reading") || "";
      });
      request.addEventListener("load", function () {
        // The server's answer is a whole page (the summary, or the form with its errors):
        // show its content in place of this one's.
        var answer = new DOMParser().parseFromString(request.responseText, "text/html");
        var fresh = answer.querySelector(".page");
        var current = document.querySelector(".page");
        if (!fresh || !current) {
          window.location.reload();
          return;
        }
        current.replaceWith(fresh);
        var summary = fresh.querySelector("[data-import-summary] h2, [role=alert]");
        if (summary) {
          summary.setAttribute("tabindex", "-1");
          summary.focus();
        }
        fresh.querySelectorAll("form[data-import-form]").forEach(setUp);
      });
      request.addEventListener("error", function () {
        if (button) button.disabled = false;
        box.hidden = true;
        form.submit();
      });
      request.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-import-form]").forEach(setUp);
  });
})();
