// Progressive enhancement only: the portal works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Remember the browser's time zone so that times show in local time before sign-in.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) && document.cookie.indexOf("tz=") === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* old browser: times stay in the site's zone */ }

  document.addEventListener("DOMContentLoaded", function () {
    // The language menu applies at once; its button stays for browsers without script.
    var selects = document.querySelectorAll("select.js-autosubmit");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Take keyboard and screen-reader users straight to the list of form errors.
    var errors = document.querySelector(".form-errors");
    if (errors) { errors.focus(); }
  });
})();
