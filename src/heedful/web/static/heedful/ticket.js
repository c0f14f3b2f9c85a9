/* Heedful ticket page: composer over fetch, saved replies, presence (WebSocket, else polling). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    var ticketId = body.getAttribute("data-ticket-id");
    if (!ticketId) return;
    var composer = document.querySelector("[data-composer]");
    var textarea = composer && composer.querySelector("[data-body]");
    var errorBox = composer && composer.querySelector("[data-composer-error]");
    var sendButton = composer && composer.querySelector("[data-send]");
    var timeline = document.querySelector("[data-timeline]");
    var csrf = composer ? composer.querySelector("input[name=csrfmiddlewaretoken]").value : "";
    var say = (window.heedful && window.heedful.announce) || function () {};
    var savedReplyId = composer && composer.querySelector("[data-saved-reply-id]");
    var savedReplyNote = composer && composer.querySelector("[data-saved-reply-effects]");

    /* The side form is swapped for a fresh one after a reply, unless the agent is editing it
       (then the server applies only what they changed, and refuses what someone else changed). */
    var sideDirty = false;
    function markSide(event) { if (event.target.closest("[data-side-form]")) sideDirty = true; }
    document.addEventListener("input", markSide);
    document.addEventListener("change", markSide);
    function refreshSide(html) {
      var panel = document.querySelector("[data-side-panel]");
      if (!panel || !html || sideDirty) return;
      panel.outerHTML = html;
    }
    function forgetSavedReply() {
      if (savedReplyId) savedReplyId.value = "";
      if (savedReplyNote) { savedReplyNote.hidden = true; savedReplyNote.textContent = ""; }
    }

    /* Reply or note. */
    function setMode(mode) {
      var radio = document.getElementById(mode === "note" ? "mode-note" : "mode-reply");
      if (radio) radio.checked = true;
      syncMode();
    }
    function syncMode() {
      if (!composer) return;
      var note = composer.querySelector("input[name=mode]:checked").value === "note";
      composer.classList.toggle("is-note", note);
      sendButton.textContent = sendButton.getAttribute(note ? "data-note-label" : "data-reply-label");
      if (!textarea.getAttribute("data-reply-placeholder")) {
        textarea.setAttribute("data-reply-placeholder", textarea.getAttribute("placeholder") || "");
      }
      textarea.setAttribute("placeholder", textarea.getAttribute(note ? "data-note-placeholder" : "data-reply-placeholder"));
    }
    if (composer) {
      composer.querySelectorAll("[data-mode]").forEach(function (r) { r.addEventListener("change", syncMode); });
      syncMode();
    }

    function showError(text) {
      if (!errorBox) return;
      errorBox.textContent = "";
      var p = document.createElement("p");
      p.textContent = text;
      errorBox.appendChild(p);
      errorBox.hidden = false;
    }

    if (composer && window.fetch && window.FormData) {
      composer.addEventListener("submit", function (event) {
        event.preventDefault();
        sendButton.disabled = true;
        fetch(composer.action, {
          method: "POST", body: new FormData(composer), credentials: "same-origin",
          headers: { "X-Heedful-Partial": "1", "X-CSRFToken": csrf, "Accept": "application/json" }
        }).then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; },
            function () { return { ok: false, data: { error: { message: response.status + " " + response.statusText } } }; });
        }).then(function (result) {
          sendButton.disabled = false;
          if (!result.ok) {
            var err = result.data.error || {};
            var details = [];
            Object.keys(err.fields || {}).forEach(function (k) { details = details.concat(err.fields[k]); });
            showError([err.message].concat(details).join(" "));
            return;
          }
          errorBox.hidden = true;
          timeline.insertAdjacentHTML("beforeend", result.data.html);
          var pill = document.querySelector("[data-status-pill]");
          if (pill && result.data.status) {
            pill.className = "pill status-" + result.data.status;
            pill.textContent = result.data.status_label;
          }
          textarea.value = "";
          composer.querySelector("input[type=file]").value = "";
          composer.querySelector("select[name=status]").value = "";
          forgetSavedReply();
          refreshSide(result.data.side_html);
          say(composer.classList.contains("is-note") ? sendButton.getAttribute("data-note-label") + " ✓" : sendButton.getAttribute("data-reply-label") + " ✓");
          publish("viewing");
        }).catch(function () {
          sendButton.disabled = false;
          composer.submit();   /* the page works without scripts: fall back to a normal POST */
        });
      });
    }

    /* Saved replies: ask the server to fill the placeholders, insert at the cursor. */
    var picker = document.querySelector("[data-saved-reply]");
    if (picker) {
      picker.addEventListener("change", function () {
        if (!picker.value) return;
        var url = body.getAttribute("data-saved-reply-url").replace(/0\/$/, picker.value + "/");
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (!data.text) return;
            var start = textarea.selectionStart || textarea.value.length;
            var end = textarea.selectionEnd || start;
            textarea.value = textarea.value.slice(0, start) + data.text + textarea.value.slice(end);
            if (data.set_status) {
              var status = composer.querySelector("select[name=status]");
              if (status.querySelector("option[value='" + data.set_status + "']")) status.value = data.set_status;
            }
            /* The server applies the saved reply's status and tags when the reply is sent. */
            forgetSavedReply();
            if (savedReplyId) savedReplyId.value = String(data.id);
            if (savedReplyNote && data.add_tags && data.add_tags.length) {
              savedReplyNote.textContent = savedReplyNote.getAttribute("data-tags-text").replace("%(tags)s", data.add_tags.join(", "));
              savedReplyNote.hidden = false;
            }
            picker.value = "";
            textarea.focus();
            publish("replying");
          });
      });
    }

    /* Presence: who else is here. */
    var presenceBox = document.querySelector("[data-presence]");
    var changedBox = document.querySelector("[data-changed]");
    var labels = { viewing: presenceBox ? presenceBox.getAttribute("data-viewing") : "", replying: "" };
    var state = "viewing";
    var socket = null;
    var polling = null;

    function render(others) {
      if (!presenceBox) return;
      if (!others || !others.length) { presenceBox.hidden = true; presenceBox.textContent = ""; return; }
      presenceBox.textContent = "";
      others.forEach(function (o) {
        var span = document.createElement("span");
        span.className = "presence-item presence-" + o.state;
        var template = o.state === "replying" ? presenceBox.getAttribute("data-replying-text")
                                              : presenceBox.getAttribute("data-viewing-text");
        span.textContent = template.replace("%(name)s", o.name);
        presenceBox.appendChild(span);
      });
      presenceBox.hidden = false;
    }
    function poll() {
      var form = new FormData();
      form.append("state", state);
      fetch(body.getAttribute("data-presence-url"), {
        method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf }
      }).then(function (r) { return r.json(); }).then(function (d) { render(d.others); }).catch(function () {});
    }
    function startPolling() {
      if (polling) return;
      poll();
      polling = setInterval(poll, 10000);
    }
    function publish(next) {
      state = next;
      if (socket && socket.readyState === 1) socket.send(JSON.stringify({ state: state }));
      else if (polling) poll();
    }
    function connect() {
      if (!window.WebSocket) { startPolling(); return; }
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var opened = false;
      try {
        socket = new WebSocket(scheme + window.location.host + "/ws/tickets/" + ticketId + "/");
      } catch (e) { startPolling(); return; }
      socket.addEventListener("open", function () {
        opened = true;
        setInterval(function () { publish(state); }, 10000);
      });
      socket.addEventListener("message", function (event) {
        var data = JSON.parse(event.data);
        if (data.type === "presence") render(data.others);
        if (data.type === "ticket.changed" && changedBox && !sending) changedBox.hidden = false;
      });
      socket.addEventListener("close", function () { socket = null; startPolling(); });
      setTimeout(function () { if (!opened) { if (socket) socket.close(); startPolling(); } }, 4000);
    }
    var sending = false;
    if (composer) {
      composer.addEventListener("submit", function () { sending = true; setTimeout(function () { sending = false; }, 3000); });
      var typingTimer = null;
      textarea.addEventListener("input", function () {
        if (state !== "replying") publish("replying");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { if (!textarea.value) publish("viewing"); }, 15000);
      });
    }
    connect();

    /* Shortcuts: r reply, n note, a assign to me. */
    document.addEventListener("heedful:key", function (event) {
      var key = event.detail.key;
      if (key === "r" || key === "n") {
        setMode(key === "n" ? "note" : "reply");
        textarea.focus();
        event.detail.original.preventDefault();
      } else if (key === "a") {
        var form = document.querySelector("[data-assign-me]");
        if (form) form.submit();
      }
    });
  });
})();
