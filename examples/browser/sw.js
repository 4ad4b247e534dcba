/* global readOutbox, removeFromOutbox */ // from outbox.js (importScripts below)
// The demo's service worker. The one line syncward needs comes first (with the page's config
// file, whose `mode` the worker follows too); the sync listener is the third example of the
// API's documentation (MDN), exactly as written.
importScripts("/syncward-config.js", "/syncward/sw.js");
importScripts("/outbox.js");

// The app shell comes from the network while there is one, else from the cache, so the
// outbox opens offline too (and so does a browser restarted offline).
const SHELL = "outbox-shell-v1";
const SHELL_FILES = ["/", "/app.js", "/outbox.js", "/syncward-config.js", "/syncward/page.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => self.skipWaiting()),
  );
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !SHELL_FILES.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        const copy = response.clone();
        if (response.ok) void caches.open(SHELL).then((cache) => cache.put(event.request, copy));
        return response;
      })
      .catch(() => caches.match(event.request).then((cached) => cached ?? Response.error())),
  );
});

// "Listening for a background sync event within a service worker"
self.addEventListener("sync", (event) => {
  if (event.tag === "sync-messages") {
    event.waitUntil(sendOutboxMessages());
  }
});

// Send everything in the outbox; a failure rejects, so the sync is retried later.
async function sendOutboxMessages() {
  const messages = await readOutbox();
  if (messages.length === 0) return;
  const response = await fetch("/outbox", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(messages.map(({ text, queuedAt }) => ({ text, queuedAt }))),
  });
  if (!response.ok) throw new Error(`the outbox endpoint answered ${response.status}`);
  await removeFromOutbox(messages.map((m) => m.id));
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ outboxSent: messages.length });
}
