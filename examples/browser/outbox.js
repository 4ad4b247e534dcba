// The demo's outbox: messages waiting to be sent, in IndexedDB, shared by the page (which
// adds them) and the service worker (which sends them). A classic script for both.
const OUTBOX_DB = "outbox-demo";

function openOutbox() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(OUTBOX_DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore("messages", { keyPath: "id", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function outboxTransaction(mode, work) {
  const db = await openOutbox();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction("messages", mode);
      let result;
      Promise.resolve(work(transaction.objectStore("messages"))).then((value) => (result = value), reject);
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

function addToOutbox(text) {
  return outboxTransaction("readwrite", (store) => void store.add({ text, queuedAt: Date.now() }));
}

function readOutbox() {
  return outboxTransaction(
    "readonly",
    (store) =>
      new Promise((resolve) => {
        const request = store.getAll();
        request.onsuccess = () => resolve(request.result);
      }),
  );
}

function removeFromOutbox(ids) {
  return outboxTransaction("readwrite", (store) => ids.forEach((id) => store.delete(id)));
}
