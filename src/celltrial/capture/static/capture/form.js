// celltrial capture: live branching and calculated fields. The page posts what is typed to the server,
// which evaluates the dictionary's logic with the same engine the save uses (celltrial.logic), and shows or
// hides fields and fills calc fields from the answer. Without this script the save still applies the logic.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var form = document.getElementById("capture-form");
    if (!form) { return; }
    var url = form.getAttribute("data-evaluate");
    var timer = null, seq = 0;
    function apply(state, mine) {
      if (mine !== seq) { return; }
      var hidden = {};
      (state.hidden || []).forEach(function (n) { hidden[n] = true; });
      form.querySelectorAll("[data-field]").forEach(function (el) {
        var name = el.getAttribute("data-field");
        if (hidden[name]) { el.setAttribute("hidden", ""); } else { el.removeAttribute("hidden"); }
      });
      Object.keys(state.values || {}).forEach(function (n) {
        var out = form.querySelector('[data-calc="' + n + '"]');
        if (out) { out.textContent = state.values[n] === "" ? "—" : state.values[n]; }
      });
      form.setAttribute("data-evaluated", String(mine));
    }
    function evaluate() {
      if (!url) { return; }
      var mine = ++seq;
      var data = new FormData(form);
      // Files are not sent for a live evaluation.
      form.querySelectorAll('input[type="file"]').forEach(function (el) { data.delete(el.name); });
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) { if (state) { apply(state, mine); } })
        .catch(function () { /* the save evaluates again */ });
    }
    function later() { clearTimeout(timer); timer = setTimeout(evaluate, 250); }
    form.addEventListener("change", function (ev) {
      var t = ev.target;
      if (t && t.type === "checkbox") {
        var group = form.querySelectorAll('input[type="checkbox"][name="' + t.name + '"]');
        if (t.checked && t.getAttribute("data-exclusive")) {
          group.forEach(function (o) { if (o !== t) { o.checked = false; } });
        } else if (t.checked) {
          group.forEach(function (o) { if (o.getAttribute("data-exclusive")) { o.checked = false; } });
        }
      }
      later();
    });
    form.addEventListener("input", later);
    // Signature fields: draw with a finger or a mouse; the drawing is sent as a PNG.
    form.querySelectorAll("canvas[data-signature]").forEach(function (canvas) {
      var name = canvas.getAttribute("data-signature");
      var target = document.getElementById("id_" + name);
      var ctx = canvas.getContext("2d"), drawing = false;
      ctx.lineWidth = 2; ctx.lineCap = "round";
      function point(ev) { var r = canvas.getBoundingClientRect(); return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height]; }
      canvas.addEventListener("pointerdown", function (ev) { drawing = true; var p = point(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
      canvas.addEventListener("pointermove", function (ev) { if (!drawing) { return; } var p = point(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); });
      function end() { if (drawing) { drawing = false; target.value = canvas.toDataURL("image/png"); } }
      canvas.addEventListener("pointerup", end); canvas.addEventListener("pointerleave", end);
      var clear = form.querySelector('[data-clear="' + name + '"]');
      if (clear) { clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); target.value = ""; }); }
    });
    evaluate();
  });
})();
