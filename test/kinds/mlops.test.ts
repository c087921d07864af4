/**
 * The MLOps example end to end on real PDFs, in-process (no server): chunks from three manuals,
 * lexical embeddings, clusters that follow the documents, a classifier that tells them apart,
 * and inference on new text.
 */
import { describe, expect, it } from "vitest";
import { mlops } from "../../examples/mlops";
import { nmi } from "../../workers/kinds/cluster-metrics";

const PDFS = ["debian-faq.fr.p9-12.pdf", "debian-faq.de.p9-12.pdf", "shared-mime-info-spec.pdf"].map((f) => `test/fixtures/pdfs/${f}`);

describe("examples/mlops.ts", () => {
  it("clusters chunks by document, trains a classifier and classifies new text", async () => {
    const result = await mlops({
      pdfs: PDFS,
      newTexts: [
        "Le système Debian utilise des paquets et un gestionnaire de paquets pour installer les logiciels.",
        "The shared MIME-info database specification describes how applications register MIME types and glob patterns.",
      ],
    });
    expect(result.chunks).toBeGreaterThan(20);
    expect(nmi(result.sources, result.labels)).toBeGreaterThan(0.6);
    // Two of the three are the same FAQ in French and German: close in topic, apart only in language.
    expect(result.validationAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(result.predictions).toEqual(["debian-faq.fr.p9-12.pdf", "shared-mime-info-spec.pdf"]);
  }, 120_000);
});
