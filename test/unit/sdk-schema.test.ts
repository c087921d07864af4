import { describe, expect, it } from "vitest";
import { z } from "zod";
import { FLOW, flow } from "../../sdk/flow";
import { parameterSchemaOf } from "../../sdk/schema";
import { checkParameterSchema } from "../../server/domain/parameters";

describe("a flow's parameter schema for its deployment", () => {
  it("leaves out zod's lookaround patterns where a format says what they check, so the server (RE2) accepts it", () => {
    const f = flow({ name: "p", parameters: z.object({ every: z.iso.duration(), host: z.hostname(), email: z.email() }) }, () => 1);
    const schema = parameterSchemaOf(f[FLOW]);
    const props = schema.properties as Record<string, Record<string, unknown>>;
    expect(props.every).toEqual({ type: "string", format: "duration" });
    expect(props.host!.pattern).toBeUndefined();
    expect(props.email!.pattern).toEqual(expect.any(String)); // RE2 runs this one: kept
    expect(() => checkParameterSchema(schema)).not.toThrow();
  });

  it("keeps a hand-written pattern RE2 cannot run, and the server names it", () => {
    const f = flow({ name: "q", parameters: z.object({ code: z.string().regex(/^(?=A)[A-Z]+$/) }) }, () => 1);
    const schema = parameterSchemaOf(f[FLOW]);
    expect((schema.properties as Record<string, Record<string, unknown>>).code!.pattern).toBe("^(?=A)[A-Z]+$");
    expect(() => checkParameterSchema(schema)).toThrow(/parameterSchema/);
  });
});
