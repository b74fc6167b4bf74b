// copy.js makes the "Copy" buttons of fix blocks work: a button with
// data-copy="ID" copies the text of the element with that id. It listens
// on the document, so blocks that htmx swaps in later work too. It is a
// file of its own because the Content-Security-Policy allows no inline
// script.
(function () {
  "use strict";

  function done(button, label) {
    var before = button.dataset.label || button.textContent;
    button.dataset.label = before;
    button.textContent = label;
    window.setTimeout(function () { button.textContent = before; }, 2000);
  }

  // fallback selects the text and copies it the old way, for browsers
  // without the clipboard API (plain http on another host than loopback).
  function fallback(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    return ok;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.dataset.copy);
    if (!source) { return; }
    var text = source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(button, "Copied"); },
        function () { done(button, fallback(source) ? "Copied" : "Select and copy"); });
      return;
    }
    done(button, fallback(source) ? "Copied" : "Select and copy");
  });
}());
