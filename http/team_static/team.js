// bugscope study team: keyboard shortcuts of the annotation and
// arbitration forms (the terminal's keys), and live agreement figures.
// Served as a file: the Content-Security-Policy allows no inline script.
// Every form works without this script.
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  // Live agreement: refetch the page and swap the figures when they change.
  var live = $("live");
  if (live && window.fetch && window.DOMParser) {
    var every = (parseInt(live.getAttribute("data-refresh"), 10) || 10) * 1000;
    setInterval(function () {
      fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
          if (fresh && fresh.innerHTML !== live.innerHTML) { live.innerHTML = fresh.innerHTML; }
        })
        .catch(function () {});
    }, every);
  }

  var form = $("answer");
  if (!form) { return; }
  var dims = Array.prototype.slice.call(form.querySelectorAll("fieldset.dim"));
  var status = $("status");
  var keymap = $("keymap");
  var active = null;      // the dimension whose list is open
  var visited = {};       // multi-valued dimensions already opened
  var dirty = false;
  var armed = "";         // a move key pressed once with unsaved changes
  var submitting = false;
  var taking = false;     // t pressed: the next key names a rater

  function say(msg, error) {
    if (!status) { return; }
    status.textContent = msg;
    status.className = error ? "status error" : "status";
  }

  function values(fs) {
    return Array.prototype.slice.call(fs.querySelectorAll("input:checked"))
      .map(function (i) { return i.value; }).filter(function (v) { return v !== ""; });
  }

  function labels() {
    var l = {};
    dims.forEach(function (fs) {
      var v = values(fs);
      if (v.length) { l[fs.getAttribute("data-dim")] = v; }
    });
    return l;
  }

  function appliesTo(fs, l) {
    var w = fs.getAttribute("data-applies");
    if (!w) { return true; }
    var cond = JSON.parse(w);
    return Object.keys(cond).every(function (k) {
      return l[k] && cond[k].indexOf(l[k][0]) >= 0;
    });
  }

  // Dimensions that do not apply (a category once the kind is feature)
  // are hidden and disabled, so that the form does not send them.
  function refresh() {
    var l = labels(), changed = true;
    while (changed) {
      changed = false;
      dims.forEach(function (fs) {
        var id = fs.getAttribute("data-dim");
        if (l[id] && !appliesTo(fs, l)) { delete l[id]; changed = true; }
      });
    }
    dims.forEach(function (fs) {
      var ok = appliesTo(fs, l);
      fs.hidden = !ok;
      fs.disabled = !ok;
    });
  }

  function applies(fs) { return !fs.disabled; }

  // The next dimension after index from that still wants an answer.
  function next(from) {
    for (var i = from + 1; i < dims.length; i++) {
      var fs = dims[i];
      if (!applies(fs) || !fs.getAttribute("data-key")) { continue; }
      var multi = fs.hasAttribute("data-multi");
      if (multi ? !visited[fs.getAttribute("data-dim")] : values(fs).length === 0) { return fs; }
    }
    return null;
  }

  function open(fs) {
    close();
    active = fs;
    visited[fs.getAttribute("data-dim")] = true;
    fs.classList.add("picking");
    fs.scrollIntoView({ block: "nearest" });
    var multi = fs.hasAttribute("data-multi");
    say("choose " + fs.getAttribute("data-dim") + ": press a value's key" + (multi ? " (several: keys toggle, Enter accepts)" : "") + "; Esc closes");
  }

  function close() {
    if (active) { active.classList.remove("picking"); }
    active = null;
  }

  function advance() {
    var from = dims.indexOf(active);
    close();
    refresh();
    var n = next(from);
    if (n) { open(n); } else { say("Enter saves the answer"); }
  }

  function pick(key) {
    var opt = active.querySelector('label.opt[data-key="' + key + '"] input');
    if (!opt) { return false; }
    if (active.hasAttribute("data-multi")) {
      opt.checked = !opt.checked;
    } else {
      opt.checked = true;
    }
    dirty = true;
    refresh();
    if (!active.hasAttribute("data-multi")) { advance(); }
    return true;
  }

  function clear() {
    Array.prototype.forEach.call(active.querySelectorAll("input"), function (i) { i.checked = i.value === "" && i.type === "radio"; });
    dirty = true;
    refresh();
  }

  function excluded() {
    var ex = $("exclude");
    return ex && ex.value !== "";
  }

  function save() {
    if (submitting) { return; }
    refresh();
    if (!excluded()) {
      var l = labels(), missing = [];
      dims.forEach(function (fs) {
        if (applies(fs) && !fs.hasAttribute("data-multi") && values(fs).length === 0) { missing.push(fs.getAttribute("data-dim")); }
      });
      if (missing.length || Object.keys(l).length === 0) {
        var n = next(-1);
        if (n) { open(n); }
        say("not saved: " + (missing.join(", ") || "a label") + " still to answer (or x to leave the issue out)", true);
        return;
      }
    }
    submitting = true;
    form.submit();
  }

  function go(id, key) {
    var a = $(id);
    if (!a) { say(id === "next-open" ? "every issue is answered" : "no issue that way"); return; }
    if (dirty && armed !== key) {
      armed = key;
      say("unsaved changes: Enter saves them, " + key + " again moves on without saving", true);
      return;
    }
    location.href = a.href;
  }

  function toggleConfidence() {
    var high = form.querySelector('input[name="confidence"][value="high"]');
    var low = form.querySelector('input[name="confidence"][value="low"]');
    if (!high || !low) { return; }
    if (high.checked) { low.checked = true; } else { high.checked = true; }
    dirty = true;
    say("confidence " + (high.checked ? "high" : "low"));
  }

  form.addEventListener("change", function () { dirty = true; refresh(); });
  form.addEventListener("submit", function (e) {
    if (submitting) { e.preventDefault(); }
    submitting = true;
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target, tag = t && t.tagName;
    if (e.altKey || e.metaKey) { return; }
    if (tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && t.type === "text")) {
      if (e.key === "Escape") { t.blur(); e.preventDefault(); }
      else if (e.key === "Enter" && (e.ctrlKey || tag !== "TEXTAREA")) { e.preventDefault(); t.blur(); save(); }
      return;
    }
    if (e.ctrlKey) { return; }
    var k = e.key;
    if (taking) {
      taking = false;
      var take = $("take-" + k);
      e.preventDefault();
      if (take) { location.href = take.href; } else { say("no rater " + k); }
      return;
    }
    if (k === "Tab" && !e.shiftKey && !active && document.activeElement === document.body) {
      // as in the terminal: the next dimension that still wants an answer
      var n = next(-1);
      e.preventDefault();
      if (n) { open(n); } else { say("every dimension is answered: Enter saves"); }
      return;
    }
    if (k !== armed && k !== "Shift") { armed = ""; }
    if (active) {
      if (k === "Escape") { close(); say(""); e.preventDefault(); return; }
      if (k === "Enter") { e.preventDefault(); advance(); return; }
      if (k === "Backspace" || k === "Delete") { e.preventDefault(); clear(); return; }
      if (k.length === 1 && pick(k.toLowerCase())) { e.preventDefault(); return; }
      if (/^[1-9]$/.test(k)) { /* falls through: open another dimension */ } else { return; }
    }
    if (/^[1-9]$/.test(k)) {
      var fs = form.querySelector('fieldset.dim[data-key="' + k + '"]');
      if (fs && applies(fs)) { open(fs); } else if (fs) { say(fs.getAttribute("data-dim") + " does not apply to these labels", true); }
      e.preventDefault();
      return;
    }
    switch (k) {
      case "Enter": e.preventDefault(); save(); return;
      case "t":
        if (!$("take-1")) { return; }
        taking = true;
        say("take whose answer? " + Array.prototype.map.call(document.querySelectorAll('[id^="take-"]'), function (a) {
          return a.id.slice(5) + " " + a.closest("th").firstChild.textContent.trim();
        }).join(", "));
        break;
      case "c": toggleConfidence(); break;
      case "n": var note = $("note"); if (note) { note.focus(); } break;
      case "x": var ex = $("exclude"); if (ex) { ex.focus(); say("choose a reason (arrow keys), Esc to leave"); } break;
      case "s": var sg = $("suggest"); if (sg) { go("suggest", "s"); } break;
      case "d":
        var ds = form.querySelectorAll("details.defs"), openAll = ds.length && !ds[0].open;
        Array.prototype.forEach.call(ds, function (d) { d.open = openAll; });
        break;
      case "?": if (keymap) { keymap.classList.toggle("shown"); } break;
      case "ArrowRight": case "]": go("next", k); break;
      case "ArrowLeft": case "[": go("prev", k); break;
      case "u": go("next-open", k); break;
      case "q": if (dirty && armed !== "q") { armed = "q"; say("unsaved changes: Enter saves them, q again leaves without saving", true); } else { location.href = "/team"; } break;
      default: return;
    }
    e.preventDefault();
  });

  refresh();
  document.body.classList.add("keys");
})();
