/**
 * Next.js configuration for Baton's web UI and API routes.
 *
 * The database drivers stay outside the server bundle: under webpack, bundling PGlite breaks its
 * file paths ("path argument … Received an instance of URL") and bundling ws breaks the Neon
 * driver ("b.mask is not a function"). Turbopack (the default for `next build`) copes either
 * way, so the list is harmless there.
 *
 * @type {import("next").NextConfig}
 */
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
};

export default nextConfig;
