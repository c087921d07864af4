/**
 * Where a visitor may go (app/_lib/paths.ts) and proxy.ts built on it: `?next=` never leaves the
 * server, the public pages are exactly the three, and a signed-out visitor goes to sign in.
 */
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PATH_HEADER, hasSessionCookie, isPublicPath, safeNext, signInUrl } from "../../app/_lib/paths";
import { proxy } from "../../proxy";

describe("safeNext", () => {
  it("keeps a path on this server, with its query and fragment", () => {
    expect(safeNext("/runs")).toBe("/runs");
    expect(safeNext("/runs/0b4e?state=FAILED&page=2")).toBe("/runs/0b4e?state=FAILED&page=2");
    expect(safeNext("/invite/abc#top")).toBe("/invite/abc#top");
    expect(safeNext("/search?q=a%2F%2Fb")).toBe("/search?q=a%2F%2Fb");
    expect(safeNext("/deployments/a//b")).toBe("/deployments/a//b");
    expect(safeNext(["/flows", "//evil.com"])).toBe("/flows");
  });

  it.each([
    "//evil.com",
    "//evil.com/runs",
    "https://evil.com",
    "http://evil.com/runs",
    "/\\evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "\t//evil.com",
    " //evil.com",
    "javascript:alert(1)",
    "evil.com",
    "runs",
    "",
  ])("refuses %j (the fallback instead)", (next) => {
    expect(safeNext(next)).toBe("/runs");
    expect(safeNext(next, "/flows")).toBe("/flows");
  });

  it("falls back without a value", () => {
    expect(safeNext(undefined)).toBe("/runs");
    expect(safeNext([])).toBe("/runs");
    expect(safeNext(["//evil.com", "/runs/1"])).toBe("/runs");
  });

  it("whatever it returns resolves to this server", () => {
    const tries = ["/a", "//b", "/\\c", "/\t/d", "https://e", "/%2F%2Ff", "/..//g", "/./\\h", "/\u0000//i", "/\u007f//j"];
    for (const next of tries) expect(new URL(safeNext(next), "http://baton.test").origin).toBe("http://baton.test");
  });
});

describe("isPublicPath", () => {
  it("is the sign-in page, the setup page and an invitation link", () => {
    expect(isPublicPath("/sign-in")).toBe(true);
    expect(isPublicPath("/setup")).toBe(true);
    expect(isPublicPath("/invite/0b4e7c1a-2f6d-4a8e-9c3b-5d1e2f3a4b5c")).toBe(true);
  });

  it.each(["/", "/runs", "/sign-in-x", "/sign-in/x", "/sign-inx", "/setup/x", "/setups", "/invite", "/invite/", "/invite/a/b", "/invites/a", "/x/sign-in", "/x/invite/a", "/SIGN-IN", ""])(
    "not %j",
    (path) => {
      expect(isPublicPath(path)).toBe(false);
    },
  );
});

describe("hasSessionCookie", () => {
  it("finds better-auth's session cookie, also with its __Secure- prefix", () => {
    expect(hasSessionCookie("better-auth.session_token=abc")).toBe(true);
    expect(hasSessionCookie("baton-workspace=default; better-auth.session_token=abc.def")).toBe(true);
    expect(hasSessionCookie("__Secure-better-auth.session_token=abc")).toBe(true);
  });

  it.each([null, undefined, "", "better-auth.session_token=", "better-auth.session_token=; a=b", "xbetter-auth.session_token=abc", "better-auth.session_data=abc", "a=better-auth.session_token=abc"])(
    "not in %j",
    (header) => {
      expect(hasSessionCookie(header)).toBe(false);
    },
  );
});

describe("signInUrl", () => {
  it("comes back to the page, query included; the home page needs no next", () => {
    expect(signInUrl("/runs?state=FAILED&x=1")).toBe("/sign-in?next=%2Fruns%3Fstate%3DFAILED%26x%3D1");
    expect(signInUrl("/")).toBe("/sign-in");
    expect(safeNext(new URL(signInUrl("/runs/1?a=b"), "http://baton.test").searchParams.get("next") ?? undefined)).toBe("/runs/1?a=b");
  });
});

describe("proxy", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const visit = (path: string, cookie?: string) => proxy(new NextRequest(new URL(path, "http://baton.test"), { headers: cookie ? { cookie } : {} }));

  it("with auth on, sends a visitor without a session cookie to sign in, and back afterwards", () => {
    vi.stubEnv("BATON_AUTH", "on");
    const res = visit("/runs?state=FAILED");
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("http://baton.test/sign-in?next=%2Fruns%3Fstate%3DFAILED");
    expect(visit("/").headers.get("location")).toBe("http://baton.test/sign-in");
    expect(visit("/sign-in-x").headers.get("location")).toBe("http://baton.test/sign-in?next=%2Fsign-in-x");
  });

  it("lets the public pages and a visitor with a session cookie through, naming the path", () => {
    vi.stubEnv("BATON_AUTH", "on");
    for (const path of ["/sign-in?next=%2Fruns", "/setup?token=t", "/invite/abc"]) {
      const res = visit(path);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get(`x-middleware-request-${PATH_HEADER}`)).toBe(path);
    }
    expect(visit("/runs", "better-auth.session_token=abc").headers.get("location")).toBeNull();
  });

  it("with auth off, sends nobody anywhere", () => {
    vi.stubEnv("BATON_AUTH", "off");
    const res = visit("/runs");
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get(`x-middleware-request-${PATH_HEADER}`)).toBe("/runs");
  });
});
