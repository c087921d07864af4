/**
 * Before a page renders: with auth on (BATON_AUTH=on), a visitor without a session cookie goes
 * to /sign-in?next=<the page>. Only the cookie's presence is checked here (cheap, no database);
 * the root layout checks the session itself and sends an ended one to sign in too.
 *
 * Not for the API (/api/*: callers get 401 with a reason), the public pages (/sign-in, /setup,
 * /invite/…) or static files. Every page learns its own path from the `x-baton-path` header.
 */
import { NextResponse, type NextRequest } from "next/server";
import { PATH_HEADER, hasSessionCookie, isPublicPath, signInSearch } from "./app/_lib/paths";

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const here = pathname + search;
  if (process.env.BATON_AUTH === "on" && !isPublicPath(pathname) && !hasSessionCookie(request.headers.get("cookie"))) {
    const to = request.nextUrl.clone();
    to.pathname = "/sign-in";
    to.search = signInSearch(here);
    return NextResponse.redirect(to);
  }
  const headers = new Headers(request.headers);
  headers.set(PATH_HEADER, here);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Pages only: not the API, Next's own files, the files the workbench loads, nor any file with an extension.
  matcher: ["/((?!api/|_next/|models/|ort/|pdfjs/|.*\\.[A-Za-z0-9]+$).*)"],
};
