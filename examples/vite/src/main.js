// The smallest storefront integration with Vite: `recofuse` is the wasm-pack package built with
// `--target web` (a `file:` dependency on ../../pkg); Vite bundles its JavaScript and emits recofuse_bg.wasm
// as an asset, which `init()` fetches (through `new URL(..., import.meta.url)`). The page itself is
// ../../shared/page.js, shared with the webpack example.
import init, { Reranker, RecofuseError } from "recofuse";
import { show } from "../../shared/page.js";

show(init().then(() => ({ Reranker, RecofuseError })));
