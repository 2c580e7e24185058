// webpack 5 with WebAssembly as async modules: the `--target bundler` package imports its .wasm, and
// `experiments.asyncWebAssembly` makes webpack fetch and instantiate it. index.html is copied into dist/
// next to main.js (no plugin dependency for one static file). No eval in production builds, so the page
// runs under the same strict Content-Security-Policy as the storefront.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const webpack = require("webpack");

class CopyIndexHtml {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap("CopyIndexHtml", (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: "CopyIndexHtml", stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL },
        () => compilation.emitAsset("index.html", new webpack.sources.RawSource(readFileSync(join(__dirname, "index.html")))),
      );
    });
  }
}

module.exports = {
  mode: "production",
  entry: "./src/main.js",
  output: { path: join(__dirname, "dist"), filename: "main.js", clean: true },
  experiments: { asyncWebAssembly: true },
  // The engine's .wasm (about 270 KB raw, under 120 KB gzip) is larger than webpack's default hint.
  performance: { hints: false },
  plugins: [new CopyIndexHtml()],
};
