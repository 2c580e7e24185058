// Unit tests (Node) of the storefront's "server" helpers in www/engine.js: the title search that gives
// candidates and server scores, and the choice of category shelves.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pickCategories, searchCatalog, words } from "../../www/engine.js";

const items = [
  { id: "1", title: "Star Wars", categories: ["Sci-Fi", "Action"] },
  { id: "2", title: "Starship Troopers", categories: ["Sci-Fi"] },
  { id: "3", title: "Wars of the Roses", categories: ["Drama"] },
  { id: "4", title: "Amélie", categories: ["Comedy"] },
  { id: "5", title: "Dark Star", categories: ["Sci-Fi", "Comedy"] },
];
const index = items.map((it) => ({ id: it.id, text: words(it.title).join(" "), words: words(it.title), extra: words(it.categories.join(" ")) }));

test("words are lowercased with accents folded", () => {
  assert.deepEqual(words("Amélie, L'HOMME 2"), ["amelie", "l", "homme", "2"]);
});

test("search: whole words beat prefixes, the phrase breaks ties, category matches come last", () => {
  const { ids, scores } = searchCatalog(index, "star wars");
  // 1: both words + phrase (1.1); 3 and 5: one word (0.5, catalog order); 2: a prefix of one word (0.3).
  assert.deepEqual(ids, ["1", "3", "5", "2"]);
  assert.deepEqual(scores.map((x) => Math.round(x * 100) / 100), [1.1, 0.5, 0.5, 0.3]);
  assert.deepEqual(searchCatalog(index, "amelie").ids, ["4"]);
  assert.deepEqual(searchCatalog(index, "comedy").ids, ["4", "5"], "category match, catalog order");
  assert.deepEqual(searchCatalog(index, "  ").ids, []);
  assert.deepEqual(searchCatalog(index, "zzz").ids, []);
  assert.equal(searchCatalog(index, "s", 2).ids.length, 2, "limit");
});

test("category shelves: most frequent first, catch-alls and tiny ones skipped", () => {
  const many = [];
  for (let i = 0; i < 20; i++) many.push({ id: `${i}`, categories: ["All", i % 2 ? "Odd" : "Even", ...(i < 4 ? ["Rare"] : []), ...(i < 3 ? ["Tiny"] : [])] });
  assert.deepEqual(pickCategories(many), ["Even", "Odd", "Rare"]);
  assert.deepEqual(pickCategories(many, 1), ["Even"]);
});
