// calciscope image viewer: window/level, zoom, pan and a region of interest on a canvas.
// Hand-written, no build step, no CDN. The server sends the image's grey levels as 16-bit
// pixels (GET .../pixels, headers X-Width, X-Height, X-Scale, X-Value-Low/High; X-Channels 3
// for a colour photograph's red, green and blue); window and level are applied here to those
// values, so the whole dynamic range is there to window.
(function () {
  "use strict";
  const canvas = document.getElementById("viewer");
  if (!canvas) { return; }
  const ctx = canvas.getContext("2d");
  const $ = function (id) { return document.getElementById(id); };
  const status = $("viewer-status");
  const view = {zoom: 1, x: 0, y: 0};          // image pixel at the canvas' top-left, zoom factor
  let img = null;                                // {w, h, scale, low, high, data, channels}
  let win = {center: 0, width: 1};               // in image values
  let start = {center: 0, width: 1};
  let roi = null;                                // [x0, y0, x1, y1] in the served pixels
  const layer = document.createElement("canvas");
  const layerCtx = layer.getContext("2d");
  let pixelsImage = null;

  function toValue(stored) { return img.low + stored * (img.high - img.low) / 65535; }
  function toStored(value) { return (value - img.low) * 65535 / ((img.high - img.low) || 1); }

  function applyWindow() {
    // one 65,536-entry table per window: each pixel is a look-up, not arithmetic
    const lo = toStored(win.center - win.width / 2);
    const hi = toStored(win.center + win.width / 2);
    const span = Math.max(hi - lo, 1e-9);
    const lut = new Uint8ClampedArray(65536);
    for (let i = 0; i < 65536; i++) { lut[i] = ((i - lo) / span) * 255; }
    const out = pixelsImage.data;
    const src = img.data;
    if (img.channels === 3) {                    // a colour photograph: R, G, B per pixel
      for (let i = 0, j = 0; i < src.length; i += 3, j += 4) {
        out[j] = lut[src[i]]; out[j + 1] = lut[src[i + 1]]; out[j + 2] = lut[src[i + 2]];
        out[j + 3] = 255;
      }
    } else {
      for (let i = 0, j = 0; i < src.length; i++, j += 4) {
        const v = lut[src[i]];
        out[j] = v; out[j + 1] = v; out[j + 2] = v; out[j + 3] = 255;
      }
    }
    layerCtx.putImageData(pixelsImage, 0, 0);
    $("wl-center").value = win.center.toPrecision(6);
    $("wl-width").value = win.width.toPrecision(6);
    draw();
  }

  function draw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!img) { return; }
    ctx.imageSmoothingEnabled = view.zoom < 1;
    ctx.setTransform(view.zoom, 0, 0, view.zoom, -view.x * view.zoom, -view.y * view.zoom);
    ctx.drawImage(layer, 0, 0);
    if (roi) {
      ctx.strokeStyle = "#ffcc00";
      ctx.lineWidth = 2 / view.zoom;
      ctx.strokeRect(roi[0], roi[1], roi[2] - roi[0], roi[3] - roi[1]);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "rgba(0,0,0,.6)";
    ctx.fillRect(0, canvas.height - 22, canvas.width, 22);
    ctx.fillStyle = "#fff";
    ctx.font = "13px system-ui, sans-serif";
    ctx.fillText("W " + win.width.toPrecision(4) + "  L " + win.center.toPrecision(4) +
      "  zoom " + view.zoom.toFixed(2) + "×" + (img.scale > 1 ? "  (shown at 1/" + img.scale + ")" : ""),
      8, canvas.height - 7);
    status.textContent = "W " + win.width.toPrecision(4) + " · L " + win.center.toPrecision(4) +
      " · zoom " + view.zoom.toFixed(2) + "×";
    canvas.dataset.zoom = view.zoom.toFixed(4);
    canvas.dataset.pan = view.x.toFixed(1) + "," + view.y.toFixed(1);
    canvas.dataset.window = win.width.toPrecision(6);
    canvas.dataset.level = win.center.toPrecision(6);
  }

  function fit() {
    view.zoom = Math.min(canvas.width / img.w, canvas.height / img.h);
    view.x = -(canvas.width / view.zoom - img.w) / 2;
    view.y = -(canvas.height / view.zoom - img.h) / 2;
    draw();
  }

  function zoomAt(factor, cx, cy) {
    const ix = view.x + cx / view.zoom, iy = view.y + cy / view.zoom;
    view.zoom = Math.min(Math.max(view.zoom * factor, 0.05), 40);
    view.x = ix - cx / view.zoom;
    view.y = iy - cy / view.zoom;
    draw();
  }

  function imagePoint(event) {
    const box = canvas.getBoundingClientRect();
    const cx = (event.clientX - box.left) * canvas.width / box.width;
    const cy = (event.clientY - box.top) * canvas.height / box.height;
    return {cx: cx, cy: cy, x: view.x + cx / view.zoom, y: view.y + cy / view.zoom};
  }

  function setRoiInputs() {
    const s = img.scale;
    const clamp = function (v, max) { return Math.min(Math.max(Math.round(v), 0), max); };
    $("roi-x0").value = clamp(Math.min(roi[0], roi[2]) * s, img.w * s);
    $("roi-y0").value = clamp(Math.min(roi[1], roi[3]) * s, img.h * s);
    $("roi-x1").value = clamp(Math.max(roi[0], roi[2]) * s, img.w * s);
    $("roi-y1").value = clamp(Math.max(roi[1], roi[3]) * s, img.h * s);
  }

  let drag = null;
  canvas.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  canvas.addEventListener("mousedown", function (e) {
    if (!img) { return; }
    const p = imagePoint(e);
    const mode = e.shiftKey ? "roi" : (e.button === 2 || e.altKey) ? "window" : "pan";
    drag = {mode: mode, p: p, view: {x: view.x, y: view.y}, win: {center: win.center, width: win.width}};
    if (mode === "roi") { roi = [p.x, p.y, p.x, p.y]; }
    e.preventDefault();
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) { return; }
    const p = imagePoint(e);
    if (drag.mode === "pan") {
      view.x = drag.view.x - (p.cx - drag.p.cx) / view.zoom;
      view.y = drag.view.y - (p.cy - drag.p.cy) / view.zoom;
      draw();
    } else if (drag.mode === "window") {
      const range = (img.high - img.low) || 1;
      win.width = Math.max(drag.win.width * Math.exp((p.cx - drag.p.cx) / 200), range / 65535);
      win.center = drag.win.center - (p.cy - drag.p.cy) * range / canvas.height;
      applyWindow();
    } else {
      roi[2] = p.x; roi[3] = p.y;
      setRoiInputs();
      draw();
    }
  });
  window.addEventListener("mouseup", function () { drag = null; });
  canvas.addEventListener("wheel", function (e) {
    if (!img) { return; }
    e.preventDefault();
    const p = imagePoint(e);
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, p.cx, p.cy);
  }, {passive: false});

  $("zoom-in").addEventListener("click", function () { zoomAt(1.5, canvas.width / 2, canvas.height / 2); });
  $("zoom-out").addEventListener("click", function () { zoomAt(1 / 1.5, canvas.width / 2, canvas.height / 2); });
  $("zoom-fit").addEventListener("click", fit);
  $("wl-reset").addEventListener("click", function () { win = {center: start.center, width: start.width}; applyWindow(); });
  function typedWindow() {
    const c = parseFloat($("wl-center").value), w = parseFloat($("wl-width").value);
    if (isFinite(c) && isFinite(w) && w > 0) { win = {center: c, width: w}; applyWindow(); }
  }
  $("wl-center").addEventListener("change", typedWindow);
  $("wl-width").addEventListener("change", typedWindow);

  // the measured ROI and its deposits go with the reading form's row of the film's own region
  function attachMeasurement(body, m) {
    const form = $("reading-form");
    if (!form) { return; }
    const own = form.dataset.ownRegion || "";
    const site = own.split(".")[0];
    const rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-region]"));
    const row = rows.filter(function (r) { return r.dataset.region === own; })[0] ||
      rows.filter(function (r) { return r.dataset.region.split(".")[0] === site; })[0];
    if (!row) { return; }
    row.querySelector('[data-field="roi"]').value = body.roi;
    row.querySelector('[data-field="deposit_mask"]').value = body.deposit_mask;
    row.querySelector('[data-field="roi-note"]').textContent = "measured region " + body.roi;
    const area = row.querySelector('input[inputmode="decimal"]');
    if (area && !area.value && m.unit === "mm²" && m.deposit_count > 0) { area.value = m.calcified_area; }
  }

  $("roi-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const box = ["x0", "y0", "x1", "y1"].map(function (k) { return parseInt($("roi-" + k).value, 10); });
    const out = $("measurement");
    if (box.some(function (v) { return !isFinite(v); })) { out.textContent = "Draw a region (Shift-drag) or type its corners."; return; }
    roi = box.map(function (v) { return v / img.scale; });
    draw();
    out.textContent = "measuring…";
    fetch(canvas.dataset.measure, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": canvas.dataset.csrf},
      body: JSON.stringify({x0: box[0], y0: box[1], x1: box[2], y1: box[3]}),
      credentials: "same-origin"
    }).then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        out.textContent = "";
        if (!res.ok) {
          const p = (res.body.problems || []).map(function (x) { return x.message; }).join("; ");
          out.textContent = "Cannot measure: " + (p || res.body.detail);
          return;
        }
        const m = res.body.measurement;
        const rows = [
          ["calcified area", m.calcified_area + " " + m.unit],
          ["area fraction of the region", (100 * m.area_fraction).toFixed(2) + " %"],
          ["deposits", m.deposit_count], ["largest deposit", m.largest_deposit + " " + m.unit],
          ["elongation", m.elongation], ["solidity", m.solidity],
          ["share in large sheets", m.sheet_share],
          ["SUGGESTED pattern (not a diagnosis)", m.suggested_pattern || "none"],
          ["why", m.suggestion_reason]];
        const table = document.createElement("table");
        table.className = "list measurement";
        rows.forEach(function (row) {
          if (row[1] === undefined) { return; }
          const tr = table.insertRow();
          tr.insertCell().textContent = row[0];
          tr.insertCell().textContent = String(row[1]);
        });
        out.appendChild(table);
        if (m.spacing_note) { const p = document.createElement("p"); p.className = "hint"; p.textContent = m.spacing_note; out.appendChild(p); }
        attachMeasurement(res.body, m);
      })
      .catch(function (err) { out.textContent = "Cannot measure: " + err; });
  });

  fetch(canvas.dataset.pixels, {credentials: "same-origin"}).then(function (r) {
    if (!r.ok) {
      return r.json().then(function (body) {
        const p = (body.problems || []).map(function (x) { return x.message; }).join("; ");
        throw new Error(p || body.detail || r.statusText);
      });
    }
    const h = r.headers;
    return r.arrayBuffer().then(function (buffer) {
      img = {
        w: parseInt(h.get("X-Width"), 10), h: parseInt(h.get("X-Height"), 10),
        scale: parseInt(h.get("X-Scale"), 10),
        low: parseFloat(h.get("X-Value-Low")), high: parseFloat(h.get("X-Value-High")),
        data: new Uint16Array(buffer), channels: parseInt(h.get("X-Channels") || "1", 10)
      };
      start = {center: parseFloat(h.get("X-Window-Center")), width: parseFloat(h.get("X-Window-Width"))};
      win = {center: start.center, width: start.width};
      layer.width = img.w; layer.height = img.h;
      pixelsImage = layerCtx.createImageData(img.w, img.h);
      canvas.dataset.values = toValue(0).toPrecision(6) + ".." + toValue(65535).toPrecision(6);
      fit();
      applyWindow();
      canvas.dataset.ready = "1";
    });
  }).catch(function (err) {
    status.textContent = "The image cannot be shown: " + err.message;
    canvas.dataset.ready = "error";
  });
})();
