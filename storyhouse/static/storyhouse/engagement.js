// Readers on a part page: how many comments each paragraph has, a small form to comment on a
// paragraph by clicking it, and where the reader is (reading progress, for "continue reading").
// Each has a plain way without JavaScript (links, the comment form's paragraph choice, the
// part recorded when opened); this file only makes them nicer.
(function () {
  "use strict";
  var ANCHOR = /^p-[0-9a-f]{4,12}$/;
  var section = document.querySelector("[data-engage]");
  var body = document.querySelector("[data-part-body]");
  if (!section || !body) return;

  function text(name, count) {
    var value = section.getAttribute("data-" + name) || "";
    return count === undefined ? value : value.replace("__n__", String(count));
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function paragraphs() {
    return Array.prototype.filter.call(body.querySelectorAll("[id]"), function (el) {
      return ANCHOR.test(el.id);
    });
  }

  function comments() {
    return document.getElementById("comments");
  }

  // How many comments each paragraph has: a small link beside it, to those comments.

  function counts() {
    var data = document.getElementById("paragraph-comment-counts");
    try {
      return data ? JSON.parse(data.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  function showCounts() {
    var found = counts();
    paragraphs().forEach(function (el) {
      var link = null;
      for (var i = 0; i < el.children.length; i++) {
        if (el.children[i].classList.contains("para-count")) link = el.children[i];
      }
      var n = found[el.id] || 0;
      if (!n) {
        if (link) link.remove();
        return;
      }
      if (!link) {
        link = document.createElement("a");
        link.className = "para-count";
        link.setAttribute("data-paragraph", el.id);
        el.appendChild(link);
      }
      link.href = "?paragraph=" + el.id + "#comments";
      link.textContent = String(n);
      link.setAttribute("aria-label", n === 1 ? text("count-one") : text("count-many", n));
    });
  }

  function replaceComments(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#comments");
    var current = comments();
    if (!fresh || !current) return null;
    current.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    showCounts();
    return fresh;
  }

  function loadComments(paragraph) {
    var current = comments();
    if (!current) return;
    var url = current.getAttribute("data-comments-url") + "?paragraph=" + encodeURIComponent(paragraph);
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var fresh = replaceComments(html);
        if (!fresh) return;
        fresh.scrollIntoView();
        var heading = fresh.querySelector("h2");
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus({ preventScroll: true });
        }
      })
      .catch(function () {
        window.location.href = "?paragraph=" + paragraph + "#comments";
      });
  }

  body.addEventListener("click", function (event) {
    var count = event.target.closest(".para-count");
    if (count) {
      event.preventDefault();
      loadComments(count.getAttribute("data-paragraph"));
    }
  });

  // Click or tap a paragraph to comment on it (for readers who may comment).

  var template = document.getElementById("paragraph-comment-template");
  var panel = null;

  function closePanel() {
    if (panel) panel.remove();
    panel = null;
  }

  function openPanel(paragraph) {
    closePanel();
    panel = document.createElement("div");
    panel.className = "para-panel";
    panel.appendChild(template.content.cloneNode(true));
    var form = panel.querySelector("form");
    form.querySelector("input[name=paragraph]").value = paragraph.id;
    // A list item gets the panel inside it, so the list stays a list.
    if (/^(LI|DT|DD)$/.test(paragraph.tagName)) paragraph.appendChild(panel);
    else paragraph.insertAdjacentElement("afterend", panel);
    panel.querySelector("[data-close]").addEventListener("click", closePanel);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closePanel();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector("[role=status]");
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.textContent = text("posting");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.text().then(function (html) {
            return {
              ok: response.ok,
              status: response.status,
              id: response.headers.get("X-Comment-Id"),
              held: response.headers.get("X-Comment-Held") === "1",
              html: html,
            };
          });
        })
        .then(function (result) {
          if (result.status === 429) {
            // Too many comments too fast: the message says how long to wait; the text stays.
            button.disabled = false;
            status.textContent = result.html;
            return;
          }
          if (!result.ok || !result.id) throw new Error("not posted");
          replaceComments(result.html);
          form.remove();
          var done = document.createElement("p");
          done.className = "para-panel__done";
          done.setAttribute("role", "status");
          if (result.held) {
            // Waiting for the writer's approval: nothing to link to yet.
            done.textContent = text("held");
            panel.appendChild(done);
            return;
          }
          var link = document.createElement("a");
          link.href = "#comment-" + result.id;
          link.textContent = text("posted");
          done.appendChild(link);
          panel.appendChild(done);
          link.focus();
        })
        .catch(function () {
          button.disabled = false;
          status.textContent = text("failed");
        });
    });
    panel.querySelector("textarea").focus();
  }

  if (template) {
    body.classList.add("part__body--commentable");
    body.addEventListener("click", function (event) {
      if (event.defaultPrevented) return;
      if (event.target.closest("a, button, input, textarea, select, label, .para-panel")) return;
      var selection = window.getSelection && window.getSelection();
      if (selection && !selection.isCollapsed) return; // selecting text, not asking to comment
      var paragraph = event.target.closest("[id]");
      while (paragraph && !ANCHOR.test(paragraph.id)) {
        paragraph = paragraph.parentElement && paragraph.parentElement.closest("[id]");
      }
      if (paragraph && body.contains(paragraph)) openPanel(paragraph);
    });
  }

  // After htmx swaps the comments (a comment or reply posted), show the counts again and
  // bring the new comment into view.
  document.addEventListener("htmx:afterSettle", function (event) {
    showCounts();
    var xhr = event.detail && event.detail.xhr;
    var id = xhr && xhr.getResponseHeader("X-Comment-Id");
    var posted = id && document.getElementById("comment-" + id);
    if (posted) {
      posted.setAttribute("tabindex", "-1");
      posted.scrollIntoView({ block: "center" });
      posted.focus({ preventScroll: true });
    }
  });

  showCounts();

  // Reading progress: the paragraph at the top of the screen, reported now and then.

  var progressUrl = section.getAttribute("data-progress-url");
  if (!progressUrl) return;
  var all = paragraphs();
  var furthest = -1;
  var sent = -1;
  var lastSent = 0;
  var waiting = null;
  var EVERY = 3000;

  function inView() {
    for (var i = 0; i < all.length; i++) {
      if (all[i].getBoundingClientRect().bottom > 1) return i;
    }
    return all.length - 1; // scrolled past the end: the last paragraph is read
  }

  function send(leaving) {
    if (furthest <= sent || furthest < 0) return;
    var data = new FormData();
    data.append("paragraph", all[furthest].id);
    data.append("csrfmiddlewaretoken", csrfToken());
    sent = furthest;
    lastSent = Date.now();
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(progressUrl, data);
    } else {
      fetch(progressUrl, { method: "POST", body: data, credentials: "same-origin", keepalive: true });
    }
  }

  function look() {
    waiting = null;
    var here = inView();
    if (here > furthest) furthest = here;
    var wait = EVERY - (Date.now() - lastSent);
    if (wait <= 0) send(false);
    else waiting = setTimeout(look, wait);
  }

  function soon() {
    if (!waiting) waiting = setTimeout(look, 500);
  }

  window.addEventListener("scroll", soon, { passive: true });
  window.addEventListener("hashchange", soon);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      var here = inView();
      if (here > furthest) furthest = here;
      send(true);
    }
  });
  window.addEventListener("pagehide", function () {
    send(true);
  });
  soon();
})();
