// Linear memory, grown page by page exactly as needed. The large tables are chunked and
// never move, so a bump allocator suffices; AssemblyScript's allocators would double the
// memory on every growth and trap when the host refuses memory, where we return 0.

let top: usize = 0;

/** Move the top of the arena to `end`; false when the host refuses more memory. */
function raise(end: usize): bool {
  const limit = <usize>memory.size() << 16;
  if (end > limit) {
    const pages = <i32>((end - limit + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return false;
  }
  top = end;
  return true;
}

/** 16-byte aligned block, or 0 when the host refuses more memory. */
export function alloc(size: usize): usize {
  if (top == 0) top = (__heap_base + 15) & ~15;
  const at = top;
  const end = (at + size + 15) & ~15;
  if (end < at) return 0;
  return raise(end) ? at : 0;
}

/** Give back a block if it is the most recent one (the component's transient lists). */
export function freeLast(at: usize, size: usize): void {
  if (((at + size + 15) & ~15) == top) top = at;
}

/**
 * A bigger `old` (0: none yet), or 0 when memory is refused. The most recent block grows
 * where it is (a timer heap's first chunk while its domain fills up, the usual case);
 * another is copied and the old block abandoned (tables only ever grow).
 */
export function grow(old: usize, oldSize: usize, size: usize): usize {
  if (old != 0 && ((old + oldSize + 15) & ~15) == top) {
    const end = (old + size + 15) & ~15;
    if (end < old) return 0;
    return raise(end) ? old : 0;
  }
  const at = alloc(size);
  if (at != 0 && old != 0) memory.copy(at, old, oldSize);
  return at;
}

export function bytesInUse(): usize {
  return top == 0 ? 0 : top - ((__heap_base + 15) & ~15);
}
