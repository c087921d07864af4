/**
 * Terminal colour, used only when the stream is a terminal and NO_COLOR is unset
 * (https://no-color.org). FORCE_COLOR=1 turns it on for pipes (CI logs that render ANSI).
 */
export type Paint = (text: string) => string;

export interface Style {
  enabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  magenta: Paint;
  cyan: Paint;
  gray: Paint;
}

export function colourEnabled(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

export function createStyle(enabled: boolean): Style {
  const sgr =
    (open: number, close: number): Paint =>
    (text) =>
      enabled && text ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
    gray: sgr(90, 39),
  };
}

/** Style for stdout, decided once per process. */
export const out: Style = createStyle(colourEnabled(process.stdout));
/** Style for stderr (errors and hints). */
export const err: Style = createStyle(colourEnabled(process.stderr));

/** Removes ANSI escape sequences (for measuring and for tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}
