/*!
 * Assistant France Services du Nord: chat widget (docs/widget.md).
 *
 * Embed with one tag, anywhere in the page:
 *   <script src="https://HOST/widget.js" data-server="https://RASA-HOST" defer></script>
 * Optional: data-privacy-url (the privacy notice), data-title, data-greeting (payload sent
 * when a conversation starts; "" for none), data-socket-path (default /socket.io).
 *
 * Written in ES5 without dependencies other than the socket.io client served beside this file,
 * so that it runs on old phones. Everything the bot sends is inserted as text, never as HTML.
 */
(function () {
  "use strict";

  if (window.FranceServicesWidget) {
    return;
  }

  function findScript() {
    if (document.currentScript) {
      return document.currentScript;
    }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/widget\.js([?#].*)?$/.test(scripts[i].src)) {
        return scripts[i];
      }
    }
    return null;
  }

  var script = findScript();
  if (!script) {
    return;
  }
  var BASE = script.src.replace(/[^/?#]*([?#].*)?$/, "");
  var SERVER = (script.getAttribute("data-server") || BASE).replace(/\/+$/, "");
  var PRIVACY_URL = script.getAttribute("data-privacy-url") || BASE + "confidentialite.html";
  var TITLE = script.getAttribute("data-title") || "Assistant France Services";
  var GREETING = script.hasAttribute("data-greeting") ? script.getAttribute("data-greeting") : "/greet";
  var SOCKET_PATH = script.getAttribute("data-socket-path") || "/socket.io";

  var KEY_SESSION = "fsn-webchat-session";
  var KEY_TRANSCRIPT = "fsn-webchat-transcript";
  var KEY_OPEN = "fsn-webchat-open";
  var MAX_KEPT = 200;
  var SESSION_ID = /^[0-9a-f]{32,64}$/;

  // ---- storage: the page may forbid it (private mode, settings): keep going in memory.
  var memory = {};
  function storage(kind) {
    try {
      var s = window[kind];
      var probe = "fsn-probe";
      s.setItem(probe, probe);
      s.removeItem(probe);
      return s;
    } catch (e) {
      return {
        getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; }
      };
    }
  }
  var local = storage("localStorage");
  var tabStore = storage("sessionStorage");

  // ---- session id: 128 random bits from the browser's CSPRNG, never Math.random.
  function randomSessionId() {
    var c = window.crypto || window.msCrypto;
    if (!c || !c.getRandomValues) {
      return null; // the server then picks an unguessable id and confirms it
    }
    var bytes = new Uint8Array(16);
    c.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) {
      hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return hex;
  }

  function storedSessionId() {
    var id = local.getItem(KEY_SESSION);
    if (id && SESSION_ID.test(id)) {
      return id;
    }
    id = randomSessionId();
    if (id) {
      local.setItem(KEY_SESSION, id);
    }
    return id;
  }

  function loadTranscript() {
    try {
      var items = JSON.parse(local.getItem(KEY_TRANSCRIPT) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function saveTranscript() {
    try {
      local.setItem(KEY_TRANSCRIPT, JSON.stringify(transcript.slice(-MAX_KEPT)));
    } catch (e) {
      // storage full: the conversation goes on, only the reload history is lost
    }
  }

  // ---- DOM helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      if (key === "text") {
        node.textContent = attrs[key];
      } else if (key === "className") {
        node.className = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    }
    for (var i = 0; children && i < children.length; i++) {
      node.appendChild(typeof children[i] === "string" ? document.createTextNode(children[i]) : children[i]);
    }
    return node;
  }

  // Phone numbers become tel: links (one tap to call), web addresses become links.
  var LINKS = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)])|((?:\+33\s?|0)[1-9](?:[\s.]?\d{2}){4})/g;

  function richText(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    LINKS.lastIndex = 0;
    while ((match = LINKS.exec(text)) !== null) {
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link;
      if (match[1]) {
        link = el("a", { href: match[1], target: "_blank", rel: "noopener noreferrer", text: match[1] });
      } else {
        var digits = match[2].replace(/[\s.]/g, "").replace(/^\+33/, "0");
        link = el("a", { href: "tel:+33" + digits.slice(1), text: match[2] });
      }
      fragment.appendChild(link);
      last = match.index + match[0].length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // ---- the widget
  var transcript = loadTranscript();
  var sessionId = storedSessionId();
  var socket = null;
  var ready = false; // true between session_confirm and a disconnection
  var queue = []; // messages typed while not ready, sent in order once ready
  var replyStart = null; // first bot message of the reply being received
  var lastBotAt = 0; // when the last bot message arrived (ms)
  // A bot message that comes this long after the previous one, with no question of the person in
  // between, is news of its own (an agent's answer, a booking notice): shown from its start.
  var NEW_MESSAGE_GAP_MS = 3000;

  var root = el("div", { className: "fsn-root", lang: "fr" });
  var launcher = el("button", {
    type: "button",
    className: "fsn-launcher",
    "aria-expanded": "false",
    "aria-controls": "fsn-panel"
  }, [el("span", { className: "fsn-launcher-icon", "aria-hidden": "true", text: "?" }), "Une question ? Écrivez-nous"]);

  var closeButton = el("button", { type: "button", className: "fsn-close" }, [
    "Fermer",
    el("span", { className: "fsn-sr", text: " la discussion" })
  ]);
  var title = el("h2", { id: "fsn-title", className: "fsn-title", text: TITLE });
  var notice = el("p", { className: "fsn-notice" }, [
    "Je suis un ",
    el("strong", { text: "assistant automatique" }),
    " du Département du Nord, pas une personne. Ne tapez pas votre numéro de sécurité sociale ni vos coordonnées bancaires. ",
    el("a", { href: PRIVACY_URL, target: "_blank", rel: "noopener", text: "Vos données et vos droits" }),
    el("span", { className: "fsn-sr", text: " (nouvel onglet)" })
  ]);
  var log = el("div", {
    className: "fsn-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation"
  });
  var status = el("p", { className: "fsn-status", role: "status" });
  var body = el("div", { className: "fsn-body" }, [notice, log, status]);
  var input = el("input", {
    id: "fsn-input",
    className: "fsn-input",
    type: "text",
    autocomplete: "off",
    enterkeyhint: "send",
    maxlength: "1000"
  });
  var sendButton = el("button", { type: "submit", className: "fsn-send", text: "Envoyer" });
  var form = el("form", { className: "fsn-form" }, [
    el("label", { "for": "fsn-input", className: "fsn-label", text: "Votre question" }),
    el("div", { className: "fsn-row" }, [input, sendButton])
  ]);
  var resetButton = el("button", { type: "button", className: "fsn-reset", text: "Effacer la conversation" });
  var panel = el("section", {
    id: "fsn-panel",
    className: "fsn-panel",
    role: "dialog",
    "aria-labelledby": "fsn-title"
  }, [
    el("div", { className: "fsn-header" }, [title, closeButton]),
    body,
    form,
    el("div", { className: "fsn-footer" }, [resetButton])
  ]);
  panel.hidden = true;
  root.appendChild(launcher);
  root.appendChild(panel);

  // Who wrote a message. An agent's (a person's) message is never labelled "Assistant": the
  // server marks it {"sender_kind": "agent", "agent_name": ...} (webchat/socketio_channel.py).
  var AGENT_LABEL = "Conseiller France Services";
  var AGENT_NAMED_LABEL = ", de l'équipe France Services";
  var AGENT_SR = " (une personne vous répond)";
  var MAX_AGENT_NAME = 40;

  function who(item) {
    if (item.from === "agent") {
      return el("p", { className: "fsn-who" }, [
        el("span", { className: "fsn-who-icon", "aria-hidden": "true", text: "\u263A " }),
        item.name ? item.name + AGENT_NAMED_LABEL : AGENT_LABEL,
        el("span", { className: "fsn-sr", text: AGENT_SR })
      ]);
    }
    return el("p", { className: "fsn-who", text: item.from === "user" ? "Vous" : "Assistant" });
  }

  function agentName(message) {
    var name = typeof message.agent_name === "string" ? message.agent_name.replace(/\s+/g, " ") : "";
    return name.replace(/^\s+|\s+$/g, "").slice(0, MAX_AGENT_NAME);
  }

  function renderMessage(item, active) {
    var kind = item.from === "user" ? "user" : "bot";
    if (item.from === "agent") {
      kind += " fsn-msg--agent"; // still a message to the person (.fsn-msg--bot), from a person
    }
    var node = el("div", { className: "fsn-msg fsn-msg--" + kind }, [who(item)]);
    node.appendChild(el("p", { className: "fsn-text" }, [richText(item.text || "")]));
    if (active && item.choices && item.choices.length) {
      var group = el("div", { className: "fsn-choices", role: "group", "aria-label": "Réponses proposées" });
      for (var i = 0; i < item.choices.length; i++) {
        group.appendChild(choiceButton(item.choices[i]));
      }
      node.appendChild(group);
    }
    log.appendChild(node);
    return node;
  }

  function choiceButton(choice) {
    var button = el("button", { type: "button", className: "fsn-choice", text: choice.title });
    button.addEventListener("click", function () {
      send(choice.title, choice.payload);
      input.focus();
    });
    return button;
  }

  function retireChoices() {
    var groups = log.querySelectorAll(".fsn-choices");
    for (var i = 0; i < groups.length; i++) {
      groups[i].parentNode.removeChild(groups[i]);
    }
    for (var j = 0; j < transcript.length; j++) {
      delete transcript[j].choices;
    }
  }

  function renderAll() {
    log.innerHTML = "";
    for (var i = 0; i < transcript.length; i++) {
      renderMessage(transcript[i], i === transcript.length - 1);
    }
  }

  function scrollTo(node, newest) {
    // A new answer is shown from its start (long ones too), and as much of its newest message as
    // fits below that start: the view moves down to reveal what arrived, never past the start.
    // The conversation scrolls in .fsn-body, or in the whole panel on very short screens.
    var box = panel.scrollHeight > panel.clientHeight + 1 ? panel : body;
    var offset = box === panel ? body.offsetTop : 0;
    if (!node) {
      box.scrollTop = box.scrollHeight;
      return;
    }
    if (node === log.firstChild) {
      box.scrollTop = 0; // the first screen starts with the notice: automatic assistant, privacy
      return;
    }
    var last = newest || node;
    var top = offset + node.offsetTop;
    var end = offset + last.offsetTop + last.offsetHeight;
    var target = box.scrollTop;
    if (end + 8 > target + box.clientHeight) {
      target = end + 8 - box.clientHeight;
    }
    if (top - 8 < target) {
      target = top - 8;
    }
    box.scrollTop = Math.max(0, target);
  }

  function setStatus(text) {
    status.textContent = text;
  }

  function addUser(text) {
    retireChoices();
    var item = { from: "user", text: text };
    transcript.push(item);
    saveTranscript();
    renderMessage(item, false);
    replyStart = null;
    scrollTo(null);
  }

  function addBot(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    var text = typeof message.text === "string" ? message.text : "";
    var raw = message.quick_replies || message.buttons || [];
    var choices = [];
    for (var i = 0; i < raw.length; i++) {
      if (raw[i] && raw[i].title) {
        choices.push({ title: String(raw[i].title), payload: String(raw[i].payload || raw[i].title) });
      }
    }
    if (!text && message.attachment && message.attachment.payload && message.attachment.payload.src) {
      text = String(message.attachment.payload.src);
    }
    if (!text && !choices.length) {
      return;
    }
    retireChoices();
    var item = { from: "bot", text: text, choices: choices };
    if (message.sender_kind === "agent") {
      item.from = "agent";
      item.name = agentName(message);
    }
    transcript.push(item);
    saveTranscript();
    var node = renderMessage(item, true);
    var now = Date.now();
    if (!replyStart || now - lastBotAt > NEW_MESSAGE_GAP_MS) {
      replyStart = node;
    }
    lastBotAt = now;
    setStatus("");
    scrollTo(replyStart, node);
  }

  // ---- socket.io
  function loadSocketClient(done) {
    if (window.io) {
      done();
      return;
    }
    var tag = el("script", { src: BASE + "vendor/socket.io.min.js" });
    tag.onload = done;
    tag.onerror = function () {
      connecting = false;
      setStatus("L'assistant ne peut pas démarrer. Réessayez plus tard, ou appelez une France Services.");
    };
    document.head.appendChild(tag);
  }

  function requestSession() {
    var data = {};
    if (sessionId) {
      data.session_id = sessionId;
    }
    socket.emit("session_request", data);
  }

  var connecting = false;

  function connect() {
    if (socket || connecting) {
      return;
    }
    connecting = true;
    loadSocketClient(function () {
      if (socket) {
        return;
      }
      // Reconnects for ever, at most every 10 s: no time limit on the citizen.
      socket = window.io(SERVER, {
        path: SOCKET_PATH,
        transports: ["websocket", "polling"],
        reconnectionDelayMax: 10000
      });
      socket.on("connect", requestSession);
      socket.on("session_confirm", function (confirmed) {
        var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
        if (id && id !== sessionId) {
          sessionId = id;
          local.setItem(KEY_SESSION, id);
        }
        ready = true;
        setStatus("");
        flush();
      });
      socket.on("bot_uttered", addBot);
      socket.on("disconnect", function () {
        ready = false;
      });
      socket.on("connect_error", function () {
        ready = false;
        setStatus("Connexion à l'assistant impossible pour le moment. Nouvelle tentative en cours…");
      });
    });
  }

  function flush() {
    while (ready && queue.length) {
      socket.emit("user_uttered", { message: queue.shift(), session_id: sessionId });
    }
  }

  function send(text, payload) {
    var shown = (text || "").replace(/^\s+|\s+$/g, "");
    if (!shown) {
      return;
    }
    addUser(shown);
    queue.push(payload || shown);
    setStatus("L'assistant prépare sa réponse…");
    connect();
    flush();
  }

  function startIfEmpty() {
    if (!transcript.length && GREETING) {
      queue.push(GREETING);
      connect();
      flush();
    }
  }

  // ---- open, close, keyboard
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    tabStore.setItem(KEY_OPEN, "1");
    connect();
    startIfEmpty();
    scrollTo(replyStart || log.lastChild);
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    tabStore.removeItem(KEY_OPEN);
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });
  resetButton.addEventListener("click", function () {
    transcript = [];
    saveTranscript();
    queue = [];
    replyStart = null;
    renderAll();
    sessionId = randomSessionId();
    if (sessionId) {
      local.setItem(KEY_SESSION, sessionId);
    } else {
      local.removeItem(KEY_SESSION);
    }
    setStatus("Conversation effacée de cet appareil.");
    if (socket) {
      ready = false;
      requestSession();
    }
    startIfEmpty();
    input.focus();
  });

  function mount() {
    if (!document.querySelector("link[data-fsn-widget]")) {
      var css = el("link", { rel: "stylesheet", href: BASE + "widget.css", "data-fsn-widget": "" });
      // Positions are known only once the styles apply.
      css.onload = function () {
        scrollTo(log.lastChild);
      };
      document.head.appendChild(css);
    }
    renderAll();
    document.body.appendChild(root);
    if (tabStore.getItem(KEY_OPEN)) {
      // A reload keeps the conversation open where it was, without stealing the focus.
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      connect();
      scrollTo(log.lastChild);
    }
  }

  window.FranceServicesWidget = { open: open, close: close };
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
