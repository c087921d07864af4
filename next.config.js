/**
 * Next.js configuration for Baton's web UI and API routes.
 *
 * The database drivers stay outside the server bundle: under webpack, bundling PGlite breaks its
 * file paths ("path argument … Received an instance of URL") and bundling ws breaks the Neon
 * driver ("b.mask is not a function"). Turbopack (the default for `next build`) copes either
 * way, so the list is harmless there.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { copyOrtAssets } from "./workers/browser/ort-assets.mjs";

const root = path.dirname(fileURLToPath(import.meta.url));
copyOrtAssets(root);
// The /models/ route serves this folder; BATON_MODELS_DIR points it elsewhere. Set here because
// the config loads in the server process whatever its working directory.
process.env.BATON_MODELS_DIR ??= path.join(root, "models");

// Multithreaded WASM needs SharedArrayBuffer, which needs cross-origin isolation: COOP + COEP on
// the workbench and notebooks (the pages that run task kinds) and on the scripts its workers load. With
// COEP nothing may load from another origin there — models and ORT's files are served by Baton.
const isolation = [
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Cross-Origin-Embedder-Policy", value: "require-corp" },
];

// Transformers.js imports onnxruntime-web/webgpu, whose default build inlines the 27 MB .wasm
// into the bundle; its prebuilt loader-only build fetches the .wasm that public/ort/ serves.
const ortWebgpu = "./node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs";

/** @type {import("next").NextConfig} */
const nextConfig = {
  serverExternalPackages: ["@electric-sql/pglite", "ws", "pg", "@neondatabase/serverless"],
  poweredByHeader: false,
  // `npm run dev` prints http://localhost:…; opening it as 127.0.0.1 instead is the same machine,
  // not a cross-origin page, so hot reload should work there too.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  reactStrictMode: true,
  // `npm test` and CI run `tsc --noEmit` over the whole project before building; checking again
  // here would only slow the build and make a first `baton server start` fail on a type error
  // in a test file that the server never loads.
  typescript: { ignoreBuildErrors: true },
  turbopack: { resolveAlias: { "onnxruntime-web/webgpu": ortWebgpu } },
  webpack: (config) => {
    config.resolve.alias = { ...config.resolve.alias, "onnxruntime-web/webgpu$": path.join(root, ortWebgpu) };
    return config;
  },
  async headers() {
    return ["/workbench", "/workbench/:path*", "/notebooks/:path*", "/_next/static/:path*", "/ort/:path*", "/pdfjs/:path*", "/models/:path*"].map((source) => ({
      source,
      headers: isolation,
    }));
  },
};

export default nextConfig;
