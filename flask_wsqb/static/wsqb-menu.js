// flask-wsqb: the keyboard for the entries the extension adds to the host's menus. An entry with
// children is a button: Enter, Space or ArrowRight opens its list (the item gets the class
// wsqb-menu-open, which the host's styles show), ArrowLeft or Escape closes it and returns to it.
// aria-expanded says whether the list is shown, whatever the host's styles do. Keys the extension
// does not use (ArrowUp/Down between items, Escape on the top list) are left to the host's menu.
(function () {
  "use strict";
  if (window.wsqbMenus) return;  // render_menu includes this file once per menu on the page
  window.wsqbMenus = true;

  function listOf(label) { return label.parentNode.querySelector(":scope > ul"); }

  function shown(element) { return !!element && getComputedStyle(element).display !== "none"; }

  function sync(label) { label.setAttribute("aria-expanded", shown(listOf(label)) ? "true" : "false"); }

  function setOpen(label, open) {
    label.parentNode.classList.toggle("wsqb-menu-open", open);
    sync(label);
  }

  function firstItem(list) {
    return list && list.querySelector(":scope > li > a, :scope > li > button, :scope > li > form > button");
  }

  function onKey(event) {
    var target = event.target;
    var label = target.closest(".wsqb-menu-label");
    if (label && event.key === "ArrowRight") {
      setOpen(label, true);
      var first = firstItem(listOf(label));
      if (first) first.focus();
    } else if (event.key === "ArrowLeft" || event.key === "Escape") {
      if (label && label.parentNode.classList.contains("wsqb-menu-open") && event.key === "Escape") {
        setOpen(label, false);  // Escape on an open entry closes it first
      } else {
        var parent = target.closest("ul").parentNode;
        var parentLabel = parent && parent.querySelector(":scope > .wsqb-menu-label");
        if (!parentLabel || !parent.closest(".wsqb-menu")) return;  // the top list: the host's
        setOpen(parentLabel, false);
        parentLabel.focus();
      }
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  function start() {
    document.querySelectorAll("ul.wsqb-menu").forEach(function (menu) {
      if (menu.parentNode.closest("ul.wsqb-menu")) return;  // one listener per menu, on its top list
      menu.addEventListener("keydown", onKey);
      menu.addEventListener("click", function (event) {
        var label = event.target.closest(".wsqb-menu-label");
        if (label) setOpen(label, !label.parentNode.classList.contains("wsqb-menu-open"));
      });
      // The host may show a list on hover or focus too: say so when it does.
      menu.addEventListener("focusin", function () { menu.querySelectorAll(".wsqb-menu-label").forEach(sync); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
