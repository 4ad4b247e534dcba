// The file operations the file store is made of, as a port: Node's file system in the
// product, and in the crash tests a simulated disk that loses what was not fsynced when it
// "cuts power" (tests/store/power-cut-disk.ts). Only these operations touch the disk, so a
// test that walks every one of them walks every moment a crash can happen.

import { constants } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";

/** An open file. Node's FileHandle is one. */
export interface StoreFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<{ size: number; isFile(): boolean }>;
  truncate(length: number): Promise<void>;
  /** fsync: durable once this resolves. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How a file is opened: `read` (never blocks, e.g. on a FIFO), `update` (read and write an
 * existing file), `create` (read and write a new or emptied file, mode 0600), `directory`
 * (to fsync a directory).
 */
export type OpenMode = "read" | "update" | "create" | "directory";

export interface StoreFileSystem {
  open(path: string, mode: OpenMode): Promise<StoreFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

const FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY | constants.O_NONBLOCK,
  update: constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
  directory: constants.O_RDONLY,
};

/** Node's file system. */
export const nodeFileSystem: StoreFileSystem = {
  open: (path, mode) => open(path, FLAGS[mode], 0o600),
  rename,
  unlink,
};
