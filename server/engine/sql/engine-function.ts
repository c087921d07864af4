/**
 * What an engine SQL source under server/engine/sql/ exports: one PostgreSQL function, its
 * definition written once, installed by ./install.ts each time the database is migrated.
 */
import type { StateType } from "../state-types";

export interface EngineFunction {
  /** The signature PostgreSQL knows it by (`name(argtype, …)`, as `regprocedure` spells it). */
  signature: string;
  /** The file that owns it, named in the function's COMMENT so `\df+` points a reader at it. */
  source: string;
  /** The whole `CREATE OR REPLACE FUNCTION …` statement. */
  definition: string;
  /**
   * Signatures to drop before creating: CREATE OR REPLACE cannot change a function's argument
   * types, argument names or return type, so a change to those lists the old signature here
   * (dropping it also means nothing can call the old version by mistake).
   */
  replaces?: readonly string[];
}

/** `'PENDING', 'RUNNING'` for `state_type IN (…)`: the engine's sets, spelled out for SQL. */
export function stateList(types: readonly StateType[]): string {
  if (types.length === 0) throw new Error("an empty state set has no SQL list");
  return types.map(stateLiteral).join(", ");
}

/** `'RUNNING'`: one state, checked against the type so a renamed state fails to compile. */
export function stateLiteral(type: StateType): string {
  // The types are upper-case words (../state-types.ts); refuse anything that could break quoting.
  if (!/^[A-Z_]+$/.test(type)) throw new Error(`not a state type: ${type}`);
  return `'${type}'`;
}

/** The function's body as PostgreSQL stores it (pg_proc.prosrc): the text between the `$fn$` quotes. */
export function functionBody(fn: EngineFunction): string {
  const match = /\$fn\$([\s\S]*)\$fn\$/.exec(fn.definition);
  if (!match) throw new Error(`${fn.signature}: the definition must quote its body with $fn$`);
  return match[1]!;
}
