/** Debian's Chromium, headless, driven by playwright-core: for tests and screenshots of HTML reports. */
import { chromium, type Browser, type Page } from "playwright-core";

/** Chromium as Debian installs it; CHROMIUM overrides. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Flags for a machine with no network beyond loopback: no background connections, no first-run work. */
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A page that remembers every console error and uncaught exception. */
export async function pageWithErrors(browser: Browser, width = 1600, height = 1000): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return { page, errors };
}
