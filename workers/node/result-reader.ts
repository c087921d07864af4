/**
 * Baton's results API as a kind reads it on a Node worker (workers/kinds/exported-model.ts): the
 * worker's own typed client, so the worker's key and its pool scope apply to what a kind fetches.
 */
import { TRPCClientError } from "@trpc/client";
import type { BatonClient } from "../../server/client";
import { ResultAccessError, type ResultReader } from "../kinds/exported-model";

function asAccessError(err: unknown): never {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: string } | undefined)?.code ?? "INTERNAL_SERVER_ERROR";
    throw new ResultAccessError(code, err.message);
  }
  throw err;
}

export function clientResultReader(client: BatonClient): ResultReader {
  return {
    get: async (id) => {
      const r = await client.results.get.query({ id }).catch(asAccessError);
      return { storage: r.storage, value: r.value };
    },
    bytes: async (id) => {
      const r = await client.results.get.query({ id, includeData: true }).catch(asAccessError);
      if (r.base64 === null) throw new ResultAccessError("BAD_REQUEST", `result ${id} holds JSON, not bytes`);
      return new Uint8Array(Buffer.from(r.base64, "base64"));
    },
    ofRun: async (flowRunId) => (await client.results.ofRun.query({ flowRunId }).catch(asAccessError))?.id ?? null,
  };
}
