// What the app keeps in its own durable storage (IndexedDB in a page): the messages waiting
// to be sent, by sync tag. Unique tags give each message its own registration; a coalescing
// tag gathers them all under one, and its handler sends them in one request. The outbox
// survives reboots and crashes, as IndexedDB does.

/** One message the kiosk app queued, followed from creation to its fate. */
export interface Message {
  readonly seq: number;
  readonly createdAt: number;
  /** When the backend first accepted it (NaN: not yet). */
  arrivedAt: number;
  /** Bit k: it was waiting for the backend when the k-th fleet-wide outage ended. */
  backlogs: number;
}

export function newMessage(seq: number, createdAt: number): Message {
  return { seq, createdAt, arrivedAt: NaN, backlogs: 0 };
}

export const COALESCING_TAG = "outbox";

/** The messages waiting under one tag; `handedOut`: a handler holds this very array (see batch()). */
interface TagList {
  messages: Message[];
  handedOut: boolean;
}

export class Outbox {
  /**
   * A handler reads its batch while it waits for the backend, so an add to a list handed out
   * copies it first. Copying at each batch instead cost O(backlog) per attempt: a device that
   * retries every second into an outage copied its whole backlog.
   */
  readonly #byTag = new Map<string, TagList>();
  #size = 0;

  constructor(readonly mode: "unique" | "coalesce") {}

  /** Add a message; returns the tag to register. */
  add(message: Message): string {
    const tag = this.mode === "unique" ? `msg-${message.seq}` : COALESCING_TAG;
    const list = this.#byTag.get(tag);
    if (!list) this.#byTag.set(tag, { messages: [message], handedOut: false });
    else if (list.handedOut) {
      list.messages = [...list.messages, message];
      list.handedOut = false;
    } else list.messages.push(message);
    this.#size++;
    return tag;
  }

  /** What the handler for `tag` sends now; later adds and removes leave it as it is. */
  batch(tag: string): readonly Message[] {
    const list = this.#byTag.get(tag);
    if (!list) return [];
    list.handedOut = true;
    return list.messages;
  }

  /** Remove the given messages of `tag` (sent, or given up). */
  remove(tag: string, messages: readonly Message[]): void {
    const list = this.#byTag.get(tag);
    if (!list) return;
    // The usual case, and the only one with unique tags: the batch is everything under the tag.
    if (list.messages === messages) {
      this.#size -= messages.length;
      this.#byTag.delete(tag);
      return;
    }
    const gone = new Set(messages);
    const kept = list.messages.filter((m) => !gone.has(m));
    this.#size -= list.messages.length - kept.length;
    if (kept.length === 0) this.#byTag.delete(tag);
    else this.#byTag.set(tag, { messages: kept, handedOut: false });
  }

  /** Remove and return everything under `tag`. */
  take(tag: string): Message[] {
    const messages = this.#byTag.get(tag)?.messages ?? [];
    this.#byTag.delete(tag);
    this.#size -= messages.length;
    return messages;
  }

  get size(): number {
    return this.#size;
  }

  /** The tags that have messages waiting. */
  tags(): string[] {
    return [...this.#byTag.keys()];
  }

  *all(): Iterable<Message> {
    for (const list of this.#byTag.values()) yield* list.messages;
  }
}
