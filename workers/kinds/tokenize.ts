/**
 * Tokenisation for the lexical encoder: English, French and CJK text.
 *
 * - NFKC first (full-width forms, ligatures such as "ﬁ" that PDFs are full of), then lower case.
 * - Words outside CJK scripts: Unicode word segmentation (Intl.Segmenter, UAX #29) where the
 *   runtime has it (it also cuts scripts written without spaces, such as Thai), a Unicode regex
 *   otherwise. Words are then split at apostrophes, so French elisions ("l'homme", "d’un") leave
 *   the word, and at the dots and colons UAX #29 keeps inside words ("amc:latex_engine",
 *   "hostname.dom"): those compounds are rare terms that only add noise, and splitting them makes
 *   the two segmenters agree on the evaluation corpus. Accents stripped ("réseau" = "reseau")
 *   because PDFs and users spell them inconsistently; stop words, one-letter words and pure
 *   numbers dropped.
 * - Han, Kana and Hangul runs: overlapping character bigrams (a lone character stays a unigram).
 *   With stop words on, bigrams of hiragana alone are dropped: in Japanese those are inflections
 *   and particles ("ます", "して"), the CJK counterpart of a stop-word list.
 *   Dictionary segmentation of CJK differs between ICU versions, so it would make Node and a
 *   browser disagree; bigrams are the same everywhere and work as well for retrieval.
 * The choice of segmenter is recorded in the fitted model so new text is cut the same way.
 */
import { STOP_WORDS } from "./tokenize-stopwords";

export interface TokenizerOptions {
  /** "intl" uses Intl.Segmenter when the runtime has it; "regex" never does. */
  segmenter?: "intl" | "regex";
  stopWords?: boolean;
  minLength?: number;
}

const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー々]+/gu;
const WORD = /[\p{L}\p{N}\p{M}_]+/gu;
const INNER_PUNCTUATION = /['’ʼ.:·,;]/;
const HAS_LETTER = /\p{L}/u;
const HIRAGANA_ONLY = /^\p{Script=Hiragana}+$/u;
const MARKS = /\p{M}+/gu;

let intlSegmenter: Intl.Segmenter | null | undefined;
function segmenter(): Intl.Segmenter | null {
  if (intlSegmenter === undefined) {
    // A fixed locale: the default one differs between machines, and the rules must not.
    intlSegmenter = typeof Intl !== "undefined" && "Segmenter" in Intl ? new Intl.Segmenter("en", { granularity: "word" }) : null;
  }
  return intlSegmenter;
}

/** Which segmenter tokenize() will use with these options in this runtime. */
export function resolveSegmenter(options: TokenizerOptions = {}): "intl" | "regex" {
  return (options.segmenter ?? "intl") === "intl" && segmenter() ? "intl" : "regex";
}

export function tokenize(text: string, options: TokenizerOptions = {}): string[] {
  const useIntl = resolveSegmenter(options) === "intl";
  const keepStop = options.stopWords === false;
  const minLength = options.minLength ?? 2;
  // PDFs hyphenate at line ends: "docu-\nment" is one word.
  const clean = text.replace(/(\p{L})-\s*\n\s*(\p{Ll})/gu, "$1$2").normalize("NFKC").toLowerCase();
  const tokens: string[] = [];
  const addWords = (chunk: string) => {
    for (const raw of useIntl ? intlWords(chunk) : chunk.match(WORD) ?? []) {
      for (const part of raw.split(INNER_PUNCTUATION)) {
        const word = part.normalize("NFD").replace(MARKS, "").normalize("NFC");
        if (word.length < minLength || !HAS_LETTER.test(word)) continue;
        if (!keepStop && STOP_WORDS.has(word)) continue;
        tokens.push(word);
      }
    }
  };
  let last = 0;
  for (const match of clean.matchAll(CJK_RUN)) {
    addWords(clean.slice(last, match.index));
    const run = Array.from(match[0]);
    const grams = run.length === 1 ? run : run.slice(1).map((ch, i) => run[i]! + ch);
    for (const gram of grams) if (keepStop || !HIRAGANA_ONLY.test(gram)) tokens.push(gram);
    last = match.index + match[0].length;
  }
  addWords(clean.slice(last));
  return tokens;
}

function* intlWords(text: string): Generator<string> {
  for (const s of segmenter()!.segment(text)) if (s.isWordLike) yield s.segment;
}
