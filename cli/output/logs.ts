/**
 * Log lines as the terminal shows them: one line each, "time  LEVEL  [task] message", with the
 * continuation lines of a multi-line message indented under its first.
 */
import { InvalidArgumentError } from "commander";
import { LOG_LEVELS } from "../../common/log-levels";
import { out, type Paint, type Style } from "./style";

/** The words `--level` takes: the SDK's (common/log-levels.ts) and Python's spellings of the same numbers. */
const LEVEL_WORDS: Record<string, number> = { ...LOG_LEVELS, warning: LOG_LEVELS.warn, critical: 50 };

/** `--level info` or `--level 30` → the lowest level shown. */
export function parseLogLevel(value: string): number {
  const word = value.trim().toLowerCase();
  if (word in LEVEL_WORDS) return LEVEL_WORDS[word]!;
  if (/^\d+$/.test(word) && Number(word) <= 100) return Number(word);
  throw new InvalidArgumentError(`must be debug, info, warning, error, critical or a number from 0 to 100.`);
}

/** Python's logging names, as Prefect and the UI show them; a level between two takes the lower name. */
export function levelName(level: number): string {
  if (level >= 50) return "CRITICAL";
  if (level >= 40) return "ERROR";
  if (level >= 30) return "WARNING";
  if (level >= 20) return "INFO";
  return "DEBUG";
}

function levelPaint(level: number, style: Style): Paint {
  if (level >= 40) return style.red;
  if (level >= 30) return style.yellow;
  if (level < 20) return style.dim;
  return (text) => text;
}

/** "2026-11-03 14:05:09.123" in the local time zone. */
export function logTimestamp(value: string | Date): string {
  const date = typeof value === "string" ? new Date(value) : value;
  const p = (n: number, width = 2) => String(n).padStart(width, "0");
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`
  );
}

export interface ShownLogLine {
  timestamp: string;
  level: number;
  message: string;
  /** The task run's name; absent for the flow run's own lines. */
  taskName?: string | null;
}

const LEVEL_WIDTH = "CRITICAL".length;

export function formatLogLine(line: ShownLogLine, style: Style = out): string {
  const time = logTimestamp(line.timestamp);
  const level = levelName(line.level).padEnd(LEVEL_WIDTH);
  const task = line.taskName ? `[${line.taskName}] ` : "";
  const [first = "", ...rest] = line.message.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
  const indent = " ".repeat(time.length + 2 + LEVEL_WIDTH + 2);
  return [
    `${style.dim(time)}  ${levelPaint(line.level, style)(level)}  ${style.cyan(task)}${first}`,
    ...rest.map((text) => `${indent}${text}`),
  ].join("\n");
}
