// General consent signature: draw with a finger, pen or mouse (pointer events) on the canvas; Hapus clears
// it, Simpan sends it as a PNG data URL. The server checks the PNG again (size, not blank).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("signature-pad");
    var form = document.getElementById("signature-form");
    if (!canvas || !form) return;
    var pen = canvas.getContext("2d");
    var drawing = false;
    var strokes = 0;
    pen.lineWidth = 4;
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.strokeStyle = "#111827";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * canvas.width / box.width,
        y: (event.clientY - box.top) * canvas.height / box.height
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      document.getElementById("signature-empty").hidden = true;
      var p = point(event);
      pen.beginPath();
      pen.moveTo(p.x, p.y);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      pen.lineTo(p.x, p.y);
      pen.stroke();
    });
    function end() {
      if (drawing) strokes += 1;
      drawing = false;
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    document.getElementById("btn-signature-clear").addEventListener("click", function () {
      pen.clearRect(0, 0, canvas.width, canvas.height);
      strokes = 0;
    });
    form.addEventListener("submit", function (event) {
      var empty = document.getElementById("signature-empty");
      if (!strokes) {
        event.preventDefault();
        if (empty) empty.hidden = false;
        return;
      }
      document.getElementById("signature-data").value = canvas.toDataURL("image/png");
    });
  });
})();
