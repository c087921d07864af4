/**
 * Why a PDF could not be read, as a code a caller can branch on and a message a person can act
 * on. pdf.js reports these as exceptions with different names; the task says which case it was.
 */
export type PdfFailure = "encrypted" | "wrong-password" | "corrupt" | "image-only" | "no-text";

export class PdfError extends Error {
  override name = "PdfError";
  constructor(
    readonly code: PdfFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Turns what pdf.js threw while opening a document into a PdfError that says which case it is. */
export function classifyOpenError(err: unknown, source: string): Error {
  const e = err as { name?: string; code?: number; message?: string };
  if (e?.name === "PasswordException") {
    // pdf.js: code 1 = a password is needed, 2 = the one given is wrong.
    return e.code === 2
      ? new PdfError("wrong-password", `${source}: encrypted PDF: the password given is wrong`)
      : new PdfError("encrypted", `${source}: encrypted PDF: it needs a password to open (none was given)`);
  }
  if (e?.name === "InvalidPDFException" || e?.name === "FormatError" || e?.name === "UnknownErrorException") {
    return new PdfError("corrupt", `${source}: corrupt or truncated PDF: ${e.message ?? "unreadable structure"}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
