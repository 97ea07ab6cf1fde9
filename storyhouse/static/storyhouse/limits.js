// When an htmx action is refused for going too fast (429), say so next to what was clicked,
// and swap nothing: a comment being written stays in its box.
document.addEventListener("htmx:responseError", function (event) {
  "use strict";
  var xhr = event.detail && event.detail.xhr;
  var elt = event.detail && event.detail.elt;
  if (!xhr || xhr.status !== 429 || !elt) return;
  var form = elt.closest("form") || elt;
  var note = form.querySelector("[data-rate-limited]");
  if (!note) {
    note = document.createElement("p");
    note.className = "rate-limited message message--warning";
    note.setAttribute("role", "alert");
    note.setAttribute("data-rate-limited", "");
    form.appendChild(note);
  }
  note.textContent = xhr.responseText;
});
