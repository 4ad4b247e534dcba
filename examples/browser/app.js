/* global readOutbox, addToOutbox */ // from outbox.js, loaded before this script
// The demo page. The two page-side examples of the Background Synchronization API's
// documentation (MDN) appear below exactly as written there; nothing in this app knows
// whether the browser has Background Sync or syncward provides it.

navigator.serviceWorker.register("/sw.js");

// "Requesting a background sync"
async function syncMessagesLater() {
  const registration = await navigator.serviceWorker.ready;
  try {
    await registration.sync.register("sync-messages");
  } catch {
    console.log("Background Sync could not be registered!");
  }
}

// "Verifying a background sync task registration"
function checkMessagesSync() {
  navigator.serviceWorker.ready.then((registration) => {
    registration.sync.getTags().then((tags) => {
      if (tags.includes("sync-messages")) {
        console.log("Messages sync already requested");
      }
    });
  });
}

const statusLine = document.getElementById("status");
const show = async () => {
  const waiting = (await readOutbox()).length;
  statusLine.textContent = `${waiting} message(s) in the outbox · Background Sync by ${globalThis.syncward?.mode === "polyfill" ? "syncward" : "the browser"}`;
};

document.getElementById("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = document.getElementById("text");
  await addToOutbox(text.value);
  text.value = "";
  await syncMessagesLater();
  await show();
});

navigator.serviceWorker.addEventListener("message", (event) => {
  if (event.data?.outboxSent === undefined) return;
  const item = document.createElement("li");
  item.textContent = `sent ${event.data.outboxSent} message(s)`;
  document.getElementById("log").append(item);
  void show();
});

checkMessagesSync();
void show();
