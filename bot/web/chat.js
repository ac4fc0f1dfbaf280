/* Minimal web chat over Rasa's socket.io channel (credentials.yml: user_uttered / bot_uttered).
 * No external asset: socket.io client is vendored in vendor/socket.io-client/.
 * Rasa server: ?server=http://host:port, else the page's host on port 5005. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var server = params.get("server") || (window.location.protocol + "//" + (window.location.hostname || "localhost") + ":5005");
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var statusEl = document.getElementById("chat-status");

  var sessionKey = "kehoach-gd-session";
  var pending = [];  // typed before the server confirmed the session
  var sessionId = null;
  try { sessionId = window.sessionStorage.getItem(sessionKey); } catch (e) { /* storage disabled */ }

  function nfc(text) { return text && text.normalize ? text.normalize("NFC") : text; }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function add(kind, text) {
    var li = document.createElement("li");
    li.className = "msg " + kind;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = text || "";
    li.appendChild(bubble);
    log.appendChild(li);
    scroll();
    return bubble;
  }

  function setStatus(text) { statusEl.textContent = text; }

  // HTTP long-polling only: with python-engineio 4.15 under Sanic 21.12 (Rasa 3.6) the websocket
  // upgrade fails in Chromium ("Invalid frame header"). Polling needs sticky sessions behind
  // several Rasa replicas (socket.io docs, "using multiple nodes").
  var socket = io(server, { path: "/socket.io", transports: ["polling"], upgrade: false, reconnection: true });

  socket.on("connect", function () {
    setStatus("Đã kết nối");
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", function (data) {
    sessionId = (data && data.session_id) || data || socket.id;
    try { window.sessionStorage.setItem(sessionKey, sessionId); } catch (e) { /* ignore */ }
    document.body.setAttribute("data-session", "ready");
    while (pending.length) { socket.emit("user_uttered", { message: pending.shift(), session_id: sessionId }); }
  });
  socket.on("connect_error", function () { setStatus("Không kết nối được máy chủ trò chuyện, đang thử lại…"); });
  socket.on("disconnect", function () { setStatus("Mất kết nối, đang thử lại…"); });

  socket.on("bot_uttered", function (msg) {
    var bubble = add("bot", msg.text || "");
    if (msg.attachment && msg.attachment.payload && msg.attachment.payload.src) {
      var img = document.createElement("img");
      img.src = msg.attachment.payload.src;
      img.alt = "";
      bubble.appendChild(img);
    }
    var buttons = msg.quick_replies || msg.buttons;
    if (buttons && buttons.length) {
      var box = document.createElement("div");
      box.className = "buttons";
      buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", function () {
          Array.prototype.forEach.call(box.querySelectorAll("button"), function (x) { x.disabled = true; });
          send(b.payload, b.title);
        });
        box.appendChild(btn);
      });
      bubble.appendChild(box);
      scroll();
    }
  });

  function send(payload, shown) {
    payload = nfc(payload);
    if (!payload || !payload.trim()) { return; }
    add("user", nfc(shown || payload));
    if (!sessionId || !socket.connected) { pending.push(payload); return; }
    socket.emit("user_uttered", { message: payload, session_id: sessionId });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = nfc(input.value.trim());
    input.value = "";
    send(text);
    input.focus();
  });
})();
