// The `adapters` field of a request: an adapter name, null (no adapters), or a composition in
// the adapters library's dict form.

import { EdgeClipError } from "../errors.ts";
import type { AdapterSetup } from "../api/setup.ts";

/**
 * Reads an `adapters` field. Undefined keeps the model's active setup; null runs none.
 * Dict-form setups need the library's `adapterSetupFromDict`, which this build does not expose
 * to the server yet: they are refused with `adapter_unsupported` rather than guessed at.
 */
export function parseAdapterSetup(value: unknown, where: string): AdapterSetup | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === "string") {
    if (value.length === 0) throw new EdgeClipError("invalid_input", `${where} is an empty string`);
    return value;
  }
  if (typeof value === "object" && !Array.isArray(value)) {
    throw new EdgeClipError(
      "adapter_unsupported",
      `${where}: composition setups in dict form are not accepted by this server yet; ` +
        "pass the name of one loaded adapter",
    );
  }
  throw new EdgeClipError(
    "invalid_input",
    `${where} must be an adapter name, null, or a composition setup object`,
  );
}
