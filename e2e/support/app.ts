import type { Page } from "@playwright/test";

/**
 * Waits until React has hydrated the page's heading. A full page load shows the server's HTML
 * before React owns it: text typed or keys pressed in that window are lost to the controlled
 * inputs (React keeps its own empty state), so a spec that fills a form right after a load
 * submits nothing. Every page has one h1, inside the same Suspense boundary as its forms.
 */
export async function appReady(page: Page) {
  await page.waitForFunction(() => {
    const h1 = document.querySelector("h1");
    return h1 !== null && Object.keys(h1).some((k) => k.startsWith("__reactFiber$"));
  });
}

/** page.goto for the dashboard's own pages: loaded, then hydrated. */
export async function goto(page: Page, path: string) {
  const res = await page.goto(path);
  await appReady(page);
  return res;
}
