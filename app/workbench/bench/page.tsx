/**
 * /workbench/bench: the encode benchmark's harness (`npm run bench:encode` drives it). It puts
 * Baton's task Web Worker and Transformers.js called directly on this page side by side, on the
 * same model and texts, so the difference is Baton's overhead and nothing else.
 */
import type { Metadata } from "next";
import { BenchHarness } from "./harness";

export const metadata: Metadata = { title: "Encode benchmark" };

export default function EncodeBenchPage() {
  return (
    <>
      <header className="page-header">
        <div>
          <h1>Encode benchmark</h1>
          <p>Baton&apos;s Web Worker against the same Transformers.js pipeline called on this page. Run by npm run bench:encode.</p>
        </div>
      </header>
      <BenchHarness />
    </>
  );
}
