// The kiosk app's service worker: messages wait in an IndexedDB outbox and go to the backend
// when the agent says the device is online — the Background Sync API's own example.

const BACKEND = new URL("outbox", self.registration.scope).href;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function openOutbox() {
  const open = indexedDB.open("outbox", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("messages", { keyPath: "id", autoIncrement: true });
  return request(open);
}

async function sendOutboxMessages() {
  const db = await openOutbox();
  const messages = await request(db.transaction("messages").objectStore("messages").getAll());
  if (messages.length === 0) return;
  const response = await fetch(BACKEND, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(messages),
  });
  if (!response.ok) throw new Error(`the backend answered ${response.status}`);
  const done = db.transaction("messages", "readwrite");
  for (const m of messages) done.objectStore("messages").delete(m.id);
  // The event ends once the deletions are durable: a restart after it never sends them again.
  await new Promise((resolve, reject) => {
    done.oncomplete = resolve;
    done.onabort = () => reject(done.error);
  });
  console.log(`sent ${messages.length} message(s) to ${BACKEND}`);
}

self.addEventListener("sync", (event) => {
  if (event.tag === "sync-messages") {
    event.waitUntil(sendOutboxMessages());
  }
});

// In a real app the kiosk page queues messages; this demo worker stands in for it and queues
// a reading every 10 seconds, then asks for a sync exactly as the page would.
self.addEventListener("activate", (event) => {
  event.waitUntil(openOutbox());
  let reading = 0;
  setInterval(async () => {
    const db = await openOutbox();
    await request(db.transaction("messages", "readwrite").objectStore("messages").add({ reading: ++reading, at: new Date().toISOString() }));
    try {
      await self.registration.sync.register("sync-messages");
    } catch (error) {
      console.log(`sync registration failed: ${error.name}: ${error.message}`);
    }
  }, 10_000);
});
