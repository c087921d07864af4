/**
 * A flow a new flow process runs once on itself before it says ready (no API calls: no tasks,
 * an inline result), so the first real run does not pay for the first import through tsx's
 * loader and the SDK's first pass through executeFlow.
 */
import { z } from "zod";
import { flow, getRunLogger } from "../../sdk";

export const warmup = flow({ name: "baton-warmup", parameters: z.object({ n: z.number().default(1) }) }, async ({ n }) => {
  getRunLogger().debug("warm");
  return { n };
});
