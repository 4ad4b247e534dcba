// The demo's service worker. The one line syncward needs comes first; the sync listener is
// the third example of the API's documentation (MDN), exactly as written.
importScripts("/syncward/sw.js");
importScripts("/outbox.js");

self.addEventListener("install", (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
