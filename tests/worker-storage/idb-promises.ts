// IndexedDB's events as promises, for the worker storage tests that drive IndexedDB from Node.

/** The request's result, or its error. */
export const request = <T>(r: IDBRequest<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

/** Resolves at the transaction's `complete`, rejects at its `abort`. */
export const finished = (tx: IDBTransaction): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("aborted"));
  });
