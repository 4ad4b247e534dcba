// Values as the worker storage journal keeps them: Node's structured serialization (v8), which
// writes everything IndexedDB stores except Blobs. Those are written as a reference to
// a list beside the value: their bytes are read (asynchronously, as Blob only allows) before
// the transaction goes to the journal, and they are made again at load. (A File is a Blob by
// then: Node 20's structured clone, which fake-indexeddb stores values with, makes it one.)

import { DefaultDeserializer, DefaultSerializer } from "node:v8";

/** A Blob of a stored value, with its bytes. */
export interface StoredBlob {
  type: string;
  bytes: Uint8Array;
}

/** A value as the journal holds it. */
export interface StoredValue {
  bytes: Uint8Array;
  blobs?: StoredBlob[];
}

/** Host-object tags: what Node's serializer writes itself, and a reference into the blob list. */
const VIEW = 0;
const BLOB = 1;

// Node's own hooks for host objects, which @types/node does not declare.
const Serializer = DefaultSerializer as unknown as new () => DefaultSerializer & { _writeHostObject(object: object): void };
const Deserializer = DefaultDeserializer as unknown as new (buffer: Buffer) => DefaultDeserializer & { _readHostObject(): unknown };

class ValueSerializer extends Serializer {
  readonly blobs: Blob[] = [];

  override _writeHostObject(object: object): void {
    if (object instanceof Blob) {
      this.writeUint32(BLOB);
      this.writeUint32(this.blobs.push(object) - 1);
      return;
    }
    this.writeUint32(VIEW);
    super._writeHostObject(object);
  }
}

class ValueDeserializer extends Deserializer {
  constructor(
    bytes: Uint8Array,
    readonly blobs: Blob[],
  ) {
    super(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  override _readHostObject(): unknown {
    if (this.readUint32() === BLOB) return this.blobs[this.readUint32()];
    return super._readHostObject();
  }
}

/** Serialize `value`; its Blobs (content not read yet) are listed apart. Throws DataCloneError's cases. */
export function serializeValue(value: unknown): { bytes: Uint8Array; blobs: Blob[] } {
  const serializer = new ValueSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return { bytes: serializer.releaseBuffer(), blobs: serializer.blobs };
}

/** Read the content of `blobs`. */
export function readBlobs(blobs: Blob[]): Promise<StoredBlob[]> {
  return Promise.all(blobs.map(async (blob) => ({ type: blob.type, bytes: new Uint8Array(await blob.arrayBuffer()) })));
}

/** The value again, its Blobs made anew. */
export function deserializeValue(stored: StoredValue): unknown {
  const blobs = (stored.blobs ?? []).map(({ type, bytes }) => new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const deserializer = new ValueDeserializer(stored.bytes, blobs);
  deserializer.readHeader();
  return deserializer.readValue();
}

/** Bytes a stored value takes. */
export function storedSize(stored: StoredValue): number {
  return (stored.blobs ?? []).reduce((sum, blob) => sum + blob.bytes.length, stored.bytes.length);
}
