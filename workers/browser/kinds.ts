/**
 * The task kinds a browser tab runs, by the name a deployment's entrypoint uses (`kind:<name>`).
 * Heavy training stays off this list: it belongs to Node/GPU pools.
 */
import { encode } from "../kinds/encode";
import type { TaskKind } from "../kinds/types";

export const browserKinds: Record<string, TaskKind<never, unknown>> = {
  encode: encode as TaskKind<never, unknown>,
};
