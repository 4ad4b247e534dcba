// Linear memory, grown page by page exactly as needed. The large tables are chunked and
// never move, so a bump allocator suffices; AssemblyScript's allocators would double the
// memory on every growth and trap when the host refuses memory, where we return 0.

let top: usize = 0;

/** 16-byte aligned block, or 0 when the host refuses more memory. */
export function alloc(size: usize): usize {
  if (top == 0) top = (__heap_base + 15) & ~15;
  const at = top;
  const end = (at + size + 15) & ~15;
  if (end < at) return 0;
  const limit = <usize>memory.size() << 16;
  if (end > limit) {
    const pages = <i32>((end - limit + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  top = end;
  return at;
}

/** Give back a block if it is the most recent one (the component's transient lists). */
export function freeLast(at: usize, size: usize): void {
  if (((at + size + 15) & ~15) == top) top = at;
}

/** A bigger copy of a small table; the old block is abandoned (tables only ever grow). */
export function grow(old: usize, oldSize: usize, size: usize): usize {
  const at = alloc(size);
  if (at != 0 && old != 0) memory.copy(at, old, oldSize);
  return at;
}

export function bytesInUse(): usize {
  return top == 0 ? 0 : top - ((__heap_base + 15) & ~15);
}
