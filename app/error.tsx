"use client";
/** What a page shows when loading its data failed: the reason, and a way to try again. */
import { useEffect } from "react";

export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <section className="empty-state" role="alert">
      <h2>This page could not be loaded</h2>
      {/* In production the server's message is withheld (the digest points to it in the log). */}
      <p>{error.digest ? "The server had an error while loading this page." : error.message || "The server had an error."}</p>
      {error.digest ? <p className="muted">Error id {error.digest} (in the server&apos;s log).</p> : null}
      <button type="button" className="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
