/**
 * The task kinds (workers/kinds/registry.ts) as the API serves them: what each does, where it
 * may run, its parameters (JSON schema, and the top-level fields in words), its result and an
 * example. Read by `baton kind ls|inspect`, the /kinds page and forms; the same list decides
 * which `kind:<name>` entrypoints a deployment may have.
 */
import { z } from "zod";
import { describeParameters, isKindName, KIND_NAMES, kindInfo, type KindName } from "../../../workers/kinds/registry";
import { AppError } from "../../errors";
import { createTRPCRouter, viewerProcedure } from "../trpc";

export const kindOutput = z.object({
  name: z.string(),
  /** The entrypoint a deployment of it has. */
  entrypoint: z.string(),
  summary: z.string(),
  description: z.string(),
  runsOn: z.array(z.enum(["tab", "node", "gpu"])),
  parameterSchema: z.record(z.string(), z.unknown()),
  /** parameterSchema's top-level fields: name, type in words, whether required, default, description. */
  parameters: z.array(
    z.object({ name: z.string(), type: z.string(), required: z.boolean(), default: z.unknown().optional(), description: z.string().optional() }),
  ),
  resultSchema: z.record(z.string(), z.unknown()),
  example: z.record(z.string(), z.unknown()),
});

function kindView(name: KindName): z.infer<typeof kindOutput> {
  const info = kindInfo(name);
  return { ...info, entrypoint: `kind:${name}`, parameters: describeParameters(info.parameterSchema) };
}

export const kindsRouter = createTRPCRouter({
  list: viewerProcedure.output(z.array(kindOutput)).query(() => KIND_NAMES.map(kindView)),

  get: viewerProcedure
    .input(z.object({ kind: z.string().trim().min(1, "must not be empty").max(100) }))
    .output(kindOutput)
    .query(({ input }) => {
      const name = input.kind.startsWith("kind:") ? input.kind.slice("kind:".length) : input.kind;
      if (!isKindName(name)) throw new AppError("NOT_FOUND", `Task kind "${name}" was not found (the kinds: ${KIND_NAMES.join(", ")})`, { field: "kind" });
      return kindView(name);
    }),
});
