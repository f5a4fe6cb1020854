import { describe, expect, it } from "vitest";
import { parseSecretText } from "./secret-text";

describe("secrets typed as NAME=value lines", () => {
  it("reads names and values, skipping blank lines and comments; values may hold =", () => {
    expect(parseSecretText("# db\nDATABASE_URL=postgres://u:p@db/x?a=b\n\nTOKEN=abc\n", [])).toEqual({
      secrets: { DATABASE_URL: "postgres://u:p@db/x?a=b", TOKEN: "abc" },
      error: null,
    });
  });

  it("names the line of each mistake", () => {
    const error = (text: string, env: string[] = []) => parseSecretText(text, env).error;
    expect(error("A=1\njust-a-word")).toBe("line 2 must look like NAME=value");
    expect(error("1BAD=x")).toMatch(/^line 1: 1BAD is not a variable name/);
    expect(error("__proto__=x")).toMatch(/^line 1: __proto__ is not a variable name/);
    expect(error("A=1\nA=2")).toBe("line 2 sets A a second time");
    expect(error("EMPTY=")).toBe("line 1: the value of EMPTY must not be empty");
    expect(error("GREETING=hi", ["GREETING"])).toBe(
      "line 1: GREETING is also an environment variable; use one or the other",
    );
  });
});
