// The console's only script: live regions, countdowns and the alarm sound.
// Pages work without it (forms post and redirect); with it they stay current.
"use strict";

// Countdowns: <span data-due="ISO"> shows "2h05m left", or "overdue 4m05s", every second,
// in the page's language (the body's data-left / data-overdue, with {time} in them).
function duration(seconds) {
  let s = Math.floor(Math.max(seconds, 0));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const two = (n) => String(n).padStart(2, "0");
  if (d) return `${d}d${two(h)}h`;
  if (h) return `${h}h${two(m)}m`;
  if (m) return `${m}m${two(s)}s`;
  return `${s}s`;
}

function tick() {
  const words = document.body.dataset;
  for (const el of document.querySelectorAll("[data-due]")) {
    const left = (Date.parse(el.dataset.due) - Date.now()) / 1000;
    el.textContent = left < 0
      ? words.overdue.replace("{time}", duration(-left))
      : words.left.replace("{time}", duration(left));
    el.classList.toggle("overdue", left < 0);
  }
}

// Alarms: any element with data-alarm-id that was not on the page before sounds once.
const heard = new Set();
let audio = null;
function beep() {
  try {
    audio = audio || new AudioContext();
    for (const [at, hz] of [[0, 880], [0.25, 660], [0.5, 880]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.2);
    }
  } catch (e) { /* no sound device: the banner still shows */ }
}
function listenForAlarms(first) {
  let fresh = false;
  for (const el of document.querySelectorAll("[data-alarm-id]")) {
    if (!heard.has(el.dataset.alarmId)) { heard.add(el.dataset.alarmId); fresh = true; }
  }
  if (fresh && !first) beep();
  document.body.dataset.alarms = String(document.querySelectorAll("[data-alarm-id]").length);
}

// What finds the focused control again after its region is redrawn: its id, or its
// label (every button says what it acts on), or its link target.
function focusKey(el) {
  if (el.id) return `#${CSS.escape(el.id)}`;
  const label = el.getAttribute("aria-label");
  if (label) return `${el.tagName.toLowerCase()}[aria-label="${CSS.escape(label)}"]`;
  const href = el.getAttribute("href");
  if (href) return `a[href="${CSS.escape(href)}"]`;
  return null;
}

// Live regions: <div data-live="/path"> is re-read from the console on every change.
// A region whose HTML came back the same is left alone, so a standing alert is not
// announced again to screen readers each time something else changes.
const lastHtml = new WeakMap();
let refreshing = null;
let leaving = false;  // on the way to sign-in: one navigation, not one per change
async function refresh() {
  if (leaving) return;
  if (refreshing) { refreshing.again = true; return; }
  refreshing = { again: false };
  try {
    for (const region of document.querySelectorAll("[data-live]")) {
      const response = await fetch(region.dataset.live, { credentials: "same-origin" });
      if (response.redirected && new URL(response.url).pathname === "/signin") {
        // The session ended: sign in again, then come back to this page (not its fragment).
        leaving = true;
        location.assign("/signin?next=" + encodeURIComponent(location.pathname + location.search));
        return;
      }
      // 503: the console cannot reach the hub; the page says what it shows may be stale.
      document.body.dataset.hub = response.status === 503 ? "down" : "up";
      if (!response.ok) continue;
      const html = await response.text();
      // Keep what the operator is typing: a region with a focused field waits.
      if (region.contains(document.activeElement) && document.activeElement.matches("input, textarea, select")) continue;
      if (lastHtml.get(region) === html) continue;
      lastHtml.set(region, html);
      // Details the operator opened (those with an id) stay open across the refresh.
      const open = [...region.querySelectorAll("details[open][id]")].map((d) => d.id);
      const focused = region.contains(document.activeElement) ? focusKey(document.activeElement) : null;
      region.innerHTML = html;
      for (const id of open) { const d = document.getElementById(id); if (d) d.open = true; }
      if (focused) { const again = region.querySelector(focused); if (again) again.focus(); }
    }
    tick();
    listenForAlarms(false);
    document.body.dataset.version = String(Number(document.body.dataset.version || 0) + 1);
  } finally {
    const again = refreshing.again;
    refreshing = null;
    if (again) refresh();
  }
}

window.addEventListener("DOMContentLoaded", () => {
  tick();
  setInterval(tick, 1000);
  listenForAlarms(true);
  if (document.querySelector("[data-live]")) {
    const stream = new EventSource("/events");
    stream.addEventListener("changed", refresh);
    stream.addEventListener("open", () => { document.body.dataset.stream = "on"; });
    stream.addEventListener("error", () => { document.body.dataset.stream = "off"; });
  }
  // Confirm before actions that cannot be undone lightly (close a case, decline); on the
  // document, so forms a live region brings in later ask too.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !confirm(form.dataset.confirm)) event.preventDefault();
  });
});
