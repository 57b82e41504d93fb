/*!
 * Pre-therapy chat widget: embeds a chat with the Rasa assistant on any page.
 *
 *   <script src="https://example.org/widget/widget.js"
 *           data-server-url="https://bot.example.org"
 *           data-title="Questions about therapy?"
 *           data-primary-color="#1f5b4c" defer></script>
 *
 * Plain ES5-compatible JavaScript with no build step. It talks to Rasa's socketio
 * channel through the vendored socket.io-client 4 bundle (protocol v4), which it
 * loads from the folder it was itself loaded from. All text from the visitor or
 * the bot is put into the page with textContent / DOM APIs, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) {
    return; // only supported as a classic <script src> tag
  }
  if (window.__pretherapyChatLoaded) {
    return; // embedding the tag twice must not create two widgets
  }
  window.__pretherapyChatLoaded = true;

  var STORAGE_PREFIX = "pretherapy-chat:";
  var MAX_STORED_MESSAGES = 100;
  var MAX_ANNOUNCEMENTS = 5;
  var TYPING_TIMEOUT_MS = 20000;
  var SAFE_PROTOCOLS = ["http:", "https:", "tel:", "sms:", "mailto:"];
  var HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

  var baseUrl = new URL(".", script.src).href;
  var config = readConfig(script.dataset);

  // ---------------------------------------------------------------- config

  function readConfig(data) {
    var minutes = parseFloat(data.sessionMinutes);
    if (!(minutes > 0) || minutes > 24 * 60) {
      minutes = 30;
    }
    var maxLength = parseInt(data.maxLength, 10);
    if (!(maxLength > 0) || maxLength > 5000) {
      maxLength = 1000;
    }
    var serverUrl;
    try {
      serverUrl = new URL(data.serverUrl || window.location.origin);
      if (serverUrl.protocol !== "http:" && serverUrl.protocol !== "https:") {
        throw new Error("unsupported protocol");
      }
    } catch (err) {
      serverUrl = null; // the widget still shows its crisis resources without a server
      if (window.console) {
        window.console.error("pretherapy chat: data-server-url must be an http(s) URL");
      }
    }
    return {
      serverUrl: serverUrl ? serverUrl.origin : null,
      socketPath: data.socketPath || "/socket.io",
      title: data.title || "Questions about therapy?",
      subtitle: data.subtitle || "Automated assistant, not a therapist",
      launcherText: data.launcherText || "Chat with us",
      primaryColor: HEX_COLOR.test(data.primaryColor || "") ? data.primaryColor : "#1b5e7a",
      sessionMinutes: minutes,
      storage: data.storage === "session" ? "session" : "local",
      initPayload: data.initPayload === undefined ? "/greet" : data.initPayload,
      maxLength: maxLength,
      startOpen: data.open === "true"
    };
  }

  // WCAG 2.x relative luminance and contrast ratio, used to pick text colours
  // that stay AA-readable whatever brand colour the site passes in.
  function luminance(hex) {
    var h = hex.slice(1);
    if (h.length === 3) {
      h = h[0] + h[0] + h[1] + h[1] + h[2] + h[2];
    }
    var rgb = [0, 2, 4].map(function (i) {
      var c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }

  function contrast(a, b) {
    var la = luminance(a);
    var lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function themeColors(primary) {
    var onPrimary = contrast(primary, "#ffffff") >= contrast(primary, "#111111") ? "#ffffff" : "#111111";
    return {
      primary: primary,
      onPrimary: onPrimary,
      // Links and quick-reply text sit on white or the light bot bubble (#eef1f4):
      // use the brand colour only if it is readable on the darker of the two.
      accent: contrast(primary, "#eef1f4") >= 4.5 ? primary : "#1a4a73"
    };
  }

  // ---------------------------------------------------------------- storage
  // The transcript is kept with an expiry timestamp and removed once it has expired,
  // so visitor text never outlives the configured session time in the browser.

  function storageArea(kind) {
    try {
      var area = kind === "session" ? window.sessionStorage : window.localStorage;
      var probe = STORAGE_PREFIX + "probe";
      area.setItem(probe, "1");
      area.removeItem(probe);
      return area;
    } catch (err) {
      return null; // storage blocked (privacy mode, sandboxed iframe): keep the session in memory only
    }
  }

  function purgeExpired(now) {
    ["local", "session"].forEach(function (kind) {
      var area = storageArea(kind);
      if (!area) {
        return;
      }
      var stale = [];
      for (var i = 0; i < area.length; i++) {
        var key = area.key(i);
        if (key && key.indexOf(STORAGE_PREFIX) === 0) {
          var entry = parseEntry(area.getItem(key));
          if (!entry || entry.expiresAt <= now) {
            stale.push(key);
          }
        }
      }
      stale.forEach(function (key) {
        area.removeItem(key);
      });
    });
  }

  function parseEntry(raw) {
    try {
      var entry = JSON.parse(raw);
      if (entry && typeof entry.sessionId === "string" && typeof entry.expiresAt === "number" &&
          Array.isArray(entry.messages)) {
        return entry;
      }
    } catch (err) {
      // malformed entry: treated as absent and purged
    }
    return null;
  }

  function newSessionId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  var store = storageArea(config.storage);
  var storeKey = STORAGE_PREFIX + (config.serverUrl || "offline");
  var sessionMs = config.sessionMinutes * 60 * 1000;

  purgeExpired(Date.now());
  var state = (store && parseEntry(store.getItem(storeKey))) || freshState();

  function freshState() {
    return {
      v: 1,
      sessionId: newSessionId(),
      expiresAt: Date.now() + sessionMs,
      messages: [],
      greeted: false,
      open: false
    };
  }

  function save() {
    state.expiresAt = Date.now() + sessionMs;
    if (state.messages.length > MAX_STORED_MESSAGES) {
      state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    }
    if (store) {
      try {
        store.setItem(storeKey, JSON.stringify(state));
      } catch (err) {
        // quota exceeded: the conversation continues, it just won't survive a reload
      }
    }
    scheduleExpiry();
  }

  var expiryTimer = null;

  function scheduleExpiry() {
    window.clearTimeout(expiryTimer);
    expiryTimer = window.setTimeout(function () {
      if (Date.now() >= state.expiresAt) {
        expireSession();
      } else {
        scheduleExpiry();
      }
    }, Math.max(state.expiresAt - Date.now(), 0) + 50);
  }

  function expireSession() {
    if (store) {
      store.removeItem(storeKey);
    }
    var wasOpen = state.open;
    state = freshState();
    state.open = wasOpen;
    clearLog();
    hideTyping();
    setStatus("For your privacy, the earlier conversation was cleared after a period without activity.");
    sessionConfirmed = false;
    if (socket && socket.connected) {
      socket.emit("session_request", { session_id: state.sessionId });
    }
    // Nothing is written back until the visitor does something, so storage stays empty.
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attrs[name];
      } else if (name === "className") {
        node.className = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svgIcon(pathD) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathD);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function safeHref(candidate) {
    try {
      var url = new URL(candidate);
      return SAFE_PROTOCOLS.indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  function link(href, label, newTabNote) {
    var a = el("a", { href: href, text: label });
    if (/^https?:/.test(href)) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.appendChild(el("span", { className: "ptw-visually-hidden", text: newTabNote || " (opens in a new tab)" }));
    }
    return a;
  }

  // Markdown links, explicit URLs, bare web domains and US toll-free numbers become links;
  // everything else stays text. Hand-written because it is small and must only ever
  // produce text nodes and <a> elements with an allow-listed scheme.
  var LINK_PATTERN = new RegExp(
    "\\[([^\\]\\n]{1,200})\\]\\(([^)\\s]{1,500})\\)" +                          // [label](url)
    "|((?:https?:\\/\\/|mailto:|tel:|sms:)[^\\s<>\"]+)" +                        // explicit URL
    "|\\b((?:[a-z0-9-]+\\.)+(?:org|com|gov|net|us|info)(?:\\/[^\\s<>\"]*)?)\\b" +  // bare domain
    "|\\b(1-8\\d\\d-\\d{3}-\\d{4})\\b",                                          // toll-free number
    "gi"
  );

  function appendRichText(parent, text) {
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(text)) !== null) {
      var raw = match[0];
      var label = raw;
      var href = null;
      var trailing = "";
      if (match[1]) {
        label = match[1];
        href = safeHref(match[2]);
      } else {
        // trailing punctuation belongs to the sentence, not the link
        var trimmed = raw.replace(/[.,;:!?)]+$/, "");
        trailing = raw.slice(trimmed.length);
        label = trimmed;
        if (match[3]) {
          href = safeHref(trimmed);
        } else if (match[4]) {
          href = safeHref("https://" + trimmed);
        } else if (match[5]) {
          href = "tel:+1" + trimmed.slice(2).replace(/-/g, "");
        }
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(href ? link(href, label) : document.createTextNode(label));
      if (trailing) {
        parent.appendChild(document.createTextNode(trailing));
      }
      last = match.index + raw.length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // ---------------------------------------------------------------- crisis

  // A crisis reply is followed by the server's machine-readable marker, a custom payload
  // {"crisis": {"kind": "reply", "situation": ..., "lang": ...}} (generated into every crisis
  // response by scripts/build_crisis_responses.py). Rasa's socketio channel emits it as its own
  // bot_uttered event right after the reply's text. Other kinds ("screen", the screening
  // question; "followup", a supportive follow-up) are not crisis replies and open nothing.
  // Nothing is guessed from the text: a calm line that mentions 988 is not a crisis reply.
  function crisisMarker(data) {
    var marker = data && data.crisis;
    return marker && typeof marker === "object" && marker.kind === "reply" ? marker : null;
  }

  // The languages the crisis resources are written in; anything else gets English.
  function crisisLanguage(lang) {
    return lang === "es" ? "es" : "en";
  }

  // Words around the resources (no facts here: the numbers live in buildCrisisPanel).
  var CRISIS_WORDS = {
    en: {
      title: "Help right now, 24/7",
      needHelp: "Need help now?",
      newTab: " (opens in a new tab)",
      announce: "Crisis support numbers are shown below the assistant's message."
    },
    es: {
      title: "Ayuda ahora mismo, 24/7",
      needHelp: "¿Necesitas ayuda ahora?",
      newTab: " (se abre en una pestaña nueva)",
      announce: "Los números de ayuda en crisis aparecen debajo del mensaje del asistente."
    }
  };

  // The crisis resources in one language: `details` (the full list) and `quick` (988 · 911
  // for the one-line bar). Static on purpose: they must work with no server and without typing
  // anything. Every number here is a fact of risk/data/crisis_resources.yml (a test checks it).
  function buildCrisisPanel(lang) {
    var es = lang === "es";
    var newTab = CRISIS_WORDS[es ? "es" : "en"].newTab;
    var list = el("ul", { className: "ptw-crisis-list" });
    list.appendChild(el("li", {}, es ? [
      el("strong", { text: "Llama al 988 y marca 2" }),
      " para hablar en español, o envía AYUDA por mensaje de texto al 988 " +
        "(Línea 988 de Prevención del Suicidio y Crisis, gratis y confidencial). ",
      el("span", { className: "ptw-crisis-actions" }, [
        link("tel:988", "Llamar al 988"), " ", link("sms:988?body=AYUDA", "Enviar AYUDA al 988")
      ])
    ] : [
      el("strong", { text: "Call or text 988" }),
      " (Suicide & Crisis Lifeline, free and confidential). ",
      el("span", { className: "ptw-crisis-actions" }, [
        link("tel:988", "Call 988"), " ", link("sms:988", "Text 988"), " ",
        link("https://988lifeline.org/", "Chat at 988lifeline.org", newTab)
      ])
    ]));
    list.appendChild(el("li", {}, [
      el("strong", { text: es ? "Llama al 911" : "Call 911" }),
      es ? " si tú u otra persona están en peligro inmediato. " : " if you or someone else is in immediate danger. ",
      el("span", { className: "ptw-crisis-actions" }, [link("tel:911", es ? "Llamar al 911" : "Call 911")])
    ]));
    list.appendChild(el("li", {}, [
      el("strong", { text: es ? "Envía HOME al 741741" : "Text HOME to 741741" }),
      es ? " (Crisis Text Line, 24/7) si prefieres escribir. " : " (Crisis Text Line) if you prefer texting. ",
      el("span", { className: "ptw-crisis-actions" }, [
        link("sms:741741?body=HOME", es ? "Enviar HOME al 741741" : "Text HOME to 741741")
      ])
    ]));
    var outside = el("p", { className: "ptw-crisis-note" }, [es ?
      "Fuera de Estados Unidos, llama al número de emergencias de tu país y busca una línea de ayuda en " :
      "Outside the United States, call your local emergency number or find a helpline at "]);
    outside.appendChild(link("https://findahelpline.com/", "findahelpline.com", newTab));
    outside.appendChild(document.createTextNode("."));
    var details = el("div", { className: "ptw-crisis-details" }, [list, outside, el("p", {
      className: "ptw-crisis-note",
      text: es ? "Este chat es un asistente automático, no un servicio de crisis." :
        "This chat is an automated assistant, not a crisis service."
    })]);
    // Visible "988 · 911"; the accessible names say what the links do.
    var quick = el("span", { className: "ptw-crisis-quick" }, [
      el("a", { href: "tel:988", "aria-label": es ? "Llamar al 988" : "Call 988", text: "988" }),
      el("span", { "aria-hidden": "true", text: " · " }),
      el("a", { href: "tel:911", "aria-label": es ? "Llamar al 911" : "Call 911", text: "911" })
    ]);
    return { details: details, quick: quick };
  }

  var crisisCards = []; // {message, card} for every crisis reply on screen, oldest first
  var crisisCardCount = 0; // for unique ids inside the shadow root

  // The crisis reply's resources, attached to that reply in the conversation's flow (so they
  // scroll with it and never cover later messages or the input). Expanded, they list every
  // resource; collapsed, they are a one-line bar: "Need help now? 988 · 911".
  function buildCrisisCard(message) {
    var lang = message.crisis.lang;
    var words = CRISIS_WORDS[lang];
    var resources = buildCrisisPanel(lang);
    crisisCardCount += 1;
    resources.details.id = "ptw-crisis-card-" + crisisCardCount;
    var toggle = el("button", {
      type: "button",
      className: "ptw-crisis-toggle",
      "aria-controls": resources.details.id
    }, [svgIcon("M7 10l5 5 5-5z"), el("span", { text: words.needHelp })]);
    var card = el("div", { className: "ptw-crisis-card", role: "group", "aria-label": words.title, lang: lang }, [
      el("div", { className: "ptw-crisis-bar" }, [toggle, " ", resources.quick]),
      resources.details
    ]);
    var entry = { message: message, card: card };
    toggle.addEventListener("click", function () {
      setCrisisCardOpen(entry, !message.crisis.open);
      save();
    });
    setCrisisCardOpen(entry, message.crisis.open);
    crisisCards.push(entry);
    return card;
  }

  function setCrisisCardOpen(entry, open) {
    entry.message.crisis.open = open;
    entry.card.querySelector(".ptw-crisis-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    entry.card.querySelector(".ptw-crisis-details").hidden = !open;
    entry.card.querySelector(".ptw-crisis-quick").hidden = open; // the list has the same links
  }

  // A stored message's crisis state, checked (storage is not trusted to be well-formed); earlier
  // versions stored `crisis: true`, shown collapsed.
  function storedCrisis(crisis) {
    if (!crisis) {
      return null;
    }
    return {
      lang: crisisLanguage(crisis.lang),
      open: crisis === true ? false : crisis.open !== false
    };
  }

  // ---------------------------------------------------------------- UI

  var colors = themeColors(config.primaryColor);
  var host = el("div", { id: "pretherapy-chat", "data-pretherapy-chat": "" });
  host.style.setProperty("--ptw-primary", colors.primary);
  host.style.setProperty("--ptw-on-primary", colors.onPrimary);
  host.style.setProperty("--ptw-accent", colors.accent);
  host.style.visibility = "hidden"; // until the stylesheet has loaded, to avoid a flash of unstyled widget
  var root = host.attachShadow({ mode: "open" });
  var stylesheet = el("link", { rel: "stylesheet", href: baseUrl + "widget.css" });
  stylesheet.addEventListener("load", function () { host.style.visibility = ""; });
  stylesheet.addEventListener("error", function () { host.style.visibility = ""; });
  root.appendChild(stylesheet);

  var ui = {};
  ui.launcherBar = el("div", { className: "ptw-launcher-bar" });
  ui.launcherHelp = el("button", { type: "button", className: "ptw-help-pill", text: "Need help now?" });
  ui.launcher = el("button", {
    type: "button",
    className: "ptw-launcher",
    "aria-controls": "ptw-panel",
    "aria-expanded": "false"
  }, [svgIcon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"),
      el("span", { text: config.launcherText })]);
  ui.launcherBar.appendChild(ui.launcherHelp);
  ui.launcherBar.appendChild(ui.launcher);

  ui.panel = el("div", {
    id: "ptw-panel",
    className: "ptw-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "ptw-title",
    "aria-describedby": "ptw-subtitle",
    hidden: ""
  });
  var header = el("div", { className: "ptw-header" });
  var titles = el("div", { className: "ptw-titles" }, [
    el("h2", { id: "ptw-title", className: "ptw-title", text: config.title }),
    el("p", { id: "ptw-subtitle", className: "ptw-subtitle", text: config.subtitle })
  ]);
  ui.helpButton = el("button", {
    type: "button",
    className: "ptw-help-link",
    "aria-controls": "ptw-crisis",
    "aria-expanded": "false",
    text: "Need help now?"
  });
  ui.closeButton = el("button", { type: "button", className: "ptw-close", "aria-label": "Close chat" },
    [svgIcon("M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z")]);
  header.appendChild(titles);
  header.appendChild(ui.helpButton);
  header.appendChild(ui.closeButton);

  // The visitor's own "Need help now?": the resources in a bounded area above the conversation.
  ui.crisis = el("section", {
    id: "ptw-crisis",
    className: "ptw-crisis",
    "aria-labelledby": "ptw-crisis-title",
    tabindex: "-1",
    hidden: ""
  }, [
    el("h3", { id: "ptw-crisis-title", className: "ptw-crisis-title", text: CRISIS_WORDS.en.title }),
    buildCrisisPanel("en").details
  ]);
  ui.log = el("div", {
    className: "ptw-log",
    role: "log",
    "aria-live": "off", // announcements go through ui.announcer so only the bot's words are read out
    "aria-label": "Conversation",
    tabindex: "0"
  });
  ui.typing = el("div", { className: "ptw-typing", "aria-hidden": "true", hidden: "" }, [
    el("span", { className: "ptw-dot" }), el("span", { className: "ptw-dot" }), el("span", { className: "ptw-dot" }),
    el("span", { className: "ptw-typing-label", text: "Assistant is typing" })
  ]);
  ui.status = el("p", { className: "ptw-status", role: "status" });
  ui.announcer = el("div", { className: "ptw-visually-hidden", "aria-live": "polite", "aria-atomic": "false" });

  ui.form = el("form", { className: "ptw-form", novalidate: "" });
  ui.input = el("input", {
    id: "ptw-input",
    className: "ptw-input",
    type: "text",
    autocomplete: "off",
    maxlength: String(config.maxLength),
    placeholder: "Type your question…",
    "aria-describedby": "ptw-privacy"
  });
  ui.send = el("button", { type: "submit", className: "ptw-send", text: "Send" });
  ui.form.appendChild(el("label", { "for": "ptw-input", className: "ptw-visually-hidden", text: "Your message" }));
  ui.form.appendChild(ui.input);
  ui.form.appendChild(ui.send);
  var privacy = el("p", {
    id: "ptw-privacy",
    className: "ptw-privacy",
    text: "Kept on this device for " + describeMinutes(config.sessionMinutes) + " after your last message."
  });

  var body = el("div", { className: "ptw-body" }, [ui.crisis, ui.log, ui.typing]);
  ui.panel.appendChild(header);
  ui.panel.appendChild(body);
  ui.panel.appendChild(ui.status);
  ui.panel.appendChild(ui.form);
  ui.panel.appendChild(privacy);
  ui.panel.appendChild(ui.announcer);

  var container = el("div", { className: "ptw-root" }, [ui.panel, ui.launcherBar]);
  root.appendChild(container);

  function describeMinutes(minutes) {
    if (minutes < 1) {
      return Math.round(minutes * 60) + " seconds";
    }
    return Math.round(minutes) === 1 ? "1 minute" : Math.round(minutes) + " minutes";
  }

  // ---------------------------------------------------------------- rendering

  function renderMessage(message) {
    var item = el("div", { className: "ptw-msg ptw-msg--" + (message.from === "user" ? "user" : "bot") });
    item.appendChild(el("span", {
      className: "ptw-visually-hidden",
      text: message.from === "user" ? "You said: " : "Assistant: "
    }));
    if (message.text || !message.crisis) {
      var bubble = el("p", { className: "ptw-bubble" });
      appendRichText(bubble, message.text || "");
      item.appendChild(bubble);
    }
    if (message.image) {
      var src = safeHref(message.image);
      if (src && /^https?:/.test(src)) {
        item.appendChild(el("img", { className: "ptw-image", src: src, alt: "Image sent by the assistant" }));
      }
    }
    if (message.from === "bot" && message.crisis) {
      attachCrisisCard(item, message);
    }
    ui.log.appendChild(item);
    return item;
  }

  function attachCrisisCard(item, message) {
    item.classList.add("ptw-msg--crisis");
    item.appendChild(buildCrisisCard(message));
  }

  function renderQuickReplies(replies) {
    removeQuickReplies();
    if (!replies || !replies.length) {
      return;
    }
    var group = el("div", { className: "ptw-quick", role: "group", "aria-label": "Suggested replies" });
    replies.forEach(function (reply) {
      var button = el("button", { type: "button", className: "ptw-quick-reply", text: reply.title });
      button.addEventListener("click", function () {
        sendUserMessage(reply.title, reply.payload);
        ui.input.focus(); // the chosen button is gone; keep keyboard users in the chat
      });
      group.appendChild(button);
    });
    ui.log.appendChild(group);
  }

  function removeQuickReplies() {
    var existing = ui.log.querySelector(".ptw-quick");
    if (existing) {
      existing.parentNode.removeChild(existing);
    }
  }

  function clearLog() {
    ui.log.textContent = "";
    crisisCards = [];
    latestBot = null;
  }

  function renderTranscript() {
    clearLog();
    state.messages.forEach(function (message) {
      message.crisis = storedCrisis(message.crisis);
      var item = renderMessage(message);
      if (message.from === "bot") {
        latestBot = { message: message, item: item };
      }
    });
    var lastMessage = state.messages[state.messages.length - 1];
    if (lastMessage && lastMessage.from === "bot") {
      renderQuickReplies(lastMessage.quickReplies);
    }
    scrollToEnd();
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function announce(text) {
    ui.announcer.appendChild(el("p", { text: text }));
    while (ui.announcer.childNodes.length > MAX_ANNOUNCEMENTS) {
      ui.announcer.removeChild(ui.announcer.firstChild);
    }
  }

  var typingTimer = null;

  function showTyping() {
    ui.typing.hidden = false;
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }

  function hideTyping() {
    window.clearTimeout(typingTimer);
    ui.typing.hidden = true;
  }

  var statusIsAboutConnection = false;

  function setStatus(text, aboutConnection) {
    ui.status.textContent = text;
    statusIsAboutConnection = !!aboutConnection;
  }

  // ---------------------------------------------------------------- open / close / crisis

  function openPanel(focusTarget, restoring) {
    state.open = true;
    ui.panel.hidden = false;
    ui.launcherBar.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    persistUiState();
    connect();
    scrollToEnd();
    if (!restoring) {
      (focusTarget || ui.input).focus();
    }
    if (!state.greeted && state.messages.length === 0 && config.initPayload) {
      state.greeted = true;
      queueOutgoing(config.initPayload);
      showTyping();
    }
  }

  function closePanel() {
    state.open = false;
    ui.panel.hidden = true;
    ui.launcherBar.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    persistUiState();
    ui.launcher.focus();
  }

  // The visitor asked ("Need help now?"): the resources above the conversation. A crisis reply
  // from the server gets its own resources in the conversation instead (buildCrisisCard).
  function showHelp(visible) {
    var atEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 2;
    ui.crisis.hidden = !visible;
    ui.helpButton.setAttribute("aria-expanded", visible ? "true" : "false");
    if (atEnd) {
      scrollToEnd(); // the conversation got shorter: keep its latest message in view
    }
  }

  function persistUiState() {
    // Opening or closing is not a message: only rewrite storage if there is a conversation to keep.
    if (state.messages.length) {
      save();
    }
  }

  ui.launcher.addEventListener("click", function () { openPanel(null, false); });
  ui.launcherHelp.addEventListener("click", function () {
    showHelp(true);
    openPanel(ui.crisis, false);
  });
  ui.closeButton.addEventListener("click", closePanel);
  ui.helpButton.addEventListener("click", function () {
    var opening = ui.crisis.hidden;
    showHelp(opening);
    if (opening) {
      ui.crisis.focus();
    }
  });
  ui.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    }
  });
  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = ui.input.value.trim();
    if (!text) {
      setStatus("Type a message first.");
      return;
    }
    ui.input.value = "";
    sendUserMessage(text, text);
  });

  // ---------------------------------------------------------------- conversation

  var socket = null;
  var sessionConfirmed = false;
  var outbox = [];

  function sendUserMessage(shownText, payload) {
    if (!statusIsAboutConnection) {
      setStatus(""); // an earlier hint ("type a message first", "cleared") has been read
    }
    removeQuickReplies();
    var message = { from: "user", text: shownText.slice(0, config.maxLength) };
    state.messages.push(message);
    renderMessage(message);
    scrollToEnd();
    save();
    if (!config.serverUrl) {
      setStatus("The chat is not configured. If you need help now, use “Need help now?” above.");
      return;
    }
    queueOutgoing(String(payload).slice(0, config.maxLength));
    showTyping();
  }

  function queueOutgoing(text) {
    // Our own queue instead of socket.io's send buffer: messages must only go out after
    // the session is (re)confirmed, or replies would go to a room we have not joined yet.
    outbox.push(text);
    flushOutbox();
  }

  function flushOutbox() {
    if (!socket || !socket.connected || !sessionConfirmed) {
      return;
    }
    while (outbox.length) {
      socket.emit("user_uttered", { message: outbox.shift(), session_id: state.sessionId });
    }
  }

  var latestBot = null; // {message, item}: the bot message a following crisis marker belongs to

  function receiveBotMessage(data) {
    if (!data || typeof data !== "object") {
      return;
    }
    var marker = crisisMarker(data);
    var text = typeof data.text === "string" ? data.text : "";
    var replies = (Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [])
      .filter(function (r) { return r && typeof r.title === "string" && typeof r.payload === "string"; })
      .map(function (r) { return { title: r.title, payload: r.payload }; });
    var image = data.attachment && data.attachment.type === "image" && data.attachment.payload &&
      typeof data.attachment.payload.src === "string" ? data.attachment.payload.src : null;
    if (!text && !replies.length && !image) {
      if (marker) {
        markLatestBotMessageAsCrisis(marker);
      }
      return;
    }
    var message = { from: "bot", text: text };
    if (replies.length) {
      message.quickReplies = replies;
    }
    if (image) {
      message.image = image;
    }
    if (marker) {
      message.crisis = newCrisis(marker);
    }
    showBotMessage(message);
  }

  function showBotMessage(message) {
    hideTyping();
    removeQuickReplies();
    if (message.crisis) {
      collapseCrisisCards(); // only the newest crisis reply shows the full list
    }
    state.messages.push(message);
    latestBot = { message: message, item: renderMessage(message) };
    renderQuickReplies(message.quickReplies);
    scrollToEnd();
    save();
    if (message.text || message.image) {
      announce("Assistant: " + (message.text || "sent an image"));
    }
    if (message.crisis) {
      announce(CRISIS_WORDS[message.crisis.lang].announce);
    }
  }

  function newCrisis(marker) {
    return { lang: crisisLanguage(marker.lang), open: true };
  }

  function collapseCrisisCards() {
    crisisCards.forEach(function (entry) {
      setCrisisCardOpen(entry, false);
    });
  }

  // Rasa sends the marker as its own event straight after the reply's text, before anything
  // else of the turn: the resources are attached to that reply, synchronously, so they sit
  // between it and whatever comes next.
  function markLatestBotMessageAsCrisis(marker) {
    if (!latestBot) {
      showBotMessage({ from: "bot", text: "", crisis: newCrisis(marker) }); // a marker on its own
      return;
    }
    if (latestBot.message.crisis) {
      return; // already marked
    }
    collapseCrisisCards();
    latestBot.message.crisis = newCrisis(marker);
    attachCrisisCard(latestBot.item, latestBot.message);
    scrollToEnd();
    save();
    announce(CRISIS_WORDS[latestBot.message.crisis.lang].announce);
  }

  function loadSocketClient(callback) {
    if (loadSocketClient.io) {
      callback(loadSocketClient.io);
      return;
    }
    // Keep whatever `io` the host page has; ours is used through the captured reference only.
    var hostIo = window.io;
    var tag = document.createElement("script");
    tag.src = baseUrl + "vendor/socket.io.min.js";
    tag.async = true;
    tag.onload = function () {
      loadSocketClient.io = window.io;
      window.io = hostIo;
      callback(loadSocketClient.io);
    };
    tag.onerror = function () {
      setStatus("The chat could not load. If you need help now, use “Need help now?” above.");
    };
    document.head.appendChild(tag);
  }

  function connect() {
    if (socket || !config.serverUrl || connect.started) {
      return;
    }
    connect.started = true;
    setStatus("Connecting…", true);
    loadSocketClient(function (io) {
      socket = io(config.serverUrl, {
        path: config.socketPath,
        // WebSocket only: it needs no CORS headers from the Rasa server and survives restarts cleanly.
        transports: ["websocket"],
        reconnection: true,
        reconnectionDelay: 500,
        reconnectionDelayMax: 4000
      });
      socket.on("connect", function () {
        sessionConfirmed = false;
        // Re-sent after every reconnect: a restarted server has forgotten which room we were in.
        socket.emit("session_request", { session_id: state.sessionId });
      });
      socket.on("session_confirm", function (sessionId) {
        // The server issues the session id (a signed one it can resume); keep what it confirms.
        if (typeof sessionId === "string" && sessionId && sessionId !== state.sessionId) {
          state.sessionId = sessionId;
          if (store && store.getItem(storeKey)) {
            save();
          }
        }
        sessionConfirmed = true;
        if (statusIsAboutConnection) {
          setStatus("");
        }
        flushOutbox();
      });
      socket.on("bot_uttered", receiveBotMessage);
      socket.on("session_required", function () {
        // The server lost this socket's session (it restarted between our request and message).
        sessionConfirmed = false;
        socket.emit("session_request", { session_id: state.sessionId });
      });
      socket.on("disconnect", function () {
        sessionConfirmed = false;
        setStatus("Connection lost. Reconnecting… Your conversation is kept.", true);
      });
      socket.on("connect_error", function () {
        setStatus("Can't reach the assistant right now. Retrying… If you need help now, use “Need help now?” above.", true);
      });
    });
  }

  // ---------------------------------------------------------------- start

  function mount() {
    document.body.appendChild(host);
    renderTranscript();
    if (state.messages.length) {
      scheduleExpiry();
    }
    if (state.open || config.startOpen) {
      // Restore without stealing focus from the page the visitor just loaded.
      openPanel(null, true);
    }
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
