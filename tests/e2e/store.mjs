// Page-object helpers for the storefront (www/): they read ranks from the DOM's data attributes.

/** Waits until the page has rendered (body[data-ready]) and returns the render counter. */
export async function ready(page) {
  await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
  return renders(page);
}

export async function renders(page) {
  return Number(await page.getAttribute("body", "data-renders"));
}

/** Runs `action` and waits for the next render. */
export async function afterRender(page, action) {
  const before = await renders(page);
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.renders) > n, before, { timeout: 30_000 });
}

/** [{ id, rank, categories }] of a shelf (`recommended`, `category:Drama`, `search`, `similar`, …). */
export function shelf(page, key) {
  return page.$$eval(`[data-shelf="${key}"] li.card`, (lis) =>
    lis.map((li) => ({ id: li.dataset.id, rank: Number(li.dataset.rank), categories: JSON.parse(li.dataset.categories) })));
}

/** Keys of the category shelves. */
export function categoryShelves(page) {
  return page.$$eval("#shelves [data-shelf^='category:']", (s) => s.map((x) => x.dataset.shelf.slice("category:".length)));
}

export const events = async (page) => Number(await page.getAttribute("body", "data-events"));

/** Clicks the card of `id` in shelf `key` (records a click, opens the product) and waits for the render. */
export async function clickCard(page, key, id) {
  await afterRender(page, () => page.click(`[data-shelf="${key}"] li.card[data-id="${id}"] button.open`));
}

export async function closeProduct(page) {
  if (await page.isVisible("#product #close")) await afterRender(page, () => page.click("#product #close"));
}

export async function openPrivacy(page) {
  if (await page.isHidden("#privacy")) await page.click("#privacy-toggle");
}
