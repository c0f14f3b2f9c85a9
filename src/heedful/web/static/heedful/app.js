/* Heedful agent UI: shortcuts, queue navigation, bulk selection. No dependencies. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function announce(text) {
    var region = document.getElementById("notices");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "notice notice-info";
    p.textContent = text;
    region.appendChild(p);
    setTimeout(function () { p.remove(); }, 6000);
  }
  window.heedful = { announce: announce };

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("DOMContentLoaded", function () {
    /* Selects that act at once (language). */
    document.querySelectorAll(".js-autosubmit").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });

    /* Sidebar on narrow screens. */
    var toggle = document.querySelector("[data-menu-toggle]");
    var sidebar = document.getElementById("sidebar");
    if (toggle && sidebar) {
      toggle.addEventListener("click", function () {
        var open = sidebar.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    } else if (toggle) {
      toggle.hidden = true;
    }

    /* Help overlay. */
    var help = document.getElementById("help");
    function openHelp() { if (help && !help.open) help.showModal(); }
    document.querySelectorAll("[data-help-open]").forEach(function (b) { b.addEventListener("click", openHelp); });

    /* Transfer reason fields appear once the owner or team changes (delegated: the ticket page
       swaps its side form for a fresh one after a reply). */
    document.addEventListener("change", function (event) {
      var trigger = event.target.closest && event.target.closest("[data-transfer-trigger]");
      var form = trigger && trigger.form;
      var fields = form && form.querySelector("[data-transfer-fields]");
      if (!fields) return;
      var changed = false;
      form.querySelectorAll("[data-transfer-trigger]").forEach(function (t) {
        var initial = t.getAttribute("data-initial");
        if (initial === null ? t.value !== "" : t.value !== initial) changed = true;
      });
      if (changed) fields.classList.remove("js-hidden");
    });

    /* Queue: row selection, bulk bar, j/k/o/x. */
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
    var current = -1;
    var bulkCount = document.querySelector("[data-bulk-count]");
    var bulkBar = document.querySelector("[data-bulk-bar]");
    var emptyText = bulkCount ? bulkCount.textContent : "";
    function refreshBulk() {
      if (!bulkCount) return;
      var n = document.querySelectorAll("[data-row-check]:checked").length;
      bulkCount.textContent = n ? bulkCount.getAttribute("data-selected-text").replace("%(count)s", n) : emptyText;
      if (bulkBar) bulkBar.classList.toggle("has-selection", n > 0);
      rows.forEach(function (row) {
        var box = row.querySelector("[data-row-check]");
        row.classList.toggle("is-selected", !!(box && box.checked));
      });
    }
    document.querySelectorAll("[data-row-check]").forEach(function (box) { box.addEventListener("change", refreshBulk); });
    refreshBulk();  /* a bulk change that was refused comes back with its tickets still checked */
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("[data-row-check]").forEach(function (box) { box.checked = all.checked; });
        refreshBulk();
      });
    }
    function focusRow(index) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach(function (row, i) { row.classList.toggle("is-cursor", i === current); });
      var link = rows[current].querySelector("[data-row-link]");
      if (link) link.focus();
    }
    rows.forEach(function (row, i) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, input, label, button, select")) return;
        focusRow(i);
      });
    });

    var pendingG = false;
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target) || (help && help.open)) return;
      var key = event.key;
      if (pendingG) {
        pendingG = false;
        if (key === "i") { window.location.href = "/"; event.preventDefault(); }
        return;
      }
      if (key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1200); return; }
      if (key === "?") { openHelp(); event.preventDefault(); return; }
      if (key === "/") {
        var search = document.querySelector("[data-search]");
        if (search) { search.focus(); search.select(); event.preventDefault(); }
        return;
      }
      if (rows.length) {
        if (key === "j") { focusRow(current + 1); event.preventDefault(); return; }
        if (key === "k") { focusRow(current - 1); event.preventDefault(); return; }
        if ((key === "o" || key === "Enter") && current >= 0) {
          window.location.href = rows[current].getAttribute("data-href"); event.preventDefault(); return;
        }
        if (key === "x" && current >= 0) {
          var box = rows[current].querySelector("[data-row-check]");
          if (box) { box.checked = !box.checked; refreshBulk(); }
          event.preventDefault(); return;
        }
      }
      document.dispatchEvent(new CustomEvent("heedful:key", { detail: { key: key, original: event } }));
    });
  });
})();
