// Reader comfort: theme and text size, remembered in this browser.
// Runs in <head> before the page paints, so a chosen theme never flashes; the
// server sends the same HTML to everyone and only this browser's copy changes.
(function () {
  "use strict";
  var root = document.documentElement;
  var SIZES = ["small", "normal", "large", "larger", "largest"];

  function read(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: not remembered */ }
  }
  function prefersDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function currentTheme() {
    return root.getAttribute("data-theme") || (prefersDark() ? "dark" : "light");
  }

  var theme = read("storyhouse-theme");
  if (theme === "dark" || theme === "light") root.setAttribute("data-theme", theme);
  var size = read("storyhouse-text-size");
  if (SIZES.indexOf(size) >= 0) root.setAttribute("data-text-size", size);

  function showTheme(button) {
    var dark = currentTheme() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-comfort]");
    if (!panel) return;
    panel.hidden = false;
    var toggle = panel.querySelector("[data-theme-toggle]");
    showTheme(toggle);
    toggle.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      write("storyhouse-theme", next);
      showTheme(toggle);
    });
    panel.querySelectorAll("[data-text-size]").forEach(function (button) {
      button.addEventListener("click", function () {
        var now = SIZES.indexOf(root.getAttribute("data-text-size") || "normal");
        var step = parseInt(button.getAttribute("data-text-size"), 10);
        var next = SIZES[Math.max(0, Math.min(SIZES.length - 1, now + step))];
        root.setAttribute("data-text-size", next);
        write("storyhouse-text-size", next);
      });
    });
  });

  // The adult gate's Go back: the page the reader came from, when it is one of ours outside
  // this book. Without JavaScript, or from elsewhere, it leads home (the server's href): the
  // gate is one cached page for every guest, so it cannot hold where each came from.
  document.addEventListener("DOMContentLoaded", function () {
    var back = document.querySelector("[data-go-back]");
    if (!back || !document.referrer) return;
    var from;
    try { from = new URL(document.referrer); } catch (e) { return; }
    var book = back.getAttribute("data-go-back");
    if (from.origin === window.location.origin && from.pathname.indexOf(book) !== 0) {
      back.href = from.href;
    }
  });
})();
