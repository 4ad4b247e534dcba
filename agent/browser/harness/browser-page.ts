// What a scenario does with a page, whichever browser shows it.

export interface BrowserPage {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Run `fn(arg)` in the page and return its (awaited) result; `fn` must be self-contained. */
  eval<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  close(): Promise<void>;
}
