/** Small formatting helpers shared by pages (pure: no dates are read from the clock here). */

/** 0.4 → "0.4s", 75 → "1m 15s", 7260 → "2h 1m". */
export function formatDuration(seconds: number): string {
  if (seconds < 0) seconds = 0;
  if (seconds < 10) return `${seconds.toFixed(1).replace(/\.0$/, "")}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** A run's duration: start to end, or start to now while it runs; null before it starts. */
export function runDuration(run: { startTime: string | null; endTime: string | null }, now: Date): number | null {
  if (!run.startTime) return null;
  const end = run.endTime ? Date.parse(run.endTime) : now.getTime();
  return (end - Date.parse(run.startTime)) / 1000;
}

/** Python logging levels, as Prefect shows them. */
export function levelName(level: number): string {
  if (level >= 50) return "CRITICAL";
  if (level >= 40) return "ERROR";
  if (level >= 30) return "WARNING";
  if (level >= 20) return "INFO";
  return "DEBUG";
}

/** 512 → "512 B", 2048 → "2.0 KiB", 3·2²⁰ → "3.0 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

export function pluralise(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}
