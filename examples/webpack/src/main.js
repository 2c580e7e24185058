// The smallest storefront integration with webpack 5: `recofuse` is the wasm-pack package built with
// `--target bundler` (a `file:` dependency on ../../pkg-bundler), which imports recofuse_bg.wasm as a
// module; webpack's `experiments.asyncWebAssembly` loads and instantiates it, so there is no init() call.
// The page itself is ../../shared/page.js, shared with the Vite example.
import { Reranker, RecofuseError } from "recofuse";
import { show } from "../../shared/page.js";

show(Promise.resolve({ Reranker, RecofuseError }));
