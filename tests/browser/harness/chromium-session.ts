// Chromium (Debian's /usr/bin/chromium) through playwright-core, for the browser tests and
// the benchmark: a fresh incognito-like context, or a persistent profile directory that
// survives a browser restart, with `setOffline` for outages and CDP for what only the
// DevTools protocol can do (dispatching a sync event with lastChance).

import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import type { BrowserPage } from "./browser-page.js";

export const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];
/**
 * Chromium with Background Sync switched off as in Electron and other embedders without a
 * BackgroundSyncController: the API is exposed and every call rejects "Background Sync is
 * disabled." (the "BackgroundSync" field trial's `disabled` parameter).
 */
export const BACKGROUND_SYNC_DISABLED = ["--force-fieldtrials=BackgroundSync/Off", "--force-fieldtrial-params=BackgroundSync.Off:disabled/true"];

export class ChromiumPage implements BrowserPage {
  constructor(readonly page: Page) {}

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async reload(): Promise<void> {
    await this.page.reload();
  }

  eval<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> {
    return this.page.evaluate(fn as (arg: unknown) => Promise<T>, arg as unknown);
  }

  async close(): Promise<void> {
    await this.page.close();
  }

  frame(name: string): Pick<BrowserPage, "eval"> {
    return {
      eval: <T, A>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> => {
        const frame = this.page.frame({ name });
        if (!frame) return Promise.reject(new Error(`no frame named ${name}`));
        return frame.evaluate(fn as (arg: unknown) => Promise<T>, arg as unknown);
      },
    };
  }
}

export interface ChromiumOptions {
  /** A profile directory kept across restarts (launchPersistentContext); default: a fresh context. */
  userDataDir?: string;
  /** Start offline (a persistent profile comes back offline, before any page loads). */
  offline?: boolean;
  args?: string[];
}

export class ChromiumSession {
  readonly context: BrowserContext;
  readonly #browser: Browser | undefined;

  private constructor(context: BrowserContext, browser: Browser | undefined) {
    this.context = context;
    this.#browser = browser;
  }

  /** Launch; a Chromium that does not start is an error. */
  static async launch(options: ChromiumOptions = {}): Promise<ChromiumSession> {
    const launch = { executablePath: CHROMIUM, headless: true, args: [...ARGS, ...(options.args ?? [])], timeout: 60_000 };
    if (options.userDataDir) {
      const context = await chromium.launchPersistentContext(options.userDataDir, { ...launch, offline: options.offline ?? false });
      return new ChromiumSession(context, undefined);
    }
    const browser = await chromium.launch(launch);
    const context = await browser.newContext({ offline: options.offline ?? false });
    return new ChromiumSession(context, browser);
  }

  async newPage(url?: string): Promise<ChromiumPage> {
    const page = new ChromiumPage(await this.context.newPage());
    if (url) await page.goto(url);
    return page;
  }

  setOffline(offline: boolean): Promise<void> {
    return this.context.setOffline(offline);
  }

  /** A CDP session on `page`, with the ServiceWorker domain enabled and the registration ids it reported. */
  async serviceWorkerDevTools(page: ChromiumPage): Promise<{ cdp: CDPSession; registrationId: (scope: string) => Promise<string> }> {
    const cdp = await this.context.newCDPSession(page.page);
    const ids = new Map<string, string>();
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
      for (const r of registrations) if (!r.isDeleted) ids.set(r.scopeURL, r.registrationId);
    });
    await cdp.send("ServiceWorker.enable");
    const registrationId = async (scope: string) => {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
        const id = ids.get(scope);
        if (id !== undefined) return id;
      }
      throw new Error(`DevTools reported no service worker registration for ${scope}`);
    };
    return { cdp, registrationId };
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
    await this.#browser?.close().catch(() => {});
  }
}
