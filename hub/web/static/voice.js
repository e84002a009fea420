// Suara panggilan: record one word at a time (getUserMedia + AudioWorklet), show the input level,
// listen again, and send the word to the hub as a 16-bit PCM WAV.
(function () {
  "use strict";
  var box = document.getElementById("recorder");
  if (!box) return;
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var $ = function (id) { return document.getElementById(id); };
  var word = $("voice-word"), keyLabel = $("voice-key"), meter = $("voice-level"), status = $("voice-status");
  var buttons = { record: $("voice-record"), stop: $("voice-stop"), play: $("voice-play"), save: $("voice-save") };
  var key = keyLabel.textContent.trim();
  var peakLabel = $("voice-peak");
  var session = null, samples = [], rate = 48000, peak = 0;

  function say(text, bad) { status.textContent = text; status.className = "hint" + (bad ? " error" : ""); }
  function enable(recording) {
    buttons.record.disabled = recording;
    buttons.stop.disabled = !recording;
    buttons.play.disabled = recording || !samples.length;
    buttons.save.disabled = recording || !samples.length;
  }

  function choose(row) {
    key = row.getAttribute("data-key");
    word.textContent = row.getAttribute("data-text");
    keyLabel.textContent = key;
    samples = [];
    peak = 0;
    peakLabel.textContent = "0%";
    enable(false);
    say("");
  }

  async function record() {
    try {
      var stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false }
      });
      var context = new AudioContext();
      await context.audioWorklet.addModule(box.getAttribute("data-worklet"));
      var source = context.createMediaStreamSource(stream);
      var node = new AudioWorkletNode(context, "antrean-recorder");
      var mute = context.createGain();
      mute.gain.value = 0;
      samples = [];
      peak = 0;
      peakLabel.textContent = "0%";
      rate = context.sampleRate;
      node.port.onmessage = function (event) {
        var block = event.data, sum = 0;
        samples.push(block);
        for (var i = 0; i < block.length; i++) sum += block[i] * block[i];
        meter.value = Math.min(1, Math.sqrt(sum / block.length) * 4);
        if (meter.value > peak) { peak = meter.value; peakLabel.textContent = Math.round(peak * 100) + "%"; }
      };
      source.connect(node);
      node.connect(mute);
      mute.connect(context.destination);
      session = { stream: stream, context: context };
      enable(true);
      say("Merekam… ucapkan: " + word.textContent);
    } catch (error) {
      say("Mikrofon tidak dapat dibuka: " + error.message, true);
    }
  }

  function stop() {
    if (!session) return;
    session.stream.getTracks().forEach(function (track) { track.stop(); });
    session.context.close();
    session = null;
    meter.value = 0;
    enable(false);
    say("Selesai merekam. Putar untuk mendengar, atau Rekam untuk mengulang.");
  }

  function joined() {
    var length = samples.reduce(function (n, block) { return n + block.length; }, 0);
    var all = new Float32Array(length), offset = 0;
    samples.forEach(function (block) { all.set(block, offset); offset += block.length; });
    return all;
  }

  function play() {
    var data = joined(), context = new AudioContext();
    var buffer = context.createBuffer(1, data.length, rate);
    buffer.copyToChannel(data, 0);
    var source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    source.onended = function () { context.close(); };
    source.start();
  }

  function wav(data) {  // 16-bit PCM mono WAV
    var view = new DataView(new ArrayBuffer(44 + data.length * 2));
    function text(offset, value) { for (var i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i)); }
    text(0, "RIFF"); view.setUint32(4, 36 + data.length * 2, true); text(8, "WAVE"); text(12, "fmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, data.length * 2, true);
    for (var i = 0; i < data.length; i++) {
      var s = Math.max(-1, Math.min(1, data[i]));
      view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([view.buffer], { type: "audio/wav" });
  }

  async function save() {
    buttons.save.disabled = true;
    say("Menyimpan…");
    var response = await fetch(box.getAttribute("data-save").replace("KEY", key), {
      method: "POST", body: wav(joined()), credentials: "same-origin",
      headers: { "Content-Type": "audio/wav", "X-CSRFToken": token }
    });
    var result = await response.json().catch(function () { return { error: "Jawaban server tidak terbaca." }; });
    if (!response.ok) { say(result.error || "Gagal menyimpan.", true); enable(false); return; }
    var row = document.querySelector('#voice-words tr[data-key="' + key + '"]');
    if (row) row.querySelector(".voice-state").innerHTML = '<span class="badge ok">terekam</span>';
    $("voice-count").textContent = String(document.querySelectorAll("#voice-words .badge.ok").length);
    var saved = $("voice-saved");
    saved.src = result.url + "?t=" + Date.now();
    saved.hidden = false;
    say("Tersimpan: " + word.textContent + " (" + result.seconds.toFixed(2).replace(".", ",") + " detik).");
    var next = document.querySelector("#voice-words tr:has(.voice-state .badge:not(.ok))");
    if (next) { choose(next); say("Tersimpan. Berikutnya: " + next.getAttribute("data-text")); }
  }

  buttons.record.addEventListener("click", record);
  buttons.stop.addEventListener("click", stop);
  buttons.play.addEventListener("click", play);
  buttons.save.addEventListener("click", save);
  document.querySelectorAll("#voice-words .voice-pick").forEach(function (button) {
    button.addEventListener("click", function () { choose(button.closest("tr")); window.scrollTo(0, 0); });
  });
})();
