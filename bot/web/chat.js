/* Minimal web chat over Rasa's socket.io channel (credentials.yml: user_uttered / bot_uttered).
 * No external asset: socket.io client is vendored in vendor/socket.io-client/.
 * Rasa server: ?server=http://host:port, else the page's host on port 5005.
 * Identity: the page asks its own server for the browser's signed session (GET /session, from
 * an HttpOnly cookie) and hands that token to the channel in session_request; the channel
 * derives the conversation from it, so one browser keeps one conversation across reloads. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var server = params.get("server") || (window.location.protocol + "//" + (window.location.hostname || "localhost") + ":5005");
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var statusEl = document.getElementById("chat-status");

  var MAX_CHARS = 2000;  // the channel refuses longer messages (bot/channels/guard.py)
  var pending = [];  // typed before the server confirmed the session
  var sessionId = null;  // the signed token from GET /session, then from session_confirm
  var confirmed = false;
  var whoEl = document.getElementById("chat-who");
  input.setAttribute("maxlength", String(MAX_CHARS));

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

  // Websocket only: no long-polling fallback, so several Rasa replicas need no sticky sessions
  // (the project's channel fixes the websocket receive of Sanic 21.12 on Python 3.11).
  var socket = io(server, { path: "/socket.io", transports: ["websocket"], reconnection: true, autoConnect: false });

  function startSession() {
    if (!socket.connected) { return; }
    confirmed = false;
    socket.emit("session_request", { session_id: sessionId });
  }

  socket.on("connect", function () {
    setStatus("Đã kết nối");
    startSession();
  });
  socket.on("session_confirm", function (data) {
    sessionId = (data && data.session_id) || data;
    confirmed = true;
    document.body.setAttribute("data-session", "ready");
    while (pending.length) { socket.emit("user_uttered", { message: pending.shift() }); }
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
    if (payload.length > MAX_CHARS) {
      add("bot", "Tin nhắn quá dài (tối đa " + MAX_CHARS + " ký tự). Vui lòng gửi câu hỏi ngắn gọn hơn.");
      return;
    }
    if (!confirmed || !socket.connected) { pending.push(payload); return; }
    socket.emit("user_uttered", { message: payload });
  }

  fetch("/session", { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .catch(function () { return {}; })
    .then(function (data) {
      sessionId = (data && data.token) || null;
      if (whoEl) {
        whoEl.textContent = data && data.staff ? ("Cán bộ: " + data.staff.name + " — " + data.staff.unit) : "";
        document.body.setAttribute("data-staff", data && data.staff ? "yes" : "no");
      }
      socket.connect();
    });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = nfc(input.value.trim());
    input.value = "";
    send(text);
    input.focus();
  });
})();
