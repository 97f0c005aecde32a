import { describe, expect, it } from "vitest";
import { goToSignIn, safeRedirect, signInUrl } from "./redirect.js";

describe("safeRedirect", () => {
  it.each([
    ["/agents", "/agents"],
    ["/runs?state=failed", "/runs?state=failed"],
    ["//evil.example/x", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example", "/"],
    ["javascript:alert(1)", "/"],
    ["/sign-in?redirect=/x", "/"],
    [undefined, "/"],
  ])("%s returns to %s", (target, expected) => {
    expect(safeRedirect(target)).toBe(expected);
  });
});

describe("signInUrl and goToSignIn", () => {
  it("remember the page and its query, never its fragment", () => {
    expect(signInUrl({ pathname: "/runs", search: "?state=failed" })).toBe("/sign-in?redirect=%2Fruns%3Fstate%3Dfailed");
    expect(signInUrl({ pathname: "/", search: "" })).toBe("/sign-in");
  });

  it("go to the sign-in page once, not again from it", () => {
    const visited: string[] = [];
    goToSignIn({ pathname: "/agents", search: "", assign: (url: string | URL) => visited.push(String(url)) });
    goToSignIn({ pathname: "/sign-in", search: "?redirect=%2Fagents", assign: (url: string | URL) => visited.push(String(url)) });
    expect(visited).toEqual(["/sign-in?redirect=%2Fagents"]);
  });
});
