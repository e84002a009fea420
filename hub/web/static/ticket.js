// The public ticket page while it is open: when the ticket is N ahead ("giliran Anda sebentar lagi") and
// when it is called, the page beeps (Web Audio, no file), vibrates and changes its title, once per event.
// Browsers play sound only after a tap on the page: the "Aktifkan suara" button is that tap.
(function () {
  "use strict";
  var audio = null;

  function beep(times) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      audio = audio || new Ctx();
      for (var i = 0; i < times; i++) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var start = audio.currentTime + i * 0.35;
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.3, start);
        gain.gain.exponentialRampToValueAtTime(0.001, start + 0.3);
        osc.connect(gain).connect(audio.destination);
        osc.start(start);
        osc.stop(start + 0.3);
      }
    } catch (e) { /* no sound on this browser: the title and vibration remain */ }
  }

  function alertOnce(kind, title, pattern, times) {
    var body = document.body;
    var done = (body.getAttribute("data-alerted") || "").split(" ");
    if (done.indexOf(kind) >= 0) return;
    done.push(kind);
    body.setAttribute("data-alerted", done.join(" ").trim());
    document.title = title;
    if (navigator.vibrate) navigator.vibrate(pattern);
    beep(times);
  }

  function check() {
    var holder = document.getElementById("ticket-card");
    var card = holder && holder.querySelector(".ticket");
    if (!card) return;
    var limit = parseInt(holder.getAttribute("data-notify-before") || "3", 10);
    var status = card.getAttribute("data-status");
    var ahead = parseInt(card.getAttribute("data-ahead") || "-1", 10);
    var number = card.getAttribute("data-number");
    if (status === "called") {
      alertOnce("called", "DIPANGGIL: " + number + " — silakan ke loket", [500, 200, 500, 200, 500], 3);
    } else if ((status === "waiting" || status === "confirmed") && ahead >= 0 && ahead <= limit) {
      alertOnce("near", "Sebentar lagi: " + number + " (" + ahead + " lagi)", [300, 150, 300], 2);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("ticket-card");
    if (!holder) return;
    new MutationObserver(check).observe(holder, { childList: true, subtree: true });
    var button = document.getElementById("btn-sound");
    if (button) {
      button.addEventListener("click", function () {
        beep(1);
        button.textContent = "Suara aktif";
        button.disabled = true;
      });
    }
    check();
  });
})();
