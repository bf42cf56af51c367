// Ledgerline's header menus from the keyboard: Enter, Space or ArrowDown on a menu's title opens
// it (ArrowDown also moves into it), ArrowUp/ArrowDown move between its entries, Escape closes it
// and returns to the title, and leaving it (Tab, a click elsewhere) closes it. The mouse still
// opens them by hovering. Entries flask-wsqb adds bring their own keys (wsqb-menu.js) for their
// nested lists.
(function () {
  "use strict";
  document.documentElement.classList.add("js");  // app.css: open menus by state, not by focus
  var menus = Array.prototype.slice.call(document.querySelectorAll(".menubar .menu"));

  function titleOf(menu) { return menu.querySelector(".menu-title"); }

  function setOpen(menu, open) {
    menu.classList.toggle("open", open);
    titleOf(menu).setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) menu.querySelectorAll(".wsqb-menu-open").forEach(function (item) {
      item.classList.remove("wsqb-menu-open");
    });
  }

  function items(menu) {  // the entries a user can reach now, in page order
    return Array.prototype.slice.call(menu.querySelectorAll(".dropdown a, .dropdown button"))
      .filter(function (item) { return item.getClientRects().length > 0; });
  }

  function move(menu, step) {
    var list = items(menu);
    if (!list.length) return;
    var at = list.indexOf(document.activeElement);
    list[at === -1 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length].focus();
  }

  menus.forEach(function (menu) {
    var title = titleOf(menu);
    title.addEventListener("click", function () {
      var open = !menu.classList.contains("open");
      menus.forEach(function (other) { if (other !== menu) setOpen(other, false); });
      setOpen(menu, open);
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!menu.classList.contains("open")) setOpen(menu, true);
        move(menu, event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Escape" && menu.classList.contains("open")) {
        setOpen(menu, false);
        title.focus();
      } else {
        return;
      }
      event.preventDefault();
    });
    menu.addEventListener("focusout", function (event) {
      if (!menu.contains(event.relatedTarget)) setOpen(menu, false);
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) { if (!menu.contains(event.target)) setOpen(menu, false); });
  });
})();
