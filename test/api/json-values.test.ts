/**
 * JSON values come back as they were stored: a string that reads as JSON ("0", "true",
 * "{\"a\":1}") stays a string, in results, parameters and task-run parameters alike.
 */
import { describe, expect, it } from "vitest";
import { useTestApi } from "../helpers/api";

describe("JSON values round trip", () => {
  const api = useTestApi();
  const tricky = ["0", "true", "null", '{"a":1}', "[1,2]", '"quoted"', "plain", 0, true, null, { s: "1" }, ["2"]];

  it("results keep strings that look like JSON as strings", async () => {
    const client = api.client();
    for (const value of tricky) {
      const { id } = await client.results.create.mutate({ value });
      const back = await client.results.get.query({ id, includeData: true });
      expect(back.value, JSON.stringify(value)).toEqual(value);
    }
  });

  it("flow-run parameters keep them too", async () => {
    const client = api.client();
    await client.flows.create.mutate({ name: "json-values" });
    const run = await client.flowRuns.create.mutate({ flow: "json-values", parameters: { n: "0", flag: "true", doc: '{"a":1}' } });
    expect((await client.flowRuns.get.query({ id: run.id })).parameters).toEqual({ n: "0", flag: "true", doc: '{"a":1}' });
  });
});
