/* The writer's desk, made nicer with JavaScript; every form works without it.
   - Tag inputs suggest the archive's tags as you type (a <datalist> filled from /desk/tags/).
   - The part editor: a rich-text box for the "Rich text (HTML)" mode, and pasting from a word
     processor keeps paragraphs, italics and bold in either mode.
   Autosave is htmx (attributes on the editor form). What is sent is cleaned on the server. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* Tag suggestions */

  function setUpTagInputs(form) {
    var url = form.getAttribute("data-tag-options");
    if (!url) return;
    form.querySelectorAll("input[data-tag-type]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = null;
      var asked = "";
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var typed = input.value;
          if (typed === asked) return;
          asked = typed;
          var query = "?type=" + encodeURIComponent(input.getAttribute("data-tag-type")) +
            "&q=" + encodeURIComponent(typed);
          fetch(url + query, { credentials: "same-origin" })
            .then(function (response) { return response.ok ? response.text() : ""; })
            .then(function (options) {
              // Options rendered (and escaped) by the server's template.
              if (list && input.value === typed) list.innerHTML = options;
            })
            .catch(function () {});
        }, 200);
      });
    });
  }

  /* Pasted rich text: keep its structure and emphasis, nothing else */

  var BLOCKS = { P: "p", DIV: "p", H1: "h2", H2: "h2", H3: "h3", H4: "h4", H5: "h5", H6: "h6",
    BLOCKQUOTE: "blockquote", UL: "ul", OL: "ol", LI: "li", PRE: "pre", HR: "hr", BR: "br" };
  var INLINE = { EM: "em", I: "em", STRONG: "strong", B: "strong", U: "u", S: "s", DEL: "s",
    STRIKE: "s", SUP: "sup", SUB: "sub", CODE: "code", A: "a" };

  function emphasisOf(element) {
    var style = element.style || {};
    var weight = style.fontWeight;
    return {
      italic: style.fontStyle === "italic",
      bold: weight === "bold" || parseInt(weight, 10) >= 600,
      notBold: weight === "normal" || parseInt(weight, 10) < 600,
    };
  }

  // Builds a clean copy of pasted HTML from a short list of elements; attributes are dropped,
  // except http(s) link addresses. The pasted document is parsed inertly (DOMParser).
  function cleanCopy(node, into) {
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        into.appendChild(document.createTextNode(child.nodeValue));
        return;
      }
      if (child.nodeType !== Node.ELEMENT_NODE) return;
      if (/^(SCRIPT|STYLE|TEMPLATE|IFRAME|OBJECT|SVG|MATH|META|LINK|TITLE)$/i.test(child.tagName)) return;
      var name = BLOCKS[child.tagName] || INLINE[child.tagName] || null;
      var emphasis = emphasisOf(child);
      if (child.tagName === "B" && emphasis.notBold) name = null; // Google Docs' wrapper
      var target = into;
      if (name) {
        var element = document.createElement(name);
        if (name === "a") {
          var href = child.getAttribute("href") || "";
          if (/^https?:\/\//i.test(href)) element.setAttribute("href", href);
        }
        into.appendChild(element);
        target = element;
      }
      if (name !== "em" && emphasis.italic) target = target.appendChild(document.createElement("em"));
      if (name !== "strong" && emphasis.bold) target = target.appendChild(document.createElement("strong"));
      cleanCopy(child, target);
    });
    return into;
  }

  function pastedFragment(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    return cleanCopy(parsed.body, document.createElement("div"));
  }

  // The same clean HTML as Markdown, for pasting into the Markdown text.
  function toMarkdown(node) {
    var out = "";
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        out += child.nodeValue.replace(/\s+/g, " ").replace(/([*_\\`])/g, "\\$1");
        return;
      }
      if (child.nodeType !== Node.ELEMENT_NODE) return;
      var inner = toMarkdown(child);
      switch (child.tagName) {
        case "EM": out += inner.trim() ? "*" + inner.trim() + "*" : inner; break;
        case "STRONG": out += inner.trim() ? "**" + inner.trim() + "**" : inner; break;
        case "S": out += "~~" + inner + "~~"; break;
        case "A": out += child.getAttribute("href") ? "[" + inner + "](" + child.getAttribute("href") + ")" : inner; break;
        case "BR": out += "  \n"; break;
        case "HR": out += "\n\n* * *\n\n"; break;
        case "H2": case "H3": case "H4": case "H5": case "H6":
          out += "\n\n" + "#".repeat(Number(child.tagName[1])) + " " + inner.trim() + "\n\n"; break;
        case "BLOCKQUOTE": out += "\n\n" + inner.trim().split("\n").map(function (l) { return "> " + l; }).join("\n") + "\n\n"; break;
        case "LI": out += "\n* " + inner.trim(); break;
        case "UL": case "OL": out += "\n" + inner + "\n\n"; break;
        case "P": case "PRE": out += "\n\n" + inner.trim() + "\n\n"; break;
        default: out += inner;
      }
    });
    return out;
  }

  function markdownOf(fragment) {
    return toMarkdown(fragment).replace(/\n{3,}/g, "\n\n").trim();
  }

  /* The part editor */

  function setUpEditor(form) {
    var textarea = form.querySelector("textarea[name=body]");
    var radios = form.querySelectorAll("input[name=body_format]");
    if (!textarea || !radios.length) return;
    var label = form.querySelector("label[for='" + textarea.id + "']");
    if (label && !label.id) label.id = textarea.id + "_label";

    var editor = document.createElement("div");
    editor.className = "rich-editor prose reading";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    if (label) editor.setAttribute("aria-labelledby", label.id);
    if (textarea.getAttribute("aria-describedby")) {
      editor.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    editor.hidden = true;
    textarea.insertAdjacentElement("afterend", editor);

    function format() {
      var checked = form.querySelector("input[name=body_format]:checked");
      return checked ? checked.value : "markdown";
    }
    function show(mode) {
      editor.hidden = mode !== "html";
      textarea.hidden = mode === "html";
    }
    function sync() { textarea.value = editor.innerHTML; }

    var initial = document.getElementById("rich-initial");
    if (format() === "html") {
      // Cleaned by the server before it was put in the page.
      editor.innerHTML = initial ? initial.innerHTML : "";
      sync();
    }
    show(format());
    editor.addEventListener("input", sync);

    radios.forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (format() === "html") {
          var body = new URLSearchParams({ text: textarea.value });
          fetch(form.getAttribute("data-render-url"), {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-CSRFToken": csrfToken(form) },
            body: body,
          })
            .then(function (response) { return response.ok ? response.text() : null; })
            .then(function (html) {
              if (html === null) return;
              editor.innerHTML = html; // cleaned by the server (nh3)
              sync();
              show("html");
              editor.focus();
            });
        } else {
          textarea.value = markdownOf(editor);
          show("markdown");
          textarea.focus();
        }
      });
    });

    editor.addEventListener("paste", function (event) {
      var html = event.clipboardData && event.clipboardData.getData("text/html");
      if (!html || !document.queryCommandSupported || !document.queryCommandSupported("insertHTML")) return;
      event.preventDefault();
      document.execCommand("insertHTML", false, pastedFragment(html).innerHTML);
    });
    textarea.addEventListener("paste", function (event) {
      if (format() !== "markdown") return;
      var html = event.clipboardData && event.clipboardData.getData("text/html");
      if (!html) return;
      event.preventDefault();
      textarea.setRangeText(markdownOf(pastedFragment(html)), textarea.selectionStart, textarea.selectionEnd, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    });
    form.addEventListener("submit", function () { if (format() === "html") sync(); });
  }

  function start() {
    document.querySelectorAll("form[data-tag-options]").forEach(setUpTagInputs);
    var editorForm = document.getElementById("part-form");
    if (editorForm) setUpEditor(editorForm);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
