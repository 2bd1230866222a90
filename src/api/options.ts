// Option objects of the public calls: an option name the call does not know is refused with
// invalid_input naming it (a typo such as `cachedir` would otherwise be silently ignored).

import { EdgeClipError } from "../errors.ts";

/** Throws invalid_input when `opts` has an own key not in `known`; `call` names the call. */
export function checkOptionNames(
  opts: object | undefined,
  known: readonly string[],
  call: string,
): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new EdgeClipError("invalid_input", `${call}: options must be an object`);
  }
  const unknown = Object.keys(opts).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new EdgeClipError(
      "invalid_input",
      `${call}: unknown option${unknown.length > 1 ? "s" : ""} ${
        unknown.map((k) => JSON.stringify(k)).join(", ")
      } (known: ${known.join(", ")})`,
      { options: unknown },
    );
  }
}
