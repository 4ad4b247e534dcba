// What a scenario does with a page, whichever browser shows it.

export interface BrowserPage {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Run `fn(arg)` in the page and return its (awaited) result; `fn` must be self-contained. */
  eval<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  close(): Promise<void>;
  /** The page's frame named `name` (of any origin), to run functions in. */
  frame(name: string): Pick<BrowserPage, "eval">;
}
