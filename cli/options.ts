/** Parsers for numeric options, with messages that name the problem. */
import { InvalidArgumentError } from "commander";

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("must be a whole number, 0 or more.");
  return Number(value);
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError("must be a whole number, 1 or more.");
  return Number(value);
}

export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError("must be a whole number.");
  return Number(value);
}

/** For repeatable options: `--tag a --tag b` → ["a", "b"]. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
